"""Sessions, users and OAuth tokens without a login flow (control API shortcuts, seeding).

A minted session is what a successful email passcode login makes (an SMS one for a user with
only a phone number): same factor, same session, same JWT. A minted OAuth token is what the
fake provider's consent page makes (``domain.oauth.mint_token``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mock_server.domain import oauth, sessions, users
from mock_server.domain.sessions import Issued
from mock_server.errors import DuplicateSessionToken, ValidationError
from mock_server.models import DEFAULT_SESSION_MINUTES, App, Device, Factor, User
from mock_server.state import MockState


def find_user(
    state: MockState,
    app: App,
    *,
    user_id: str | None = None,
    email: str | None = None,
    phone_number: str | None = None,
) -> User | None:
    """The user named by id, email or phone number (404 for an unknown id)."""
    if user_id is not None:
        return users.get(state, app, user_id)
    if email is not None:
        return state.store.user_by_email(app.app_id, email)
    if phone_number is not None:
        return state.store.user_by_phone(app.app_id, phone_number)
    raise ValidationError("Send exactly one of 'user_id', 'email', 'phone_number'")


def user_for(
    state: MockState,
    app: App,
    *,
    user_id: str | None = None,
    email: str | None = None,
    phone_number: str | None = None,
) -> User:
    """The named user; a new active one for an unknown email or phone number."""
    with state.store.atomic():
        user = find_user(state, app, user_id=user_id, email=email, phone_number=phone_number)
        if user is None:
            user = users.new_user(state, app, email=email, phone_number=phone_number)
    return user


def login(
    state: MockState,
    app: App,
    user: User,
    *,
    minutes: int | None = None,
    verify: bool = True,
    token: str | None = None,
) -> tuple[Issued, User]:
    """A new session for ``user`` by an email (else SMS) passcode factor.

    Args:
        minutes: session length (default: the app's default, else 10,080).
        verify: mark the method verified and the user active, as a real login does.
        token: a fixed session token instead of a random one.
    """
    factor = _factor(state, user)
    length = minutes or app.default_session_minutes or DEFAULT_SESSION_MINUTES
    with state.store.atomic():
        if token is not None and state.store.session_by_token(app.app_id, token) is not None:
            raise DuplicateSessionToken()
        if verify:
            user = users.mark_verified(state, user, factor.method_id)
        issued = sessions.authenticate(
            state, app, user, factor, minutes=length, existing=None, device=Device()
        )
        if token is not None and issued.session is not None:
            session = replace(issued.session, token=token)
            state.store.put_session(session)
            issued = Issued(session, token, sessions.sign(state, app, session))
    return issued, user


def _factor(state: MockState, user: User) -> Factor:
    now = state.now_ts()
    email, phone = user.primary_email, user.primary_phone
    if email is not None:
        details = (("email_id", email.id), ("email", email.email))
        return Factor("email", "otp", email.id, "email", now, details)
    if phone is not None:
        details = (("phone_number_id", phone.id), ("phone_number", phone.phone_number))
        return Factor("sms", "otp", phone.id, "phone_number", now, details)
    raise ValidationError(f"User '{user.user_id}' has no email or phone number to log in with")


def oauth_token(
    state: MockState,
    app: App,
    *,
    provider: str,
    email: str,
    name: str = "",
    provider_subject: str | None = None,
) -> dict[str, Any]:
    """A token for VerifyOAuthToken, as if ``email`` had consented at ``provider``."""
    token = oauth.mint_token(
        state, app, provider=provider, email=email, name=name, provider_subject=provider_subject
    )
    return {
        "token": token.token,
        "provider": token.provider,
        "provider_subject": token.provider_subject,
        "user_id": token.user_id,
        "email_id": token.email_id,
        "user_created": token.user_created,
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
    }
