"""Magic links: login-or-create, invite, embeddable tokens, status polling, verify (Reference §7).

A token is 48 base62 characters (D7), single-use, and expires after its minutes (default: the
app's ``magic_link_minutes``). Every link the fake "sends" lands in the outbox. A redeemed
embeddable token leaves an outcome that GetMagicLinkLoginStatus hands out once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mock_server.errors import (
    InvalidMagicToken,
    InvalidRequestOriginToken,
    SessionUserMismatch,
    UserHasNoEmail,
    UserNotFound,
)
from mock_server.models import App, Factor, MagicToken, User
from mock_server.outbox import Message
from mock_server.state import MockState

from . import redirects, sessions, users
from .otps import EMAIL
from .sessions import Issued

MINUTE = 60
ORIGIN_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class Sent:
    """What login_or_create or invite did."""

    user: User
    email_id: str
    created: bool
    magic: MagicToken


@dataclass(frozen=True)
class Status:
    """GetMagicLinkLoginStatus: ``pending`` or ``verified`` with credentials (else ``""``)."""

    user_id: str
    status: str
    session_token: str = ""
    session_jwt: str = ""


def login_or_create(state: MockState, app: App, body: dict[str, Any]) -> Sent:
    """Email a login link (existing user) or a registration link (new user)."""
    email = body["email"]
    login, registration = body.get("login_redirect_url"), body.get("registration_redirect_url")
    with state.store.atomic():
        user = state.store.user_by_email(app.app_id, email)
        if user is not None:
            base = redirects.target(app, login, app.default_redirect_url, registration)
            minutes = body.get("login_expires_in", body.get("expires_in"))
            kind = "login"
        else:
            base = redirects.target(app, registration, app.default_redirect_url, login)
            minutes = body.get("registration_expires_in", body.get("expires_in"))
            kind = "registration"
            needs = body.get("requires_verification", True)
            user = users.new_user(state, app, email=email, status="pending" if needs else "active")
        magic = _send(state, app, user, email, kind, base, minutes)
    return Sent(user, magic.email_id, kind == "registration", magic)


def invite(state: MockState, app: App, body: dict[str, Any]) -> Sent:
    """Email an invite link; a new invitee is a ``pending`` user with the names given."""
    email = body["email"]
    with state.store.atomic():
        base = redirects.target(app, body.get("invite_redirect_url"))
        user = state.store.user_by_email(app.app_id, email)
        created = user is None
        if user is None:
            names = (
                body.get("first_name", ""),
                body.get("middle_name", ""),
                body.get("last_name", ""),
            )
            user = users.new_user(state, app, email=email, status="pending", names=names)
        magic = _send(state, app, user, email, "invite", base, body.get("invite_expires_in"))
    return Sent(user, magic.email_id, created, magic)


def _send(
    state: MockState,
    app: App,
    user: User,
    email: str,
    kind: str,
    base: str,
    minutes: int | None,
) -> MagicToken:
    email_id, address = EMAIL.method(user, email)
    magic = _new_token(state, app, user, email_id, kind, minutes)
    state.store.put_magic_token(magic)
    state.outbox.add(
        Message(
            message_id=state.ids.new("msg_"),
            app_id=app.app_id,
            kind="invite" if kind == "invite" else "magic_link",
            channel="email",
            to=address,
            user_id=user.user_id,
            method_id=email_id,
            sent_at=magic.created_at,
            expires_at=magic.expires_at,
            token=magic.token,
            link=redirects.with_query(base, {"token": magic.token}),
        )
    )
    return magic


def _new_token(
    state: MockState,
    app: App,
    user: User,
    email_id: str,
    kind: str,
    minutes: int | None,
    origin: str = "",
) -> MagicToken:
    now = state.now_ts()
    length = int(minutes if minutes is not None else app.magic_link_minutes)
    return MagicToken(
        token=state.ids.magic_token(),
        app_id=app.app_id,
        user_id=user.user_id,
        email_id=email_id,
        kind=kind,
        created_at=now,
        expires_at=now + length * MINUTE,
        request_origin_token=origin,
    )


def create_embeddable(state: MockState, app: App, body: dict[str, Any]) -> MagicToken:
    """CreateEmbeddableMagicLink for an existing user (by ``user_id`` or ``email``); not sent."""
    with state.store.atomic():
        if "user_id" in body:
            user = users.get(state, app, body["user_id"])
            email = user.primary_email
            if email is None:
                raise UserHasNoEmail(
                    f"User '{user.user_id}' has no email address; a magic link needs one"
                )
            email_id = email.id
        else:
            found = state.store.user_by_email(app.app_id, body["email"])
            if found is None:
                raise UserNotFound(f"No user with email '{body['email']}' in this app")
            user, email_id = found, EMAIL.method(found, body["email"])[0]
        origin = state.ids.chars(ORIGIN_TOKEN_LENGTH)
        magic = _new_token(state, app, user, email_id, "embedded", body.get("expires_in"), origin)
        state.store.put_magic_token(magic)
    return magic


def login_status(state: MockState, app: App, email_id: str, origin: str) -> Status:
    """Poll by ``request_origin_token``: pending until verified, then the credentials once."""
    with state.store.atomic():
        pending = state.store.magic_by_origin(app.app_id, origin)
        if pending is not None and pending.email_id == email_id:
            if pending.expires_at <= state.now():
                raise InvalidRequestOriginToken(
                    "The magic link of this request_origin_token expired before it was used"
                )
            return Status(pending.user_id, "pending")
        done = state.store.take_magic_outcome(app.app_id, origin)
        if done is None or done.email_id != email_id:
            if done is not None:
                state.store.put_magic_outcome(done)
            raise InvalidRequestOriginToken()
        session = state.store.get_session(app.app_id, done.session_id)
        if session is None or session.expired(state.now()):
            return Status(done.user_id, "verified")
        return Status(done.user_id, "verified", session.token, sessions.sign(state, app, session))


def verify(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, str, Issued]:
    """VerifyMagicToken: redeem the token once, verify the email, create or extend a session."""
    with state.store.atomic():
        existing = sessions.credential(state, app, body)
        magic = _redeem(state, app, body["token"])
        user = state.store.get_user(app.app_id, magic.user_id)
        address = _address(user, magic.email_id)
        if user is None or address is None:
            raise InvalidMagicToken("The magic link's user or email no longer exists")
        if existing is not None and existing.user_id != user.user_id:
            state.store.put_magic_token(magic)  # a refused attempt does not burn the link
            raise SessionUserMismatch()
        user = users.mark_verified(state, user, magic.email_id)
        now = state.now_ts()
        factor = Factor(
            delivery_channel="email",
            type="magic_link",
            method_id=magic.email_id,
            method_type="email",
            last_verified_at=now,
            details=(("email_id", magic.email_id), ("email", address)),
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
        if magic.request_origin_token:
            session_id = issued.session.session_id if issued.session else ""
            state.store.put_magic_outcome(replace(magic, used_at=now, session_id=session_id))
    return user, magic.email_id, issued


def _redeem(state: MockState, app: App, token: str) -> MagicToken:
    magic = state.store.take_magic_token(app.app_id, token)
    if magic is None:
        raise InvalidMagicToken()
    if magic.expires_at <= state.now():
        raise InvalidMagicToken("The magic link token has expired; send a new link")
    return magic


def _address(user: User | None, email_id: str) -> str | None:
    if user is None:
        return None
    return next((e.email for e in user.emails if e.id == email_id), None)
