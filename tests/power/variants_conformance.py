"""Broken variants for the rules of ``conformance/test_session_objects.py`` (issue 19).

Each gets one documented detail wrong that the older rules let through: an id's prefix, a
token's length, a timestamp's unit, a field of the Session object, the order of a list within
one second, the passcode's length, the refresh of ``last_active_at``; and for
``conformance/test_login_records.py``: ``user_created``, VerifyOtp's ``method_type``, the
verified flag of an email, DeleteUser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from mock_server import call
from mock_server.domain import otps, sessions, users
from mock_server.handlers import otps as otp_handlers
from mock_server.ids import Ids
from mock_server.models import Session

Variant = Callable[[pytest.MonkeyPatch], None]  # as in tests/power/variants.py
MILLIS = 1000


def session_ids_use_the_guides_prefix(mp: pytest.MonkeyPatch) -> None:
    """Session ids are ``session_…`` (the guide's example) instead of ``sess_…``."""
    original = Ids.new

    def new(self: Ids, prefix: str) -> str:
        return original(self, "session_" if prefix == "sess_" else prefix)

    mp.setattr(Ids, "new", new)


def short_session_tokens(mp: pytest.MonkeyPatch) -> None:
    """Session tokens of 32 characters instead of 64."""
    mp.setattr(Ids, "session_token", lambda self: self.chars(32))


def timestamps_in_milliseconds(mp: pytest.MonkeyPatch) -> None:
    """``started_at`` and ``updated_at`` in milliseconds (the other ``*_at`` stay seconds)."""
    original = Session.to_json

    def to_json(self: Session, *, include_token: bool = True) -> Any:
        body = dict(original(self, include_token=include_token))
        for name in ("started_at", "updated_at"):
            body[name] = body[name] * MILLIS
        return body

    mp.setattr(Session, "to_json", to_json)


def session_without_factors(mp: pytest.MonkeyPatch) -> None:
    """The Session object lacks ``factors``."""
    original = Session.to_json

    def to_json(self: Session, *, include_token: bool = True) -> Any:
        body = dict(original(self, include_token=include_token))
        body.pop("factors", None)
        return body

    mp.setattr(Session, "to_json", to_json)


def list_oldest_login_first_within_a_second(mp: pytest.MonkeyPatch) -> None:
    """ListSessions orders by ``created_at`` only: logins of one second come oldest first."""
    original = sessions.active_for_user

    def active_for_user(state: Any, app: Any, user_id: str) -> list[Session]:
        listed = original(state, app, user_id)
        return sorted(reversed(listed), key=lambda s: s.created_at, reverse=True)

    mp.setattr(sessions, "active_for_user", active_for_user)


def eight_digit_passcodes(mp: pytest.MonkeyPatch) -> None:
    """Email and SMS passcodes have eight digits instead of six."""
    original = Ids.otp
    mp.setattr(Ids, "otp", lambda self, length: original(self, 8))


def verify_keeps_last_active_at(mp: pytest.MonkeyPatch) -> None:
    """VerifySession answers with the session's ``last_active_at`` of its login."""
    original = sessions.verify

    def verify(state: Any, app: Any, **kwargs: Any) -> Any:
        issued, user = original(state, app, **kwargs)
        if issued.session is not None:
            stale = dataclasses.replace(issued.session, last_active_at=issued.session.started_at)
            issued = dataclasses.replace(issued, session=stale)
        return issued, user

    mp.setattr(sessions, "verify", verify)


def always_user_created(mp: pytest.MonkeyPatch) -> None:
    """LoginOrCreateUserByEmailOtp says ``user_created: true`` for a known address too."""
    original = otps.send

    def send(*args: Any, **kwargs: Any) -> otps.Sent:
        return dataclasses.replace(original(*args, **kwargs), created=True)

    mp.setattr(otps, "send", send)


def verify_otp_wrong_method_type(mp: pytest.MonkeyPatch) -> None:
    """VerifyOtp answers ``method_type: "otp"`` (the factor's type) instead of ``email``."""
    original = call.auth_verify_body

    def auth_verify_body(*args: Any, **kwargs: Any) -> Any:
        return {**original(*args, **kwargs), "method_type": "otp"}

    mp.setattr(otp_handlers, "auth_verify_body", auth_verify_body)


def email_never_verified(mp: pytest.MonkeyPatch) -> None:
    """A passcode login leaves the email ``verified: false`` (and the user pending)."""
    mp.setattr(users, "mark_verified", lambda state, user, method_id: user)


def delete_user_does_nothing(mp: pytest.MonkeyPatch) -> None:
    """DeleteUser answers 200 but the user stays."""

    def delete(state: Any, app: Any, user_id: str) -> Any:
        return users.get(state, app, user_id)

    mp.setattr(users, "delete", delete)


VARIANTS: dict[str, Variant] = {
    "session ids use the prefix session_": session_ids_use_the_guides_prefix,
    "session tokens have 32 characters": short_session_tokens,
    "started_at and updated_at in milliseconds": timestamps_in_milliseconds,
    "the session object lacks factors": session_without_factors,
    "a second's logins are listed oldest first": list_oldest_login_first_within_a_second,
    "passcodes have eight digits": eight_digit_passcodes,
    "VerifySession does not refresh last_active_at": verify_keeps_last_active_at,
    "user_created is always true": always_user_created,
    "VerifyOtp answers method_type otp": verify_otp_wrong_method_type,
    "an OTP login does not verify the email": email_never_verified,
    "DeleteUser deletes nothing": delete_user_does_nothing,
}
