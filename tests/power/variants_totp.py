"""Broken variants for Update User, the deletes, TOTP and passwords (issue 11).

Each breaks one rule of ``conformance/test_totp.py``, ``test_passwords.py`` or
``test_users_update.py`` (decisions T1-T14), by patching the domain modules; mock_server itself is
never edited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.domain import passwords, totps, user_updates
from mock_server.errors import InvalidPassword
from mock_server.models import Totp

Variant = Callable[[pytest.MonkeyPatch], None]


def totp_code_reusable(mp: pytest.MonkeyPatch) -> None:
    """A TOTP code is accepted again within its step (no single use)."""
    original = totps._matching_step

    def matching_step(totp: Totp, code: str, now: float) -> int | None:
        return original(dataclasses.replace(totp, last_step=-1), code, now)

    mp.setattr(totps, "_matching_step", matching_step)


def recovery_codes_reusable(mp: pytest.MonkeyPatch) -> None:
    """Recovery codes work more than once (and are never struck off the list)."""
    mp.setattr(totps, "unused_codes", lambda totp: list(totp.recovery_codes))


def totp_starts_new_session(mp: pytest.MonkeyPatch) -> None:
    """VerifyTOTP ignores the session credential: a new session instead of a step-up."""
    original = totps.verify

    def verify(state: Any, app: Any, body: dict[str, Any]) -> Any:
        kept = {k: v for k, v in body.items() if k not in {"session_token", "session_jwt"}}
        return original(state, app, kept)

    mp.setattr(totps, "verify", verify)


def pending_totp_never_expires(mp: pytest.MonkeyPatch) -> None:
    """An unverified TOTP can still be activated after its ``expires_in``."""
    mp.setattr(totps, "live", lambda state, user: user)


def any_password_accepted(mp: pytest.MonkeyPatch) -> None:
    """VerifyPassword accepts any password once one is set."""
    mp.setattr(passwords, "_matches", lambda hashed, password: True)


def wrong_passwords_not_counted(mp: pytest.MonkeyPatch) -> None:
    """Wrong passwords are refused but never lock the password."""

    def count_failure(state: Any, app: Any, user: Any, record: Any, now: int) -> None:
        raise InvalidPassword("The password is not correct")

    mp.setattr(passwords, "_count_failure", count_failure)


class _PlainHasher:
    """Stores the password itself."""

    def hash(self, password: str) -> str:
        return password

    def verify(self, hashed: str, password: str) -> bool:
        return hashed == password


def password_stored_in_plain_text(mp: pytest.MonkeyPatch) -> None:
    """The password is stored (and exported) as it was sent."""
    mp.setattr(passwords, "HASHER", _PlainHasher())


def update_replaces_emails(mp: pytest.MonkeyPatch) -> None:
    """UpdateUser replaces the user's emails with the ones sent instead of attaching them."""
    original = user_updates._attach_emails

    def attach(state: Any, app: Any, user: Any, sent: Any, now: int) -> Any:
        _, named = original(state, app, user, sent, now)
        return tuple(named), named

    mp.setattr(user_updates, "_attach_emails", attach)


def delete_email_does_nothing(mp: pytest.MonkeyPatch) -> None:
    """DeleteUserEmail answers 200 but the email stays."""

    def delete_email(state: Any, app: Any, email_id: str) -> Any:
        user = state.store.user_by_method(app.app_id, email_id)
        if user is None:
            return user_updates.delete_phone_number(state, app, email_id)
        return user

    mp.setattr(user_updates, "delete_email", delete_email)


VARIANTS: dict[str, Variant] = {
    "a TOTP code works twice": totp_code_reusable,
    "recovery codes work twice": recovery_codes_reusable,
    "a TOTP verify starts a new session": totp_starts_new_session,
    "a pending TOTP never expires": pending_totp_never_expires,
    "any password is accepted": any_password_accepted,
    "wrong passwords never lock": wrong_passwords_not_counted,
    "the password is stored in plain text": password_stored_in_plain_text,
    "UpdateUser replaces the emails": update_replaces_emails,
    "DeleteUserEmail deletes nothing": delete_email_does_nothing,
}
