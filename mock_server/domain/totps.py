"""TOTP authenticators: create, verify, recovery codes, recovery (more reference §6; T1-T6).

RFC 6238 with the values every authenticator app assumes: a base32 secret, HMAC-SHA-1, 6 digits,
30-second steps (``pyotp``). A code of the current step or of the one before or after is
accepted, once per step. A user holds at most one TOTP: a new one replaces a pending one and is
refused while a verified one exists. A pending TOTP must be verified within ``expires_in``
minutes of its creation, on the fake's clock; after that it is gone.
"""

from __future__ import annotations

import base64
import hmac
import io
import string
from dataclasses import dataclass, replace
from typing import Any

import pyotp
import segno

from mock_server.errors import (
    DuplicateTotp,
    InvalidRecoveryCode,
    InvalidTotp,
    TotpNotFound,
    UserNotFound,
)
from mock_server.models import App, Factor, Totp, User
from mock_server.state import MockState

from . import sessions
from .sessions import Issued

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one (more reference §6.2)
DEFAULT_EXPIRES_MINUTES = 30
RECOVERY_CODES = 16
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_ALPHABET = string.ascii_lowercase + string.digits
SECRET_LENGTH = 32  # 160 bits, RFC 4226's recommended key length


@dataclass(frozen=True)
class Created:
    """A new TOTP with what CreateTOTP shows once."""

    user: User
    totp: Totp
    uri: str
    qr_base64: str


def step_at(now: float) -> int:
    """The RFC 6238 time step of unix time ``now``."""
    return int(now // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def live(state: MockState, user: User) -> User:
    """``user`` without a pending TOTP whose activation window has passed (stored if changed)."""
    now = state.now()
    kept = tuple(t for t in user.totps if t.verified or t.expires_at > now)
    if len(kept) == len(user.totps):
        return user
    fresh = replace(user, totps=kept)
    state.store.put_user(fresh)
    return fresh


def _user(state: MockState, app: App, user_id: str) -> User:
    user = state.store.get_user(app.app_id, user_id)
    if user is None:
        raise UserNotFound(f"No user with id '{user_id}' in this app")
    return live(state, user)


def _only(user: User, *, verified: bool | None = None) -> Totp:
    found = [t for t in user.totps if verified is None or t.verified == verified]
    if not found:
        kind = "verified " if verified else ""
        raise TotpNotFound(f"User '{user.user_id}' has no {kind}TOTP")
    return found[0]


def otpauth_uri(app: App, user: User, secret: str) -> str:
    """``otpauth://totp/<app>:<account>?secret=…&issuer=<app>`` (Key Uri Format)."""
    email, phone = user.primary_email, user.primary_phone
    account = email.email if email else phone.phone_number if phone else user.user_id
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=account, issuer_name=app.name)


def qr_png_base64(uri: str) -> str:
    """A PNG QR code of ``uri``, base64 (no ``data:`` prefix)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4, border=4)
    return base64.b64encode(out.getvalue()).decode("ascii")


def create(state: MockState, app: App, body: dict[str, Any]) -> Created:
    """CreateTOTP: a pending TOTP with a new secret and 16 recovery codes."""
    minutes = int(body.get("expires_in", DEFAULT_EXPIRES_MINUTES))
    with state.store.atomic():
        user = _user(state, app, body["user_id"])
        if any(t.verified for t in user.totps):
            raise DuplicateTotp(
                f"User '{user.user_id}' already has a verified TOTP; delete it first"
            )
        now = state.now_ts()
        ids = state.ids
        codes = tuple(
            f"{ids.chars(5, CODE_ALPHABET)}-{ids.chars(5, CODE_ALPHABET)}"
            for _ in range(RECOVERY_CODES)
        )
        totp = Totp(
            id=ids.new("totp_"),
            secret=ids.chars(SECRET_LENGTH, BASE32),
            verified=False,
            created_at=now,
            updated_at=now,
            expires_at=now + minutes * 60,
            recovery_codes=codes,
        )
        user = replace(user, totps=(totp,), updated_at=now)
        state.store.put_user(user)
    uri = otpauth_uri(app, user, totp.secret)
    return Created(user, totp, uri, qr_png_base64(uri))


def _matching_step(totp: Totp, code: str, now: float) -> int | None:
    current = step_at(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step > totp.last_step and hmac.compare_digest(code_at(totp.secret, step), code):
            return step
    return None


def verify(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Totp, Issued]:
    """VerifyTOTP: a code of the step before, now or after; activates a pending TOTP."""
    with state.store.atomic():
        user = _user(state, app, body["user_id"])
        totp = _only(user)
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        step = _matching_step(totp, body["totp"], state.now())
        if step is None:
            raise InvalidTotp("The TOTP code is not valid (wrong, expired or already used)")
        now = state.now_ts()
        totp = replace(totp, verified=True, last_step=step, updated_at=now)
        user = _put_totp(state, user, totp, now)
        factor = _factor(totp, "totp_authenticator", now)
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return user, totp, issued


def recovery_codes(state: MockState, app: App, user_id: str) -> tuple[User, list[Totp]]:
    """GetTOTPRecoveryCodes: the user's TOTP with its codes not yet used."""
    user = _user(state, app, user_id)
    _only(user)
    return user, list(user.totps)


def unused_codes(totp: Totp) -> list[str]:
    """Recovery codes still usable, in issue order."""
    return [c for c in totp.recovery_codes if c not in totp.used_codes]


def recover(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Totp, Issued]:
    """VerifyTOTPRecovery: a recovery code works once, for a verified TOTP."""
    code = str(body.get("recovery_code", body.get("totp", ""))).strip().lower()
    with state.store.atomic():
        user = _user(state, app, body["user_id"])
        totp = _only(user, verified=True)
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        if not any(hmac.compare_digest(code, c) for c in unused_codes(totp)):
            raise InvalidRecoveryCode()
        now = state.now_ts()
        totp = replace(totp, used_codes=(*totp.used_codes, code), updated_at=now)
        user = _put_totp(state, user, totp, now)
        factor = _factor(totp, "totp_recovery_code", now)
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return user, totp, issued


def delete(state: MockState, app: App, totp_id: str) -> User:
    """DeleteUserTOTP: the owner, or :class:`TotpNotFound`."""
    with state.store.atomic():
        user = state.store.user_by_method(app.app_id, totp_id)
        if user is None or not any(t.id == totp_id for t in user.totps):
            raise TotpNotFound(f"No TOTP with id '{totp_id}' in this app")
        now = state.now_ts()
        user = replace(user, totps=tuple(t for t in user.totps if t.id != totp_id), updated_at=now)
        state.store.put_user(user)
    return user


def current_code(state: MockState, app: App, user_id: str) -> tuple[Totp, str, int, int]:
    """(totp, code, step, seconds it is still accepted) of a code VerifyTOTP accepts now.

    The current step's code, or the next step's when the current one was used already (what
    an authenticator app shows a moment later); for the control API.
    """
    user = _user(state, app, user_id)
    totp = _only(user)
    now = state.now()
    step = max(step_at(now), totp.last_step + 1)
    accepted_until = (step + WINDOW + 1) * STEP_SECONDS
    return totp, code_at(totp.secret, step), step, max(accepted_until - int(now), 0)


def _put_totp(state: MockState, user: User, totp: Totp, now: int) -> User:
    updated = replace(
        user, totps=tuple(totp if t.id == totp.id else t for t in user.totps), updated_at=now
    )
    state.store.put_user(updated)
    return updated


def _factor(totp: Totp, channel: str, now: int) -> Factor:
    return Factor(
        delivery_channel=channel,
        type="totp",
        method_id=totp.id,
        method_type="totp",
        last_verified_at=now,
        details=(("totp_id", totp.id),),
    )
