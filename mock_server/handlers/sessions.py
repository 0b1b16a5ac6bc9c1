"""Handlers of the ``sessions`` tag."""

from __future__ import annotations

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import sessions
from mock_server.errors import AppNotFound


def verify_session(call: Call) -> Reply:
    """POST /v1/auth/sessions/verify (D5)."""
    body = call.body
    issued, user = sessions.verify(
        call.state,
        call.app,
        token=body.get("session_token"),
        jwt=body.get("session_jwt"),
        minutes=body.get("session_expires_in"),
    )
    return Reply({**session_fields(issued), "user": user.to_json()})


def list_sessions(call: Call) -> Reply:
    """GET /v1/auth/sessions/list?user_id= (D14)."""
    found = sessions.active_for_user(call.state, call.app, call.query["user_id"])
    return Reply({"sessions": [s.to_json() for s in found]})


def delete_session(call: Call) -> Reply:
    """DELETE /v1/auth/sessions/delete (D13)."""
    body = call.body
    sessions.delete(
        call.state,
        call.app,
        token=body.get("session_token"),
        jwt=body.get("session_jwt"),
        session_id=body.get("session_id"),
    )
    return Reply({"message": "Successfully deleted session"})


def get_jwks(call: Call) -> Reply:
    """GET /v1/auth/jwks/default (D12)."""
    return Reply(call.state.keys.jwks(call.state.now()))


def get_jwks_by_app(call: Call) -> Reply:
    """GET /v1/auth/jwks/{app_id}: only the caller's own app (D12)."""
    if call.path["app_id"] != call.app.app_id:
        raise AppNotFound(f"No app '{call.path['app_id']}' for this API key")
    return Reply(call.state.keys.jwks(call.state.now()))
