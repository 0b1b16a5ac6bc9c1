"""Handlers of the ``passwords`` tag."""

from __future__ import annotations

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import passwords


def verify_password(call: Call) -> Reply:
    """POST /v1/auth/passwords/verify (T9, D19)."""
    user, issued = passwords.verify(call.state, call.app, call.body)
    return Reply({"user_id": user.user_id, **session_fields(issued), "user": user.to_json()})


def update_password_by_session(call: Call) -> Reply:
    """POST /v1/auth/passwords/session/update (T7)."""
    session, user = passwords.update_by_session(call.state, call.app, call.body)
    return Reply({"user_id": user.user_id, "session": session.to_json(), "user": user.to_json()})


def password_strength_check(call: Call) -> Reply:
    """POST /v1/auth/passwords/strength_check (T10)."""
    verdict = passwords.strength(call.body["password"])
    return Reply(
        {
            "score": verdict.score,
            "crack_time": verdict.crack_time,
            "crack_time_display": verdict.crack_time_display,
            "feedback": {"warning": verdict.warning, "suggestions": verdict.suggestions},
        }
    )
