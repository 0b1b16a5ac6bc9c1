"""Passwords (Enterprise): set by session, verify, strength check (more reference §8; T7-T11).

Passwords are stored as argon2id hashes only. Strength is zxcvbn's estimate; a password
scoring below :data:`MIN_SCORE` is refused when set. Wrong passwords are counted like wrong
passcodes (L4): after the app's ``otp_max_attempts`` in a row the password is locked for
:data:`LOCK_MINUTES` on the fake's clock (429), or until a new one is set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mock_server.errors import (
    InsufficientFactors,
    InvalidPassword,
    PasswordNotSet,
    SessionUserMismatch,
    TooManyAttempts,
    UserNotFound,
    WeakPassword,
)
from mock_server.models import App, Factor, Password, Session, User
from mock_server.state import MockState

from . import sessions
from .sessions import Issued

MIN_SCORE = 3
# zxcvbn's own bound: its matching grows fast with length (a random 256-character password takes
# tens of seconds), so longer passwords are estimated on their first 72 characters, a lower
# bound of their strength (T10).
ESTIMATE_LENGTH = 72
LOCK_MINUTES = 15
# Factor types that may set a password (more reference §8.2: OTP, magic link or password).
SETTING_FACTORS = frozenset({"otp", "magic_link", "password"})
# A fake holds test passwords only: the hash keeps them out of exports, it is not there to
# resist an offline attack, so the cost is the minimum argon2id allows (T8). A hash of any cost
# (an imported state) still verifies: the parameters are read from the hash.
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class Strength:
    """zxcvbn's verdict on a password."""

    score: int
    crack_time: float
    crack_time_display: str
    warning: str
    suggestions: list[str]


def strength(password: str, user_inputs: list[str] | None = None) -> Strength:
    """Score 0-4 and the offline slow-hashing crack time (10^4 guesses a second).

    Only the first :data:`ESTIMATE_LENGTH` characters are estimated.
    """
    from zxcvbn import zxcvbn  # its word lists take a while to load: on the first check only

    result = zxcvbn(password[:ESTIMATE_LENGTH], user_inputs=user_inputs or [])
    seconds = result["crack_times_seconds"]["offline_slow_hashing_1e4_per_second"]
    display = result["crack_times_display"]["offline_slow_hashing_1e4_per_second"]
    feedback = result.get("feedback") or {}
    return Strength(
        score=int(result["score"]),
        crack_time=float(seconds),
        crack_time_display=str(display),
        warning=str(feedback.get("warning") or ""),
        suggestions=[str(s) for s in feedback.get("suggestions") or []],
    )


def _inputs(user: User) -> list[str]:
    words = [user.first_name, user.middle_name, user.last_name]
    words += [e.email for e in user.emails] + [e.email.split("@")[0] for e in user.emails]
    return [w for w in words if w]


def set_password(
    state: MockState, app: App, user: User, password: str, *, check_strength: bool = True
) -> User:
    """Hash and store ``password`` (strength checked); unlocks and resets the attempts.

    The control API sets a password without the strength check (``check_strength=False``).
    """
    verdict = strength(password, _inputs(user)) if check_strength else None
    if verdict is not None and verdict.score < MIN_SCORE:
        hint = " ".join(filter(None, [verdict.warning, *verdict.suggestions]))
        raise WeakPassword(
            f"The password is too weak (score {verdict.score}, at least {MIN_SCORE} needed)"
            + (f": {hint}" if hint else "")
        )
    now = state.now_ts()
    with state.store.atomic():
        current = state.store.get_user(app.app_id, user.user_id)
        if current is None:
            raise UserNotFound(f"No user with id '{user.user_id}' in this app")
        old = current.password
        record = Password(
            id=old.id if old else state.ids.new("password_"),
            hash=HASHER.hash(password),
            created_at=old.created_at if old else now,
            updated_at=now,
        )
        updated = replace(current, password=record, updated_at=now)
        state.store.put_user(updated)
    return updated


def update_by_session(state: MockState, app: App, body: dict[str, Any]) -> tuple[Session, User]:
    """UpdatePasswordBySession: the session must hold an OTP, magic-link or password factor."""
    session = sessions.find(
        state, app, token=body.get("session_token"), jwt=body.get("session_jwt")
    )
    if not any(f.type in SETTING_FACTORS for f in session.factors):
        raise InsufficientFactors(
            "The session needs an OTP, magic-link or password factor to set a password"
        )
    user = sessions.owner(state, app, session)
    return session, set_password(state, app, user, body["password"])


def verify(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Issued]:
    """VerifyPassword: by ``user_id`` and/or a session credential; adds a password factor."""
    with state.store.atomic():
        existing = sessions.credential(state, app, body)
        user_id = body.get("user_id") or (existing.user_id if existing else "")
        if existing is not None and existing.user_id != user_id:
            raise SessionUserMismatch()
        user = state.store.get_user(app.app_id, user_id)
        if user is None:
            raise UserNotFound(f"No user with id '{user_id}' in this app")
        record = user.password
        if record is None:
            raise PasswordNotSet(f"User '{user.user_id}' has no password")
        now = state.now_ts()
        if record.locked_until > now:
            wait = record.locked_until - now
            raise TooManyAttempts(
                f"Too many wrong passwords; try again in {wait} seconds or set a new password",
                headers={"Retry-After": str(wait)},
            )
        if not _matches(record.hash, body["password"]):
            _count_failure(state, app, user, record, now)
        record = replace(record, failed_attempts=0, locked_until=0)
        user = replace(user, password=record)
        state.store.put_user(user)
        factor = Factor(
            delivery_channel="password",
            type="password",
            method_id=record.id,
            method_type="password",
            last_verified_at=now,
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return user, issued


def _matches(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(state: MockState, app: App, user: User, record: Password, now: int) -> None:
    attempts = record.failed_attempts + 1
    left = app.otp_max_attempts - attempts
    locked = now + LOCK_MINUTES * 60 if left <= 0 else 0
    record = replace(record, failed_attempts=0 if locked else attempts, locked_until=locked)
    state.store.put_user(replace(user, password=record))
    if locked:
        raise TooManyAttempts(
            f"Too many wrong passwords; the password is locked for {LOCK_MINUTES} minutes",
            headers={"Retry-After": str(LOCK_MINUTES * 60)},
        )
    raise InvalidPassword(f"The password is not correct ({left} attempts left)")
