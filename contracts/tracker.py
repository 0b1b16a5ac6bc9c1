"""Which provider states a journaled call needed, traced back through the app's earlier calls.

The tracker walks one app's journal in order. A session token, JWT, session id, user id, method
id, TOTP id or code a request carries is looked up among what earlier answers (and the outbox)
handed out; the request then names the state that value belongs to (a live, deleted or expired
session, an OTP sent, a TOTP enrolled, a user) and the value is replaced by a neutral placeholder
with a provider-state generator, so a verifier injects the value its own set-up returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from contracts import states
from contracts.preview import readable
from contracts.shapes import ID_RE, example_id
from contracts.states import StateKind

PASSWORD_EXAMPLE = "Example-password-1"  # docs/decisions.md K4
PASSWORD_KEYS = frozenset({"password", "new_password", "old_password", "existing_password"})
CODE_EXAMPLE = "000000"
SESSION_KEYS = {"session_token": "session_token", "session_jwt": "session_jwt"}
PLACEHOLDERS = {
    "session_token": "example-session-token",
    "session_jwt": "example-session-jwt",
    "token": "example-token",
    "public_token": "example-public-token",
    "secret_key": "example-secret-key",
    "private_key": "example-private-key",
    "recovery_code": "example-recovery-code",
}
PATH_VALUES = {"user_": "user_id", "sess_": "session_id", "totp_": "totp_id", "email_": "email_id"}


@dataclass
class Session:
    """A session an answer handed out, and what became of it."""

    session_id: str
    user_id: str
    email: str
    factors: list[dict[str, str]]
    expires_at: float
    deleted: bool = False


@dataclass
class Traced:
    """What one call needed: its states, its request with placeholders, its generators."""

    states: list[dict[str, Any]] = field(default_factory=list)
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    path: str = ""
    generators: dict[str, Any] = field(default_factory=dict)
    request_rules: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # for the description: "deleted", "wrong"

    def need(self, kind: StateKind, **params: Any) -> None:
        """Add the state (once) with its filled name."""
        shown = {k: _show(v) for k, v in params.items()}
        entry = {"name": kind.name.format(**shown), "params": params}
        if entry not in self.states:
            self.states.append(entry)

    def kinds(self) -> list[str]:
        """The kinds of the states, in order (what tells two interactions apart)."""
        return [_kind_key(s["name"]) + _show(s["params"].get("factors", "")) for s in self.states]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"{f.get('type')}/{f.get('delivery_channel')}" for f in value) or "none"
    return str(value)


def _kind_key(name: str) -> str:
    kind = states.kind_named(name)
    return kind.key if kind else name


class Tracker:
    """Walks one app's journal (oldest first), with the app's outbox for the codes it sent."""

    def __init__(self, outbox: list[dict[str, Any]] | None = None) -> None:
        self.codes = {str(m["code"]): m for m in outbox or () if m.get("code")}
        self.links = {str(m["token"]): m for m in outbox or () if m.get("token")}
        self.sessions: dict[str, Session] = {}  # by token, JWT and session id
        self.users: dict[str, str] = {}  # user id -> email
        self.methods: dict[str, str] = {}  # OTP method/email id -> email
        self.totps: dict[str, str] = {}  # user id -> TOTP id

    def step(self, entry: dict[str, Any]) -> Traced:
        """The states and placeholders of one call; then learn from its answer."""
        traced = Traced(path=str(entry["path"]))
        body = entry.get("body")
        if body == {} and entry["method"] in ("GET", "HEAD"):
            body = None  # the journal's empty body of a call that sent none
        if isinstance(body, dict):
            traced.body = {k: self._value(entry, traced, k, v, "body") for k, v in body.items()}
            self._drop_covered_users(traced)
        else:
            traced.body = body
        query = entry.get("query") or {}
        traced.query = {k: str(self._value(entry, traced, k, v, "query")) for k, v in query.items()}
        self._path(traced)
        self._drop_covered_users(traced)
        self._learn(entry)
        return traced

    # --- a request's values --------------------------------------------------------------
    @staticmethod
    def _lists_sessions(entry: dict[str, Any]) -> bool:
        """A ListSessions call that answered at least one session."""
        answer = readable(entry.get("response"))
        return (
            entry["operation_id"] == "ListSessions"
            and entry["status"] == 200
            and isinstance(answer, dict)
            and bool(answer.get("sessions"))
        )

    def _value(
        self, entry: dict[str, Any], traced: Traced, key: str, value: Any, where: str
    ) -> Any:
        if isinstance(value, dict | list):
            self._known_emails(traced, value)  # a search by a user's email needs the user
            return value
        if not isinstance(value, str):
            return value
        if key in SESSION_KEYS or key == "session_id":
            return self._session_value(entry, traced, key, value, where)
        if key == "user_id" and value in self.users:
            if self._lists_sessions(entry):  # a non-empty list needs a session to list
                factors = [{"type": "otp", "delivery_channel": "email"}]
                traced.need(states.LIVE_SESSION, email=self.users[value], factors=factors)
            else:
                traced.need(states.USER, email=self.users[value])
            return self._generated(traced, where, key, "user_id", example_id(value))
        if key in ("method_id", "email_id") and value in self.methods:
            traced.need(states.OTP_SENT, email=self.methods[value])
            return self._generated(traced, where, key, key, example_id(value))
        if key == "totp_id" and value in self.totps.values():
            owner = next(u for u, t in self.totps.items() if t == value)
            traced.need(states.TOTP_ENROLLED, email=self.users.get(owner, ""))
            return self._generated(traced, where, key, "totp_id", example_id(value))
        if key == "code" and entry["operation_id"] == "VerifyOtp":
            return self._otp_code(entry, traced, value, where)
        if key in ("totp", "totp_code") or (key == "code" and "totp" in entry["path"]):
            return self._totp_code(entry, traced, key, where)
        if key == "token" and value in self.links:
            traced.need(states.MAGIC_LINK_SENT, email=str(self.links[value].get("to", "")))
            return self._generated(traced, where, key, "token", PLACEHOLDERS["token"])
        if key in PASSWORD_KEYS:
            traced.request_rules[f"$.{key}"] = {
                "combine": "AND",
                "matchers": [{"match": "regex", "regex": r"^.{8,}$"}],
            }
            return PASSWORD_EXAMPLE
        if key in PLACEHOLDERS:
            return PLACEHOLDERS[key]
        if key == "email" and entry["operation_id"].startswith("LoginOrCreate"):
            answer = entry.get("response")
            if isinstance(answer, dict) and answer.get("user_created") is False:
                traced.need(states.USER, email=value)
                traced.notes.append("existing")
            elif isinstance(answer, dict) and answer.get("user_created") is True:
                traced.notes.append("new")
        if key == "code" or (ID_RE.match(value) and key.endswith("_id")):
            return CODE_EXAMPLE if key == "code" else example_id(value)
        return value

    def _known_emails(self, traced: Traced, value: Any) -> None:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                self._known_emails(traced, item)
        elif isinstance(value, str) and value in self.users.values():
            traced.need(states.USER, email=value)

    def _session_value(
        self, entry: dict[str, Any], traced: Traced, key: str, value: str, where: str
    ) -> Any:
        session = self.sessions.get(value)
        if session is None:
            session = self._session_from_answer(entry)
        if session is None:
            traced.notes.append("unknown")
            return PLACEHOLDERS.get(key, "sess_" + "0" * 27)
        if session.deleted:
            traced.need(states.DELETED_SESSION, email=session.email)
            traced.notes.append("deleted")
        elif entry["at"] >= session.expires_at or entry.get("error_type") == "invalid_session":
            traced.need(states.EXPIRED_SESSION, email=session.email)
            traced.notes.append("expired")
        else:
            traced.need(states.LIVE_SESSION, email=session.email, factors=session.factors)
            traced.notes.append("live")
            if len(session.factors) > 1:
                traced.notes.append("factors:" + _show(session.factors))
        return self._generated(traced, where, key, key, PLACEHOLDERS.get(key, "sess_" + "0" * 27))

    def _otp_code(self, entry: dict[str, Any], traced: Traced, value: str, where: str) -> Any:
        sent = self.codes.get(value)
        body = entry.get("body") or {}
        email = str(sent["to"]) if sent else str(body.get("email") or "")
        if not email:
            email = self.methods.get(str(body.get("method_id", "")), "")
        if email:
            traced.need(states.OTP_SENT, email=email)
        if sent and entry.get("error_type") != "invalid_otp":
            return self._generated(traced, where, "code", "code", CODE_EXAMPLE)
        traced.notes.append("wrong")
        return CODE_EXAMPLE

    def _totp_code(self, entry: dict[str, Any], traced: Traced, key: str, where: str) -> Any:
        body = entry.get("body") or {}
        user_id = str(body.get("user_id", ""))
        if user_id in self.totps:
            traced.need(states.TOTP_ENROLLED, email=self.users.get(user_id, ""))
            if entry["status"] == 200:
                return self._generated(traced, where, key, "code", CODE_EXAMPLE)
        traced.notes.append("wrong")
        return CODE_EXAMPLE

    def _generated(self, traced: Traced, where: str, key: str, provided: str, example: str) -> str:
        category = traced.generators.setdefault(where, {})
        category[f"$.{key}" if where == "body" else key] = states.generator(provided)
        return example

    def _path(self, traced: Traced) -> None:
        parts = traced.path.split("/")
        template = list(parts)
        for i, part in enumerate(parts):
            if not ID_RE.match(part):
                continue
            prefix = part.split("_", 1)[0] + "_"
            provided = PATH_VALUES.get(prefix)
            parts[i] = template[i] = example_id(part)
            if provided == "user_id" and part in self.users:
                traced.need(states.USER, email=self.users[part])
            elif provided == "totp_id" and part in self.totps.values():
                owner = next(u for u, t in self.totps.items() if t == part)
                traced.need(states.TOTP_ENROLLED, email=self.users.get(owner, ""))
            elif provided == "session_id" and part in self.sessions:
                session = self.sessions[part]
                traced.need(states.LIVE_SESSION, email=session.email, factors=session.factors)
            else:
                continue
            template[i] = "${" + str(provided) + "}"
        traced.path = "/".join(parts)
        if template != parts:
            expression = "/".join(template)
            traced.generators["path"] = {**states.generator("x"), "expression": expression}

    @staticmethod
    def _drop_covered_users(traced: Traced) -> None:
        """A USER state whose email another state already concerns is implied by it."""
        others = {json.dumps(s["params"].get("email")) for s in traced.states if not _is_user(s)}
        traced.states = [s for s in traced.states if not (_is_user(s) and _email(s) in others)]

    # --- what answers hand out -------------------------------------------------------------
    def _session_from_answer(self, entry: dict[str, Any]) -> Session | None:
        answer = readable(entry.get("response"))
        if entry["status"] != 200 or not isinstance(answer, dict):
            return None
        session = answer.get("session")
        if not isinstance(session, dict):
            return None
        return self._remember(answer, session)

    def _remember(self, answer: dict[str, Any], session: dict[str, Any]) -> Session:
        factors = [
            {"type": str(f.get("type", "")), "delivery_channel": str(f.get("delivery_channel", ""))}
            for f in session.get("factors") or session.get("authentication_factors") or ()
            if isinstance(f, dict)
        ]
        user_id = str(session.get("user_id") or answer.get("user_id") or "")
        given = answer.get("user")
        user: dict[str, Any] = given if isinstance(given, dict) else {}
        email = str(user.get("email") or self.users.get(user_id) or _factor_email(session))
        known = self.sessions.get(str(session.get("id") or session.get("session_id") or ""))
        record = known or Session(
            session_id=str(session.get("id") or session.get("session_id") or ""),
            user_id=user_id,
            email=email,
            factors=factors,
            expires_at=float(session.get("expires_at") or float("inf")),
        )
        record.factors = factors or record.factors
        record.expires_at = float(session.get("expires_at") or record.expires_at)
        for value in (record.session_id, session.get("session_token"), answer.get("session_token")):
            if value:
                self.sessions[str(value)] = record
        if answer.get("session_jwt"):
            self.sessions[str(answer["session_jwt"])] = record
        if user_id and email:
            self.users[user_id] = email
        return record

    def _learn(self, entry: dict[str, Any]) -> None:
        answer = readable(entry.get("response"))
        if entry["status"] != 200 or not isinstance(answer, dict):
            return
        given = entry.get("body")
        body: dict[str, Any] = given if isinstance(given, dict) else {}
        op = entry["operation_id"]
        if isinstance(answer.get("session"), dict):
            self._remember(answer, answer["session"])
        user_id = str(answer.get("user_id") or "")
        email = str(answer.get("email") or body.get("email") or "")
        if user_id and email:
            self.users[user_id] = email
        if op in ("LoginOrCreateUserByEmailOtp", "CreateEmailOtp"):
            for key in ("email_id", "method_id"):
                if answer.get(key):
                    self.methods[str(answer[key])] = email
        if op == "CreateTOTP" and answer.get("totp_id"):
            self.totps[user_id or str(body.get("user_id"))] = str(answer["totp_id"])
        if op == "ListSessions":
            for session in answer.get("sessions") or ():
                if isinstance(session, dict):
                    self._remember({}, session)
        if op == "DeleteSession":
            for key in ("session_token", "session_jwt", "session_id"):
                if str(body.get(key, "")) in self.sessions:
                    self.sessions[str(body[key])].deleted = True
        if op == "DeleteUser":
            gone = entry["path"].split("/")[-2] if entry["path"].endswith("/delete") else ""
            for session in self.sessions.values():
                session.deleted = session.deleted or session.user_id == gone


def _factor_email(session: dict[str, Any]) -> str:
    for factor in session.get("factors") or ():
        method = factor.get("method") if isinstance(factor, dict) else None
        if isinstance(method, dict) and method.get("email"):
            return str(method["email"])
    return ""


def _is_user(state: dict[str, Any]) -> bool:
    return _kind_key(str(state["name"])) == states.USER.key


def _email(state: dict[str, Any]) -> str:
    return json.dumps(state["params"].get("email"))
