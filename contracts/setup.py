"""Making a contract's provider states on a target through the API's own flows, over HTTP.

Each state of :mod:`contracts.states` is made the way an app would make it, with the target's
secret key: CreateUser; LoginOrCreateUserByEmailOtp and VerifyOtp with the passcode read from
the fake's outbox (``GET /_mock/outbox``) or the user's ``--code-command``; DeleteSession for a
deleted session; CreateTOTP and VerifyTOTP with a code the verifier computes (RFC 6238). Only an
expired session needs the fake's clock (``/_mock/clock/advance``); a real target cannot make one
and the set-up says so. Every user made is deleted after the interaction.
"""

from __future__ import annotations

import email.utils
import json
import secrets
import shlex
import subprocess
from collections.abc import Callable
from typing import Any

import requests

from conformance import totp
from contracts import states
from contracts.states import StateKind

HTTP_TIMEOUT = 15.0
CODE_WAIT_SECONDS = 10.0
SESSION_MINUTES = 60
EXPIRED_MINUTES = 5


class SetupError(RuntimeError):
    """A state could not be made (wrong key, unreachable target, a state a target cannot make)."""


class Target:
    """The deployment states are made on and interactions replayed against.

    Args:
        url: its base URL.
        api_key: the secret key sent as ``Authorization: Bearer``.
        code_command: ``CMD <to> otp`` prints the newest passcode sent to ``to`` (else the
            fake's outbox is read).
    """

    def __init__(self, url: str, api_key: str, *, code_command: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.code_command = code_command
        self.http = requests.Session()
        self._is_fake: bool | None = None
        self.now: float | None = None  # the target's clock at its last answer (TOTP codes)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        """One API call with the secret key; an unreachable target is a set-up error."""
        try:
            answer = self.http.request(
                method,
                self.url + path,
                json=body,
                params=params or None,
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise SetupError(f"{self.url} is unreachable: {type(error).__name__}") from error
        self.now = _server_now(answer)
        return answer

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        """The JSON body of a call that must succeed, else a set-up error naming it."""
        answer = self.call(method, path, body, **params)
        data = _json(answer)
        if answer.status_code == 401 and data.get("error_type") == "unauthorized":
            raise SetupError(f"{self.url} refused the secret key (401 unauthorized)")
        if answer.status_code != 200:
            raise SetupError(
                f"set-up call {method} {path} answered {answer.status_code} "
                f"{json.dumps(data)[:300]}"
            )
        return data

    @property
    def is_fake(self) -> bool:
        """Whether the target offers the fake's control API (``GET /_mock/health``)."""
        if self._is_fake is None:
            try:
                answer = self.http.get(f"{self.url}/_mock/health", timeout=HTTP_TIMEOUT)
                self._is_fake = answer.status_code == 200 and "controls" in _json(answer)
            except requests.RequestException:
                self._is_fake = False
        return self._is_fake

    def control(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """A call of the fake's control API (for the default app of the key's fake)."""
        answer = self.http.request(
            method,
            f"{self.url}/_mock/{path}",
            json=body,
            params=params or None,
            timeout=HTTP_TIMEOUT + CODE_WAIT_SECONDS,
        )
        if answer.status_code != 200:
            raise SetupError(f"control {method} /_mock/{path} answered {answer.status_code}")
        return _json(answer)

    def read_code(self, to: str, kind: str = "otp") -> str:
        """The newest passcode (or, ``kind="magic_link"``, link token) sent to ``to``."""
        if self.code_command:
            done = subprocess.run(  # noqa: S603 - the user's own command, by design
                [*shlex.split(self.code_command), to, kind],
                capture_output=True,
                text=True,
                timeout=CODE_WAIT_SECONDS,
                check=False,
            )
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                raise SetupError(f"--code-command found no passcode for {to}")
            return lines[-1].strip()
        if not self.is_fake:
            raise SetupError(
                f"cannot read the passcode sent to {to}: {self.url} has no /_mock/outbox; "
                "pass --code-command CMD (CMD <to> otp prints it)"
            )
        found = self.control("GET", "outbox", to=to, kind=kind, wait=CODE_WAIT_SECONDS)
        field = "code" if kind == "otp" else "token"
        for message in found.get("messages", []):
            if message.get(field):
                return str(message[field])
        raise SetupError(f"no passcode for {to} reached the fake's outbox")

    def clock(self) -> float:
        """The target's time at its last answer (TOTP codes are computed at it)."""
        if self.now is None:
            raise SetupError(f"{self.url} sends no Date header: a TOTP code needs its time")
        return self.now

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()


def _server_now(answer: requests.Response) -> float | None:
    """The target's time: the fake's ``X-Moonkey-Mock-Now``, else its ``Date`` header."""
    stamp = answer.headers.get("X-Moonkey-Mock-Now")
    if stamp:
        return float(stamp)
    date = answer.headers.get("Date")
    return email.utils.parsedate_to_datetime(date).timestamp() if date else None


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class StateMaker:
    """Makes one interaction's states on a target and deletes what it made.

    The states of one interaction concern the email they name (see :mod:`contracts.states`):
    a user made for the first is reused by the next.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.users: dict[str, str] = {}  # the contract's email -> the address made for it
        self.made: list[str] = []
        self.clock_moved = False
        self.run = secrets.token_hex(3)

    def email(self, wanted: Any) -> str:
        """A fresh address standing for the contract's ``email`` param (unique per run)."""
        base = str(wanted or "contract@example.com")
        local, _, domain = base.partition("@")
        return f"{local}+{self.run}{len(self.users)}@{domain or 'example.com'}"

    def make(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Set up the state ``name`` with ``params``; returns the values it provides."""
        kind = states.kind_named(name)
        if kind is None:
            raise SetupError(f"unknown provider state {name!r}")
        makers: dict[str, Callable[[StateKind, dict[str, Any]], dict[str, Any]]] = {
            "user": self._user,
            "live_session": self._live,
            "deleted_session": self._deleted,
            "expired_session": self._expired,
            "otp_sent": self._otp_sent,
            "totp_enrolled": self._totp,
            "magic_link_sent": self._magic_link_sent,
        }
        return makers[kind.key](kind, params)

    def _address(self, params: dict[str, Any]) -> str:
        wanted = str(params.get("email") or "contract@example.com")
        return self.address_for(wanted)

    def address_for(self, wanted: str) -> str:
        """The run's address standing for the contract's ``wanted`` (made on first use)."""
        if wanted not in self.users:
            self.users[wanted] = self.email(wanted)
        return self.users[wanted]

    def _remember(self, user_id: str) -> None:
        if user_id and user_id not in self.made:
            self.made.append(user_id)

    def _user(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        made = self.target.ok("POST", "/v1/auth/users/create", {"email": email})
        self._remember(str(made.get("user_id", "")))
        return {"user_id": str(made.get("user_id", "")), "email": email}

    def _send_otp(self, email: str) -> dict[str, Any]:
        sent = self.target.ok("POST", "/v1/auth/otps/email/login_or_create", {"email": email})
        self._remember(str(sent.get("user_id", "")))
        return sent

    def _login(self, email: str, minutes: int = SESSION_MINUTES) -> dict[str, Any]:
        sent = self._send_otp(email)
        code = self.target.read_code(email)
        body = {"method_id": sent.get("email_id"), "otp": code, "session_expires_in": minutes}
        return self.target.ok("POST", "/v1/auth/otps/verify", body)

    @staticmethod
    def _session_values(verified: dict[str, Any], email: str) -> dict[str, Any]:
        session = verified.get("session") if isinstance(verified.get("session"), dict) else {}
        return {
            "session_token": str(verified.get("session_token", "")),
            "session_jwt": str(verified.get("session_jwt", "")),
            "session_id": str((session or {}).get("id", "")),
            "user_id": str(verified.get("user_id", "")),
            "email": email,
        }

    def _live(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        factors = params.get("factors") or [{"type": "otp", "delivery_channel": "email"}]
        if isinstance(factors, str):
            try:
                factors = json.loads(factors)
            except ValueError:
                factors = [{"type": "otp", "delivery_channel": "email"}]
        verified = self._login(email)
        values = self._session_values(verified, email)
        for factor in factors if isinstance(factors, list) else []:
            kind_of = factor.get("type") if isinstance(factor, dict) else None
            if kind_of == "otp" and factor.get("delivery_channel", "email") == "email":
                continue
            if kind_of == "totp":
                made = self.target.ok(
                    "POST", "/v1/auth/totps/create", {"user_id": values["user_id"]}
                )
                added = self.target.ok(
                    "POST",
                    "/v1/auth/totps/verify",
                    {
                        "user_id": values["user_id"],
                        "totp": totp.code(str(made.get("secret", "")), self.target.clock()),
                        "session_token": values["session_token"],
                    },
                )
                values.update(self._session_values(added, email) if added.get("session") else {})
                continue
            raise SetupError(f"cannot make a session with the factor {factor!r}")
        return values

    def _deleted(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        values = self._session_values(self._login(email), email)
        self.target.ok("DELETE", "/v1/auth/sessions/delete", {"session_id": values["session_id"]})
        return values

    def _expired(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        if not self.target.is_fake:
            raise SetupError(
                f"the state {kind.name!r} cannot be made on a real target (it needs the fake's "
                "clock)"
            )
        email = self._address(params)
        values = self._session_values(self._login(email, EXPIRED_MINUTES), email)
        self.target.control("POST", "clock/advance", {"minutes": EXPIRED_MINUTES + 1})
        self.clock_moved = True
        return values

    def _otp_sent(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        sent = self._send_otp(email)
        code = self.target.read_code(email)
        return {
            "email_id": str(sent.get("email_id", "")),
            "method_id": str(sent.get("email_id", "")),
            "code": code,
            "user_id": str(sent.get("user_id", "")),
            "email": email,
        }

    def _magic_link_sent(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        path = "/v1/auth/magic_links/email/login_or_create"
        sent = self.target.ok("POST", path, {"email": email})
        self._remember(str(sent.get("user_id", "")))
        token = self.target.read_code(email, kind="magic_link")
        return {"token": token, "user_id": str(sent.get("user_id", "")), "email": email}

    def _totp(self, kind: StateKind, params: dict[str, Any]) -> dict[str, Any]:
        email = self._address(params)
        user = self._user(states.USER, params)
        made = self.target.ok("POST", "/v1/auth/totps/create", {"user_id": user["user_id"]})
        secret = str(made.get("secret", ""))
        self.target.ok(
            "POST",
            "/v1/auth/totps/verify",
            {"user_id": user["user_id"], "totp": totp.code(secret, self.target.clock())},
        )
        return {
            "totp_id": str(made.get("totp_id", "")),
            "code": totp.code(secret, self.target.clock() + totp.STEP_SECONDS),
            "user_id": user["user_id"],
            "email": email,
        }

    def cleanup(self) -> list[str]:
        """Delete every user made (and put the fake's clock back); returns what failed."""
        problems = []
        for user_id in self.made:
            try:
                gone = self.target.call("DELETE", f"/v1/auth/users/{user_id}/delete")
            except SetupError as error:
                problems.append(str(error))
                continue
            if gone.status_code not in (200, 404):
                problems.append(f"DeleteUser {user_id}: {gone.status_code}")
        self.made = []
        if self.clock_moved:
            self.target.control("POST", "clock/reset")
            self.clock_moved = False
        return problems
