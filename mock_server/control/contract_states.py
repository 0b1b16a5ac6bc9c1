"""``POST /_mock/contract/states``: Pact's provider-state change, made in-process by the fake.

A Pact verifier posts ``{"state", "params", "action": "setup" | "teardown"}`` before and after
each interaction; the answer's flat JSON object feeds the contract's provider-state generators
(``${session_token}``). The state names are those of ``contracts/states.py`` (matched by their
fixed head, params filled or not); the fake takes its own shortcuts: a user made directly, a
session minted, a session revoked, a passcode really sent (its code read from the outbox), a
TOTP created and activated at the fake's clock, an expired session by moving the clock on.
Teardown deletes the user the state names by email (and moves the clock back).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from mock_server.call import session_fields
from mock_server.domain import magic_links, otps, totps
from mock_server.errors import ValidationError
from mock_server.models import App
from mock_server.state import MockState

from . import browse, shortcuts

Json = dict[str, Any]
DEFAULT_EMAIL = "contract@example.com"
SESSION_MINUTES = 60
EXPIRED_MINUTES = 5

HEADS = {
    "a user with email ": "user",
    "a live session for ": "live_session",
    "a deleted session for ": "deleted_session",
    "an expired session for ": "expired_session",
    "an OTP sent to ": "otp_sent",
    "a TOTP enrolled for ": "totp_enrolled",
    "a magic link sent to ": "magic_link_sent",
}


def kind_of(name: str) -> str:
    """The state kind a name stands for; a 400 naming it when the fake does not know it."""
    for head, kind in HEADS.items():
        if name.startswith(head):
            return kind
    raise ValidationError(f"unknown provider state {name!r} (field 'state')")


def _email(name: str, params: Json) -> str:
    email = params.get("email")
    if email is None:
        # "a user with email ada@example.com": the first word after the head.
        for head in HEADS:
            if name.startswith(head):
                rest = name[len(head) :].split(" ", 1)[0]
                email = rest if "@" in rest and "{" not in rest else None
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise ValidationError("params.email must be an email address (field 'params.email')")
    return email or DEFAULT_EMAIL


def change(state: MockState, app: App, name: str, params: Json, action: str) -> Json:
    """Set up or tear down the state ``name``; returns the values it provides."""
    kind = kind_of(name)
    email = _email(name, params)
    if action == "teardown":
        return _teardown(state, app, kind, email)
    user = shortcuts.user_for(state, app, email=email)
    if kind == "user":
        return {"user_id": user.user_id, "email": email}
    if kind in ("live_session", "deleted_session", "expired_session"):
        minutes = EXPIRED_MINUTES if kind == "expired_session" else SESSION_MINUTES
        issued, user = shortcuts.login(state, app, user, minutes=minutes)
        fields = session_fields(issued)
        values = {
            "session_token": str(fields.get("session_token", "")),
            "session_jwt": str(fields.get("session_jwt", "")),
            "session_id": str(fields.get("session", {}).get("id", "")),
            "user_id": user.user_id,
            "email": email,
        }
        if kind == "deleted_session":
            browse.revoke(state, app, values["session_id"])
        if kind == "expired_session":
            _clock_move(state, (EXPIRED_MINUTES + 1) * 60)
        return values
    if kind == "magic_link_sent":
        link = magic_links.login_or_create(state, app, {"email": email})
        return {"token": link.magic.token, "user_id": link.user.user_id, "email": email}
    if kind == "otp_sent":
        sent = otps.send(state, app, otps.EMAIL, {"email": email}, create=True)
        messages = state.outbox.messages(to=email, kind="otp")
        code = messages[0].code if messages else ""
        return {
            "email_id": sent.method_id,
            "method_id": sent.method_id,
            "code": code or "",
            "user_id": sent.user.user_id,
            "email": email,
        }
    made = totps.create(state, app, {"user_id": user.user_id})
    now = state.now()
    step = totps.step_at(now)
    totps.verify(
        state, app, {"user_id": user.user_id, "totp": totps.code_at(made.totp.secret, step)}
    )
    return {
        "totp_id": made.totp.id,
        "code": totps.code_at(made.totp.secret, step + 1),
        "user_id": user.user_id,
        "email": email,
    }


def _clock_move(state: MockState, seconds: float) -> None:
    state.clock.shift(datetime.timedelta(seconds=seconds))


def _teardown(state: MockState, app: App, kind: str, email: str) -> Json:
    user = shortcuts.find_user(state, app, email=email)
    if user is not None:
        browse.delete_user(state, app, user.user_id)
    if kind == "expired_session":
        _clock_move(state, -(EXPIRED_MINUTES + 1) * 60)
    return {}


def read_change(body: Json, query: Json) -> list[tuple[str, Json, str]]:
    """The state changes of a Pact body (``state`` or ``states``) or query; 400 naming a field."""
    source = body if body else query
    action = source.get("action", "setup")
    if action not in ("setup", "teardown"):
        raise ValidationError("action must be 'setup' or 'teardown' (field 'action')")
    params = source.get("params", {})
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            raise ValidationError("params must be a JSON object (field 'params')") from None
    if not isinstance(params, dict):
        raise ValidationError("params must be a JSON object (field 'params')")
    extra = {k: v for k, v in query.items() if k not in ("state", "action", "params", "app_id")}
    params = {**extra, **params} if not body else params
    if "states" in source:
        names = source["states"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValidationError("states must be a list of state names (field 'states')")
        return [(n, dict(params), action) for n in names]
    name = source.get("state")
    if not isinstance(name, str) or not name:
        raise ValidationError("state is required: the provider state's name (field 'state')")
    return [(name, dict(params), action)]
