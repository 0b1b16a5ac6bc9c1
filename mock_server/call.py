"""What a handler returns, and the JSON shapes several handlers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .domain.sessions import Issued
from .models import Json, User


@dataclass(frozen=True)
class Reply:
    """A handler's answer: status, JSON body and extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """What a handler gets: the resolved app, the validated inputs and the request's origin."""

    state: Any
    app: Any
    body: Json
    query: Json
    path: dict[str, str]
    ip: str
    user_agent: str
    base_url: str


def session_fields(issued: Issued) -> Json:
    """``session_token``, ``session_jwt`` and ``session`` ("" / null when none was made, D2)."""
    return {
        "session_token": issued.token,
        "session_jwt": issued.jwt,
        "session": issued.session.to_json() if issued.session else None,
    }


def auth_verify_body(user: User, method_id: str, method_type: str, issued: Issued) -> Json:
    """The reference's auth-verify fields plus the seed's ``user`` (D6)."""
    return {
        "method_id": method_id,
        "method_type": method_type,
        "user_id": user.user_id,
        **session_fields(issued),
        "user": user.to_json(),
    }
