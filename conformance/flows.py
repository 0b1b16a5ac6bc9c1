"""The suite's own test data on the target: users it creates, logins, and clean-up.

Against a real deployment the suite changes nothing it did not create: every user has a fresh
address ``conformance+<run>-<n>-<label>@example.com`` and is deleted (DeleteUser) at the end.
Logins use the reference's flow (LoginOrCreateUserByEmailOtp, then VerifyOtp with
``method_id`` and ``otp``), with the passcode from the :class:`~conformance.readers.CodeReader`.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.readers import CodeNotFound, CodeReader

SETUP = Expect("setup: the suite's own login flow (LoginOrCreateUserByEmailOtp, VerifyOtp; C6)")
DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class Login:
    """A user the suite logged in, and the session it got."""

    email: str
    user_id: str
    method_id: str
    token: str
    jwt: str
    session: dict[str, Any]
    body: dict[str, Any]
    exchange: Exchange

    @property
    def session_id(self) -> str:
        """The session's id."""
        return str(self.session.get("id", ""))


class Flows:
    """Creates users and sessions on the target and remembers them for clean-up.

    Args:
        api: the client with the suite's secret key.
        reader: where passcodes and magic-link tokens come from.
    """

    def __init__(self, api: ApiClient, reader: CodeReader) -> None:
        self.api = api
        self.reader = reader
        self.run_id = secrets.token_hex(4)
        self._numbers = itertools.count(1)
        self._users: list[str] = []
        self._lock = threading.Lock()

    def email(self, label: str = "user") -> str:
        """A fresh address no one else uses."""
        return f"conformance+{self.run_id}-{next(self._numbers)}-{label}@example.com"

    def remember(self, user_id: str) -> None:
        """Delete ``user_id`` at the end of the run."""
        with self._lock:
            if user_id and user_id not in self._users:
                self._users.append(user_id)

    def create_user(self, email: str | None = None) -> str:
        """CreateUser with a fresh email; returns the user id."""
        sent = self.api.post("/v1/auth/users/create", {"email": email or self.email("created")})
        user_id = str(SETUP.field(sent, "user_id")) if sent.status == 200 else ""
        self.remember(user_id)
        SETUP.ok(sent)
        return user_id

    def send_otp(self, email: str) -> dict[str, Any]:
        """LoginOrCreateUserByEmailOtp; returns its body (user_id, email_id, ...)."""
        sent = self.api.post("/v1/auth/otps/email/login_or_create", {"email": email})
        body = SETUP.ok(sent)
        self.remember(str(SETUP.field(sent, "user_id")))
        return body

    def read(self, to: str, kind: str = "otp") -> str:
        """The newest code (or token) sent to ``to``; skips the test when nothing can read it."""
        if not self.reader.available:
            pytest.skip(self.reader.missing())
        try:
            return self.reader.read(to, kind)
        except CodeNotFound as error:
            SETUP.fail(f"a {kind} delivered to {to}", str(error))
            raise  # pragma: no cover - fail() raises

    def verify_otp(
        self, email: str, *, minutes: int | None = DEFAULT_MINUTES, **extra: Any
    ) -> Exchange:
        """Send a passcode to ``email`` and answer it; returns the VerifyOtp exchange."""
        sent = self.send_otp(email)
        code = self.read(email, "otp")
        body: dict[str, Any] = {"method_id": sent["email_id"], "otp": code, **extra}
        if minutes is not None:
            body["session_expires_in"] = minutes
        return self.api.post("/v1/auth/otps/verify", body)

    def login(
        self, email: str | None = None, *, minutes: int | None = DEFAULT_MINUTES, **extra: Any
    ) -> Login:
        """Log a user in by email OTP and return the session it got."""
        address = email or self.email()
        verified = self.verify_otp(address, minutes=minutes, **extra)
        body = SETUP.ok(verified)
        session = body.get("session")
        SETUP.true(isinstance(session, dict), "a session object", f"{session!r}", verified)
        return Login(
            email=address,
            user_id=str(body.get("user_id", "")),
            method_id=str(body.get("method_id", "")),
            token=str(body.get("session_token", "")),
            jwt=str(body.get("session_jwt", "")),
            session=dict(session) if isinstance(session, dict) else {},
            body=body,
            exchange=verified,
        )

    def magic_token(self, user_id: str) -> str:
        """A magic-link token for ``user_id`` (CreateEmbeddableMagicLink, no delivery needed)."""
        made = self.api.post("/v1/auth/magic_links/create", {"user_id": user_id})
        SETUP.ok(made)
        return str(SETUP.field(made, "token"))

    def verify_session(self, **body: Any) -> Exchange:
        """VerifySession with ``body``."""
        return self.api.post("/v1/auth/sessions/verify", body)

    def list_sessions(self, user_id: str) -> Exchange:
        """ListSessions of ``user_id``."""
        return self.api.get("/v1/auth/sessions/list", user_id=user_id)

    def delete_session(self, **body: Any) -> Exchange:
        """DeleteSession with ``body``."""
        return self.api.delete("/v1/auth/sessions/delete", body)

    def cleanup(self) -> list[str]:
        """Delete every user the run created; returns what could not be deleted."""
        problems = []
        with self._lock:
            users, self._users = self._users, []
        for user_id in users:
            gone = self.api.delete(f"/v1/auth/users/{user_id}/delete")
            if gone.status not in (200, 404):
                problems.append(f"DeleteUser {user_id}: {gone.answer()}")
        return problems
