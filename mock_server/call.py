"""What a handler gets (:class:`Call`) and returns (:class:`Reply`), and shared answer shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .domain.sessions import Issued
from .models import App, Json, User

if TYPE_CHECKING:
    from .state import MockState


@dataclass(frozen=True)
class Raw:
    """An answer sent as it is, not as JSON: its bytes and their media type."""

    data: bytes
    media_type: str


@dataclass(frozen=True)
class Reply:
    """A handler's answer: status, JSON body and extra headers (``raw``: sent as it is)."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: Raw | None = None


@dataclass(frozen=True)
class Call:
    """What a handler gets: the resolved app, the validated inputs and the request's origin."""

    state: MockState
    app: App
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
