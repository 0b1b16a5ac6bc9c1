"""What a login hands back: :class:`SessionTokens` (also importable from ``conformance.fake``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SessionTokens:
    """A live session, as a login or the session shortcut returned it.

    Attributes:
        session_token: the opaque token your app's ``session-token`` header carries.
        session_jwt: the RS256 session JWT.
        user_id: the user's id (``user_…``).
        session: the session object (``id``, ``expires_at``, ``device_info``, …).
        user: the user object.
    """

    session_token: str
    session_jwt: str
    user_id: str
    session: dict[str, Any]
    user: dict[str, Any]

    @property
    def session_id(self) -> str:
        """The session's id (``sess_…``), what DeleteSession's ``session_id`` takes."""
        return str(self.session.get("id", ""))

    @property
    def headers(self) -> dict[str, str]:
        """``{"session-token": …}``: the header the seed's middleware reads."""
        return {"session-token": self.session_token}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> SessionTokens:
        """Read a VerifyOtp answer (or the control API's ``POST /_mock/sessions`` answer)."""
        user = dict(body.get("user") or {})
        return cls(
            session_token=str(body.get("session_token", "")),
            session_jwt=str(body.get("session_jwt", "")),
            user_id=str(body.get("user_id") or user.get("user_id") or user.get("id", "")),
            session=dict(body.get("session") or {}),
            user=user,
        )
