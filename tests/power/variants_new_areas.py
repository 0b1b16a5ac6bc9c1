"""Broken variants for the rules of issue 25: TOTP window, password case, SIWE domain, step-up,
device_info; and the decisions T3, T11, W6 the suite now checks.

Each is caught by one named rule (``CAUGHT_BY``: variant → the conformance test that must fail);
the power test checks that test is among the failures, not just that something failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.domain import passwords, sessions, totps, wallets
from mock_server.errors import DuplicateTotp
from mock_server.models import Session, User

Variant = Callable[[pytest.MonkeyPatch], None]


def totp_window_ten_steps(mp: pytest.MonkeyPatch) -> None:
    """VerifyTOTP accepts codes up to 10 steps (5 minutes) away, either way."""
    mp.setattr(totps, "WINDOW", 10)


def totp_window_two_steps(mp: pytest.MonkeyPatch) -> None:
    """VerifyTOTP accepts codes 2 steps away: RFC 6238 allows it, the fake's T2 does not."""
    mp.setattr(totps, "WINDOW", 2)


def password_case_insensitive(mp: pytest.MonkeyPatch) -> None:
    """VerifyPassword ignores case (the password with its case changed matches)."""
    original = passwords._matches

    def matches(hashed: str, password: str) -> bool:
        return any(original(hashed, p) for p in (password, password.swapcase(), password.lower()))

    mp.setattr(passwords, "_matches", matches)


def siwe_domain_ignored(mp: pytest.MonkeyPatch) -> None:
    """SIWE verify ignores the app's allowed domains (the times are still checked)."""
    original = wallets._check_siwe

    def check(state: Any, app: Any, message: Any) -> None:
        original(state, dataclasses.replace(app, siwe_domains=()), message)

    mp.setattr(wallets, "_check_siwe", check)


def step_up_by_other_user(mp: pytest.MonkeyPatch) -> None:
    """A factor of user B steps up user A's session (no session/user check)."""
    credential, authenticate = sessions.credential, sessions.authenticate

    def any_owner(state: Any, app: Any, body: Any, *, owner_id: str | None = None) -> Any:
        return credential(state, app, body)

    def onto_session_owner(state: Any, app: Any, user: Any, factor: Any, **kwargs: Any) -> Any:
        existing = kwargs.get("existing")
        if existing is not None and existing.user_id != user.user_id:
            user = state.store.get_user(app.app_id, existing.user_id) or user
        return authenticate(state, app, user, factor, **kwargs)

    mp.setattr(sessions, "credential", any_owner)
    mp.setattr(sessions, "authenticate", onto_session_owner)


def step_up_keeps_token(mp: pytest.MonkeyPatch) -> None:
    """A step-up adding a factor leaves the old session_token working (no new token)."""
    original = sessions._extend

    def extend(state: Any, session: Session, *args: Any) -> Session:
        return dataclasses.replace(original(state, session, *args), token=session.token)

    mp.setattr(sessions, "_extend", extend)


def step_up_always_rotates(mp: pytest.MonkeyPatch) -> None:
    """Every step-up issues a new session_token, also when the factor was already proven."""
    original = sessions._extend

    def extend(state: Any, session: Session, *args: Any) -> Session:
        return dataclasses.replace(original(state, session, *args), token=state.ids.session_token())

    mp.setattr(sessions, "_extend", extend)


def no_device_info(mp: pytest.MonkeyPatch) -> None:
    """Sessions lack the seed's ``device_info`` object."""
    original = Session.to_json

    def to_json(self: Session, *, include_token: bool = True) -> Any:
        body = dict(original(self, include_token=include_token))
        body.pop("device_info", None)
        return body

    mp.setattr(Session, "to_json", to_json)


def second_totp_replaces_verified(mp: pytest.MonkeyPatch) -> None:
    """CreateTOTP while a verified TOTP exists replaces it (no 409 duplicate_totp)."""
    original = totps.create

    def create(state: Any, app: Any, body: Any) -> Any:
        try:
            return original(state, app, body)
        except DuplicateTotp:
            user = state.store.get_user(app.app_id, body["user_id"])
            state.store.put_user(dataclasses.replace(user, totps=()))
            return original(state, app, body)

    mp.setattr(totps, "create", create)


def has_password_always_false(mp: pytest.MonkeyPatch) -> None:
    """The User says ``has_password: false`` even with a password set."""
    original = User.to_json

    def to_json(self: User) -> Any:
        return {**original(self), "has_password": False}

    mp.setattr(User, "to_json", to_json)


def wallet_verify_always_issues_session(mp: pytest.MonkeyPatch) -> None:
    """A wallet verify issues a session even without ``session_expires_in``."""
    original = wallets._complete

    def complete(state: Any, app: Any, registration: Any, user: Any, body: Any, *rest: Any) -> Any:
        return original(state, app, registration, user, {"session_expires_in": 60, **body}, *rest)

    mp.setattr(wallets, "_complete", complete)


VARIANTS: dict[str, Variant] = {
    "a TOTP code 5 minutes away is accepted": totp_window_ten_steps,
    "a TOTP code 2 steps away is accepted": totp_window_two_steps,
    "VerifyPassword ignores case": password_case_insensitive,
    "SIWE ignores the allowed domains": siwe_domain_ignored,
    "another user's factor steps up a session": step_up_by_other_user,
    "a step-up keeps the old session_token": step_up_keeps_token,
    "sessions lack device_info": no_device_info,
    "CreateTOTP replaces a verified TOTP": second_totp_replaces_verified,
    "the User never says has_password": has_password_always_false,
    "a wallet verify always issues a session": wallet_verify_always_issues_session,
    "a re-proven factor rotates the token": step_up_always_rotates,
}

CAUGHT_BY: dict[str, str] = {
    "a TOTP code 5 minutes away is accepted": "test_verify_totp_refuses_distant_steps",
    "a TOTP code 2 steps away is accepted": "test_verify_totp_window_is_one_step",
    "VerifyPassword ignores case": "test_verify_password_is_case_sensitive",
    "SIWE ignores the allowed domains": "test_verify_siwe_other_domain_is_refused",
    "another user's factor steps up a session": "test_step_up_with_other_users_factor_refused",
    "a step-up keeps the old session_token": "test_step_up_rotates_session_token",
    "sessions lack device_info": "test_sessions_carry_device_info",
    "CreateTOTP replaces a verified TOTP": "test_create_totp_twice_is_duplicate",
    "the User never says has_password": "test_user_has_password",
    "a wallet verify always issues a session": "test_verify_wallet_without_session_request",
    "a re-proven factor rotates the token": "test_step_up_known_factor_keeps_token",
}

SUITE_FILES: dict[str, tuple[str, ...]] = {
    "a TOTP code 5 minutes away is accepted": ("test_totp.py",),
    "a TOTP code 2 steps away is accepted": ("test_totp.py",),
    "VerifyPassword ignores case": ("test_passwords.py",),
    "SIWE ignores the allowed domains": ("test_wallets.py",),
    "another user's factor steps up a session": ("test_step_up.py",),
    "a step-up keeps the old session_token": ("test_step_up.py",),
    "sessions lack device_info": ("test_step_up.py", "test_session_objects.py"),
    "CreateTOTP replaces a verified TOTP": ("test_totp.py",),
    "the User never says has_password": ("test_passwords.py",),
    "a wallet verify always issues a session": ("test_wallets.py",),
    "a re-proven factor rotates the token": ("test_step_up.py",),
}
