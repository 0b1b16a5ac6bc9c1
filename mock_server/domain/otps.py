"""One-time passcodes by email and SMS: send, login-or-create, verify (reference §6, D3).

One pending code per method; a new send replaces it. A code is single-use, expires after
``expires_in`` minutes, and is burned after the app's attempt limit of wrong guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mock_server.errors import InvalidOtp, MethodNotFound, OtpExpired, TooManyAttempts, UserNotFound
from mock_server.models import App, Factor, OtpChallenge, User
from mock_server.outbox import Message
from mock_server.state import MockState

from . import sessions, users
from .sessions import Issued

MINUTE = 60


@dataclass(frozen=True)
class Channel:
    """Email or SMS: how a method is found on a user and shown in factors."""

    name: str
    method_type: str
    id_field: str
    value_field: str

    def method(self, user: User, value: str) -> tuple[str, str]:
        """(method_id, value) of ``value`` on ``user``."""
        if self.name == "email":
            wanted = value.strip().lower()
            found = next(e for e in user.emails if e.email.lower() == wanted)
            return found.id, found.email
        phone = next(p for p in user.phone_numbers if p.phone_number == value)
        return phone.id, phone.phone_number

    def find_user(self, state: MockState, app: App, value: str) -> User | None:
        """The user holding ``value``."""
        if self.name == "email":
            return state.store.user_by_email(app.app_id, value)
        return state.store.user_by_phone(app.app_id, value)


EMAIL = Channel("email", "email", "email_id", "email")
SMS = Channel("sms", "phone_number", "phone_number_id", "phone_number")


@dataclass(frozen=True)
class Sent:
    """What a send or login_or_create did."""

    user: User
    method_id: str
    created: bool


def send(
    state: MockState, app: App, channel: Channel, body: dict[str, Any], *, create: bool
) -> Sent:
    """Send a passcode to the body's email or phone; ``create`` makes a missing user."""
    value = body[channel.value_field]
    with state.store.atomic():
        user = channel.find_user(state, app, value)
        created = False
        if user is None:
            if not create:
                raise UserNotFound(f"No user with {channel.value_field} '{value}' in this app")
            needs = body.get("requires_verification", body.get("requies_verification", True))
            user = users.new_user(
                state, app, status="pending" if needs else "active", **{channel.value_field: value}
            )
            created = True
        method_id, address = channel.method(user, value)
        _challenge(state, app, user, channel, method_id, address, body.get("expires_in"))
    return Sent(user, method_id, created)


def _challenge(
    state: MockState,
    app: App,
    user: User,
    channel: Channel,
    method_id: str,
    address: str,
    minutes: int | None,
) -> None:
    now = state.now_ts()
    expires_at = now + int(minutes or app.otp_expiry_minutes) * MINUTE
    code = state.ids.otp(app.otp_length)
    state.store.put_otp(OtpChallenge(app.app_id, method_id, user.user_id, code, now, expires_at))
    state.outbox.add(
        Message(
            message_id=state.ids.new("msg_"),
            app_id=app.app_id,
            kind="otp",
            channel=channel.name,
            to=address,
            user_id=user.user_id,
            method_id=method_id,
            sent_at=now,
            expires_at=expires_at,
            code=code,
        )
    )


def _resolve(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, str, Channel]:
    """(user, method_id, channel) from ``method_id`` or the seed's ``email``/``phone_number``."""
    if "method_id" in body:
        user = state.store.user_by_method(app.app_id, body["method_id"])
        if user is None:
            raise MethodNotFound(f"No email or phone number with id '{body['method_id']}'")
        channel = EMAIL if any(e.id == body["method_id"] for e in user.emails) else SMS
        return user, body["method_id"], channel
    channel = EMAIL if "email" in body else SMS
    value = body[channel.value_field]
    user = channel.find_user(state, app, value)
    if user is None:
        raise MethodNotFound(f"No user with {channel.value_field} '{value}' in this app")
    return user, channel.method(user, value)[0], channel


def verify(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, str, Channel, Issued]:
    """VerifyOtp: check and consume the code, then create or extend a session."""
    code = str(body.get("otp", body.get("code", "")))
    with state.store.atomic():
        user, method_id, channel = _resolve(state, app, body)
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        _consume(state, app, method_id, code)
        user = users.mark_verified(state, user, method_id)
        address = _address(user, method_id)
        factor = Factor(
            delivery_channel=channel.name,
            type="otp",
            method_id=method_id,
            method_type=channel.method_type,
            last_verified_at=state.now_ts(),
            details=((channel.id_field, method_id), (channel.value_field, address)),
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return user, method_id, channel, issued


def _address(user: User, method_id: str) -> str:
    for email in user.emails:
        if email.id == method_id:
            return email.email
    return next(p.phone_number for p in user.phone_numbers if p.id == method_id)


def _consume(state: MockState, app: App, method_id: str, code: str) -> None:
    challenge = state.store.get_otp(app.app_id, method_id)
    if challenge is None:
        raise InvalidOtp("No passcode is pending for this method; send one first")
    if challenge.expires_at <= state.now():
        state.store.delete_otp(app.app_id, method_id)
        raise OtpExpired()
    if challenge.locked:
        raise TooManyAttempts()
    if challenge.code != code:
        attempts = challenge.attempts + 1
        locked = attempts >= app.otp_max_attempts
        state.store.put_otp(replace(challenge, attempts=attempts, locked=locked))
        if locked:
            raise TooManyAttempts()
        left = app.otp_max_attempts - attempts
        raise InvalidOtp(f"The passcode is not valid ({left} attempts left)")
    state.store.delete_otp(app.app_id, method_id)
