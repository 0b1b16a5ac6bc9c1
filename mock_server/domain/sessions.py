"""Sessions: verify, extend, list, delete, and issuing them for the verify-type endpoints.

Expiry is computed on read: a session with ``expires_at <= now`` is treated as gone (and dropped
from the store when met). Decisions D2, D5, D10, D11, D13, D14.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mock_server.errors import InvalidSession, SessionNotFound, SessionUserMismatch, UserNotFound
from mock_server.models import App, Device, Factor, Session, User
from mock_server.state import MockState
from mock_server.tokens import issuer, valid_at

MINUTE = 60
TOUCH_TRIES = 8


@dataclass(frozen=True)
class Issued:
    """A session together with the credentials handed out for it."""

    session: Session | None
    token: str
    jwt: str


def _live(state: MockState, session: Session | None) -> Session | None:
    """``session`` unless it has expired (then it is also dropped)."""
    if session is None:
        return None
    if session.expired(state.now()):
        state.store.delete_session(session.app_id, session.session_id)
        return None
    return session


def _by_jwt(state: MockState, app: App, token: str, *, check_time: bool) -> Session | None:
    claims = state.keys.decode(token)
    if claims is None or claims.get("iss") != issuer(app):
        return None
    if check_time and not valid_at(claims, state.now()):
        return None
    session_id = claims.get("jti")
    if not isinstance(session_id, str):
        return None
    return _live(state, state.store.get_session(app.app_id, session_id))


def find(state: MockState, app: App, *, token: str | None, jwt: str | None) -> Session:
    """The live session a token or JWT names, else :class:`InvalidSession` (D10)."""
    if token is not None:
        session = _live(state, state.store.session_by_token(app.app_id, token))
    else:
        session = _by_jwt(state, app, jwt or "", check_time=True)
    if session is None:
        raise InvalidSession()
    return session


def credential(
    state: MockState, app: App, body: dict[str, Any], *, owner_id: str | None = None
) -> Session | None:
    """The session a verify-type request names with session_token/session_jwt, if any.

    With ``owner_id``, a session of another user is refused here, before the caller consumes
    its one-time credential (L10).
    """
    token, jwt = body.get("session_token"), body.get("session_jwt")
    if token is None and jwt is None:
        return None
    session = find(state, app, token=token, jwt=jwt if token is None else None)
    if owner_id is not None and session.user_id != owner_id:
        raise SessionUserMismatch()
    return session


def sign(state: MockState, app: App, session: Session) -> str:
    """A session JWT valid now (exp capped at the session's expiry; reused while fresh)."""
    return state.keys.session_jwt(app, session, state.now_ts())


def owner(state: MockState, app: App, session: Session) -> User:
    """The user of a session (a session whose user is gone is invalid)."""
    user = state.store.get_user(app.app_id, session.user_id)
    if user is None:
        raise InvalidSession()
    return user


def verify(
    state: MockState, app: App, *, token: str | None, jwt: str | None, minutes: int | None
) -> tuple[Issued, User]:
    """VerifySession: refresh ``last_active_at``; with ``minutes``, expire at now + minutes."""
    now = state.now_ts()
    minutes = _whole(minutes)
    found_user: User | None = None
    if minutes is None:
        session, found_user = _touch(state, app, token=token, jwt=jwt, now=now)
    else:
        with state.store.atomic():
            session = find(state, app, token=token, jwt=jwt)
            session = replace(
                session, last_active_at=now, updated_at=now, expires_at=now + minutes * MINUTE
            )
            state.store.put_session(session)
    user = found_user if found_user is not None else owner(state, app, session)
    return Issued(session, session.token, sign(state, app, session)), user


def _touch(
    state: MockState, app: App, *, token: str | None, jwt: str | None, now: int
) -> tuple[Session, User | None]:
    """The session, its activity moved to ``now`` without the store's lock: by compare and set
    (decision V2; another call's change in between makes it read again, so nothing it wrote,
    an extension, a new token, a deletion, is undone; the last try takes the lock), or
    buffered in the process and written within a second on a store that coalesces (V3)."""
    for attempt in range(TOUCH_TRIES):
        if attempt == TOUCH_TRIES - 1:
            with state.store.atomic():
                session = find(state, app, token=token, jwt=jwt)
                session = replace(session, last_active_at=now, updated_at=now)
                state.store.put_session(session)
                return session, None
        touched, user = _touch_once(state, app, token, jwt, now)
        if touched is not None:
            return touched, user
    raise AssertionError("unreachable")  # pragma: no cover


def _touch_once(
    state: MockState, app: App, token: str | None, jwt: str | None, now: int
) -> tuple[Session | None, User | None]:
    session, user = _find_with_user(state, app, token, jwt)
    if user is not None and user.user_id != session.user_id:
        user = None
    if session.last_active_at == now and session.updated_at == now:
        return session, user
    return state.store.touch_session(session, now), user


def _find_with_user(
    state: MockState, app: App, token: str | None, jwt: str | None
) -> tuple[Session, User | None]:
    """:func:`find`, with the session's user when the store reads both at once (V6)."""
    if token is None:
        return find(state, app, token=None, jwt=jwt), None
    stored, user = state.store.session_with_user_by_token(app.app_id, token)
    session = _live(state, stored)
    if session is None:
        raise InvalidSession()
    return session, user


def active_for_user(state: MockState, app: App, user_id: str) -> list[Session]:
    """ListSessions: the user's live sessions, newest first (D14)."""
    if state.store.get_user(app.app_id, user_id) is None:
        raise UserNotFound(f"No user with id '{user_id}' in this app")
    now = state.now()
    sessions = [s for s in state.store.user_sessions(app.app_id, user_id) if not s.expired(now)]
    return sorted(reversed(sessions), key=lambda s: s.created_at, reverse=True)


def delete(
    state: MockState, app: App, *, token: str | None, jwt: str | None, session_id: str | None
) -> Session:
    """DeleteSession by exactly one identifier (D13); 404 when unknown, expired or gone.

    A JWT past its ``exp`` still names its session here, so a client can log out with it.
    """
    with state.store.atomic():
        if token is not None:
            session = _live(state, state.store.session_by_token(app.app_id, token))
        elif jwt is not None:
            session = _by_jwt(state, app, jwt, check_time=False)
        else:
            session = _live(state, state.store.get_session(app.app_id, session_id or ""))
        deleted = state.store.delete_session(app.app_id, session.session_id) if session else None
    if deleted is None:
        raise SessionNotFound("Session not found, already deleted or expired")
    return deleted


def authenticate(
    state: MockState,
    app: App,
    user: User,
    factor: Factor,
    *,
    minutes: int | None,
    existing: Session | None,
    device: Device,
) -> Issued:
    """Create or extend the session of a successful auth verify (reference §4, D2).

    With ``existing``, the factor is added (a new factor rotates ``session_token``, as the
    reference says of added factors) and ``minutes`` moves the expiry to now + minutes.
    Without, a new session of ``minutes`` or the app's default is created; an app whose
    default is None creates none.
    """
    now = state.now_ts()
    minutes = _whole(minutes)
    with state.store.atomic():
        if existing is not None:
            if existing.user_id != user.user_id:
                raise SessionUserMismatch()
            session = _extend(state, existing, factor, minutes, now)
        else:
            length = minutes if minutes is not None else app.default_session_minutes
            if length is None:
                return Issued(None, "", "")
            session = Session(
                session_id=state.ids.new("sess_"),
                app_id=app.app_id,
                user_id=user.user_id,
                token=state.ids.session_token(),
                started_at=now,
                expires_at=now + length * MINUTE,
                last_active_at=now,
                updated_at=now,
                created_at=now,
                factors=(factor,),
                ip=device.ip,
                user_agent=device.user_agent,
            )
        state.store.put_session(session)
    return Issued(session, session.token, sign(state, app, session))


def authenticate_request(
    state: MockState,
    app: App,
    user: User,
    factor: Factor,
    body: dict[str, Any],
    existing: Session | None,
) -> Issued:
    """:func:`authenticate` with the length and device a verify request's body carries."""
    return authenticate(
        state,
        app,
        user,
        factor,
        minutes=body.get("session_expires_in"),
        existing=existing,
        device=Device.from_body(body),
    )


def extend_by_id(state: MockState, app: App, session_id: str, minutes: int) -> Session:
    """The live session ``session_id`` now expires ``minutes`` from the fake's now.

    404 ``session_not_found`` when it is unknown or expired (the control API's extend).
    """
    now = state.now_ts()
    with state.store.atomic():
        found = state.store.get_session(app.app_id, session_id)
        if found is None or found.expired(now):
            raise SessionNotFound("Session not found, already deleted or expired")
        moved = replace(found, expires_at=now + minutes * MINUTE, updated_at=now)
        state.store.put_session(moved)
    return moved


def _extend(
    state: MockState, session: Session, factor: Factor, minutes: int | None, now: int
) -> Session:
    known = any(f.same_method(factor) for f in session.factors)
    factors = tuple(factor if f.same_method(factor) else f for f in session.factors)
    return replace(
        session,
        factors=factors if known else (*session.factors, factor),
        token=session.token if known else state.ids.session_token(),
        expires_at=now + minutes * MINUTE if minutes is not None else session.expires_at,
        last_active_at=now,
        updated_at=now,
    )


def _whole(minutes: float | None) -> int | None:
    """JSON ``10080.0`` is a valid integer; keep timestamps whole seconds anyway."""
    return None if minutes is None else int(minutes)
