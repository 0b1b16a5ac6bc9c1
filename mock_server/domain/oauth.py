"""OAuth: begin, the fake provider's consent, the MoonKey callback, tokens and verify (§8).

Flow: begin stores a pending login under ``state=<provider>-<random>`` and answers the fake
provider's authorize URL; the provider page (``mock_server.idp``) records consent (an identity
and a code) or denial; the fake MoonKey callback exchanges the code for a 64-character internal
OAuth token (:func:`mint_token`) and sends the browser to the app's login or registration URL
with ``?token=``; VerifyOAuthToken redeems it once. Pending logins and tokens live 10 minutes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mock_server.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidOauthToken,
    InvalidState,
    RedirectUriMismatch,
    SessionUserMismatch,
    UnsupportedProvider,
    UnsupportedResponseType,
    ValidationError,
)
from mock_server.models import App, Factor, IdpLink, OAuthState, OAuthToken, User
from mock_server.state import MockState

from . import redirects, sessions, users
from .providers import PROVIDERS, TOKEN_PREFIXES, Provider
from .sessions import Issued

STATE_SECONDS = 600
TOKEN_SECONDS = 600
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def known_provider(name: str) -> Provider:
    """The provider called ``name``, else 400 ``unsupported_provider``."""
    found = PROVIDERS.get(name)
    if found is None:
        known = ", ".join(PROVIDERS)
        raise UnsupportedProvider(f"Unknown provider '{name}'; known: {known}")
    return found


def callback_url(base_url: str, name: str) -> str:
    """The fake MoonKey callback the provider redirects to (the real flow's ``redirect_uri``)."""
    return f"{base_url.rstrip('/')}/v1/auth/oauth/{name}/callback"


def begin(state: MockState, app: App, name: str, query: Mapping[str, Any], base_url: str) -> str:
    """Store a pending login and return the fake provider's authorize URL (Reference §8.1).

    A missing redirect URL falls back to the app default, then to the other one given; none
    at all → 400 ``missing_redirect_url``.
    """
    idp = known_provider(name)
    login_q = query.get("login_redirect_url")
    registration_q = query.get("registration_redirect_url")
    login = redirects.target(app, login_q, app.default_redirect_url, registration_q)
    registration = redirects.target(app, registration_q, app.default_redirect_url, login_q)
    now = state.now_ts()
    pending = OAuthState(
        state=f"{idp.name}-{state.ids.chars(32)}",
        app_id=app.app_id,
        provider=idp.name,
        redirect_uri=callback_url(base_url, idp.name),
        login_redirect_url=login,
        registration_redirect_url=registration,
        created_at=now,
        expires_at=now + STATE_SECONDS,
    )
    state.store.put_oauth_state(pending)
    return idp.authorize_url(
        base_url,
        client_id=idp.client_id(app.app_id),
        redirect_uri=pending.redirect_uri,
        state=pending.state,
    )


def _invalid_state(message: str) -> InvalidState:
    return InvalidState(message)


def find_pending(state: MockState, name: str, value: str | None) -> tuple[App, OAuthState]:
    """The app and unanswered pending login of ``state=value`` for provider ``name``."""
    if not value:
        raise _invalid_state("Missing the state parameter")
    for app in state.store.apps():
        pending = state.store.get_oauth_state(app.app_id, value)
        if pending is None:
            continue
        if pending.provider != name:
            raise _invalid_state(f"This state belongs to {pending.provider}, not {name}")
        if pending.expires_at <= state.now():
            raise _invalid_state("The login has expired; begin it again")
        return app, pending
    raise _invalid_state("Unknown or already used state; begin the login again")


def authorization(
    state: MockState, name: str, params: Mapping[str, str]
) -> tuple[App, OAuthState, Provider]:
    """Check an authorize request as the provider would: state, client, redirect URI, type."""
    idp = known_provider(name)
    app, pending = find_pending(state, idp.name, params.get("state"))
    if pending.code or pending.error:
        raise _invalid_state("This login was already answered; begin it again")
    if params.get("client_id") != idp.client_id(app.app_id):
        raise InvalidClient()
    if params.get("redirect_uri") != pending.redirect_uri:
        raise RedirectUriMismatch()
    if params.get("response_type") != "code":
        raise UnsupportedResponseType()
    return app, pending, idp


def consent(state: MockState, pending: OAuthState, *, email: str, name: str, subject: str) -> str:
    """Record the identity the person consented with; the URL of the MoonKey callback."""
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"'{email}' is not an email address")
    code = state.ids.chars(40)
    state.store.put_oauth_state(
        replace(pending, code=code, email=email, name=name, provider_subject=subject)
    )
    return redirects.with_query(pending.redirect_uri, {"code": code, "state": pending.state})


def deny(state: MockState, pending: OAuthState) -> str:
    """Record the refusal; the URL of the MoonKey callback with ``error=access_denied``."""
    state.store.put_oauth_state(replace(pending, error="access_denied"))
    params = {
        "error": "access_denied",
        "error_description": "The user denied access",
        "state": pending.state,
    }
    return redirects.with_query(pending.redirect_uri, params)


def callback(state: MockState, name: str, params: Mapping[str, str]) -> str:
    """The fake MoonKey callback: the app URL with ``?token=`` (or the provider's error)."""
    idp = known_provider(name)
    with state.store.atomic():
        app, pending = find_pending(state, idp.name, params.get("state"))
        if params.get("error"):
            state.store.take_oauth_state(app.app_id, pending.state)
            error = {
                "error": params["error"],
                "error_description": params.get("error_description", params["error"]),
            }
            return redirects.with_query(pending.login_redirect_url, error)
        if not pending.code or params.get("code") != pending.code:
            raise InvalidGrant()
        state.store.take_oauth_state(app.app_id, pending.state)
        token = mint_token(
            state,
            app,
            provider=idp.name,
            email=pending.email,
            name=pending.name,
            provider_subject=pending.provider_subject or None,
        )
    url = pending.registration_redirect_url if token.user_created else pending.login_redirect_url
    return redirects.with_query(url, {"token": token.token})


def mint_token(
    state: MockState,
    app: App,
    *,
    provider: str,
    email: str,
    name: str = "",
    provider_subject: str | None = None,
) -> OAuthToken:
    """An internal OAuth token for an identity, as if the person had consented on the page.

    The user is the one already linked to (provider, subject), else the one with ``email``
    (the identity gets linked), else a new ``pending`` user named ``name``. Without a subject,
    an existing link of the email's user is reused, else one is derived from the email.
    """
    idp = known_provider(provider)
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"'{email}' is not an email address")
    now = state.now_ts()
    with state.store.atomic():
        user, created = _user_for(state, app, idp, email, name, provider_subject)
        link = _link(state, user, idp, provider_subject, email)
        email_record = next((e for e in user.emails if e.email.lower() == email.lower()), None)
        access, refresh = TOKEN_PREFIXES.get(idp.name, ("", ""))
        token = OAuthToken(
            token=state.ids.session_token(),
            app_id=app.app_id,
            user_id=user.user_id,
            provider=idp.name,
            provider_subject=link.provider_subject,
            idp_link_id=link.id,
            created_at=now,
            expires_at=now + TOKEN_SECONDS,
            access_token=access + state.ids.chars(64),
            refresh_token=refresh + state.ids.chars(64),
            email_id=email_record.id if email_record else "",
            user_created=created,
        )
        state.store.put_oauth_token(token)
    return token


def _user_for(
    state: MockState, app: App, idp: Provider, email: str, name: str, subject: str | None
) -> tuple[User, bool]:
    by_email = state.store.user_by_email(app.app_id, email)
    if subject is None and by_email is not None:
        return by_email, False
    wanted = subject or idp.default_subject(email)
    for user in state.store.users(app.app_id):
        if any(_same(link, idp.name, wanted) for link in user.idp_providers):
            return user, False
    if by_email is not None:
        return by_email, False
    first, _, last = name.strip().partition(" ")
    user = users.new_user(state, app, email=email, status="pending", names=(first, "", last))
    return user, True


def _same(link: IdpLink, provider: str, subject: str) -> bool:
    return link.provider == provider and link.provider_subject == subject


def _link(state: MockState, user: User, idp: Provider, subject: str | None, email: str) -> IdpLink:
    """The user's link for this provider identity, added when new."""
    mine = [link for link in user.idp_providers if link.provider == idp.name]
    if subject is None and mine:
        return mine[0]
    wanted = subject or idp.default_subject(email)
    for link in mine:
        if link.provider_subject == wanted:
            return link
    now = state.now_ts()
    link = IdpLink(state.ids.new("idpuser_"), idp.name, wanted, now, now)
    state.store.put_user(replace(user, idp_providers=(*user.idp_providers, link), updated_at=now))
    return link


def verify(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, OAuthToken, Issued]:
    """VerifyOAuthToken: redeem the token once (``token`` or ``code``, D4), then the session."""
    with state.store.atomic():
        existing = sessions.credential(state, app, body)
        oauth = state.store.take_oauth_token(app.app_id, body.get("token", body.get("code", "")))
        if oauth is None:
            raise InvalidOauthToken()
        if oauth.expires_at <= state.now():
            raise InvalidOauthToken("The OAuth token has expired; begin the login again")
        user = state.store.get_user(app.app_id, oauth.user_id)
        if user is None:
            raise InvalidOauthToken("The OAuth token's user no longer exists")
        if existing is not None and existing.user_id != user.user_id:
            state.store.put_oauth_token(oauth)  # a refused attempt does not burn the token
            raise SessionUserMismatch()
        user = users.mark_verified(state, user, oauth.email_id)
        factor = Factor(
            delivery_channel=f"{oauth.provider}_oauth",
            type="oauth",
            method_id=oauth.idp_link_id,
            method_type="oauth",
            last_verified_at=state.now_ts(),
            details=(("provider_subject", oauth.provider_subject),),
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return user, oauth, issued
