"""The :class:`Store` verbs once, over a small key-value backend (SQLite and Redis engines).

A backend keeps text values under ``(app, kind, key)``, lists a kind and clears an app. Records
are :mod:`codec` JSON under their kind; indexes are kinds too (``email`` -> user id, ``token``
-> session id), and a user's sessions a kind per user. Every write runs inside
:meth:`KvStore.atomic`, the backend's transaction, so a compound change and its indexes land
together or not at all, and a single-use ``take_*`` removes a record for one caller only.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from mock_server.models import (
    App,
    MagicToken,
    OAuthState,
    OAuthToken,
    OtpChallenge,
    Session,
    Transfer,
    User,
    WalletImportKey,
    WalletKey,
    WalletRegistration,
    WebauthnChallenge,
)

from .activity import ActivityBuffer, Times
from .codec import decode, encode

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
APPS_KEPT = 8192  # apps remembered per process while the apps version stays (V5)
ACTIVITY_CHUNK = 64  # sessions written per compare-and-set round of a flush (V15)
GLOBAL = ""  # the app of records that belong to no app: apps, their keys, meta values
APP, SECRET, PUBLIC, META = "app", "secret", "public", "meta"
USER, SESSION, OTP, MAGIC, OAUTH = "user", "session", "otp", "magic", "oauth"
OUTCOME, OAUTH_STATE, WEBAUTHN, WALLET_REG = "outcome", "oauth_state", "webauthn", "wallet_reg"
WALLET_ID, WALLET_KEY, BALANCE = "wallet_id", "wallet_key", "balance"
WALLET_IMPORT = "wallet_import"
TRANSFER = "transfer"
EMAIL, PHONE, METHOD, WALLET, TOKEN, ORIGIN = (
    "email",
    "phone",
    "method",
    "wallet",
    "token",
    "origin",
)


def owned(user_id: str) -> str:
    """The kind listing a user's session ids."""
    return "owned:" + user_id


class Backend(Protocol):
    """Text values by ``(app, kind, key)``; ``transaction`` is re-entrant."""

    durable: bool

    def transaction(self) -> AbstractContextManager[object]: ...
    def run(self, change: Callable[[], T]) -> T:
        """``change()``, its ``transaction()`` blocks one transaction; on Redis run again when
        another process wrote what it read before it committed (V23)."""
        ...

    def after_commit(self, action: Callable[[], None]) -> None:
        """Do ``action`` once the running transaction commits (at once where it cannot fail)."""
        ...

    def batch(self) -> AbstractContextManager[object]:
        """Group writes that need no isolation: one commit in SQLite, nothing in Redis."""
        ...

    def get(self, app: str, kind: str, key: str) -> str | None: ...
    def put(self, app: str, kind: str, key: str, value: str) -> None: ...
    def put_new(self, app: str, kind: str, key: str, value: str) -> str:
        """Set unless present; the value afterwards."""
        ...

    def pop(self, app: str, kind: str, key: str) -> str | None:
        """Remove; the value, or None when it was not there (one caller gets it)."""
        ...

    def get_via(self, app: str, index: str, kind: str, key: str) -> str | None:
        """The ``kind`` value whose key the ``index`` value of ``key`` names (one round trip)."""
        ...

    def get_many(self, app: str, kind: str, keys: list[str]) -> list[str | None]:
        """The values of several keys of one kind (one round trip)."""
        ...

    def put_if(self, app: str, kind: str, key: str, expected: str, value: str) -> bool:
        """Set ``value`` if the stored value is still ``expected`` (compare and set)."""
        ...

    def append(self, app: str, kind: str, counter: str, head: str, tail: str, keep: int) -> int:
        """Number a new value from ``counter`` and store ``head + seq + tail`` under the
        zero-padded seq, dropping the kind's oldest beyond ``keep`` a few dozen at a time (a
        reader takes the newest ``keep``); the seq (one round trip)."""
        ...

    def values(self, app: str, kind: str) -> list[str]:
        """The kind's values, oldest first."""
        ...

    def keys(self, app: str, kind: str) -> list[str]: ...
    def first_keys(self, app: str, kind: str, count: int) -> list[str]:
        """The ``count`` oldest keys of the kind."""
        ...

    def incr(self, name: str) -> int:
        """Add one to the counter ``name`` (atomically, across processes); its new value."""
        ...

    def count(self, app: str | None, kind: str) -> int: ...
    def clear(self, app: str) -> None:
        """Remove everything filed under ``app``."""
        ...

    def close(self) -> None: ...


APPS_VERSION = "apps_version"  # a meta value changed with every app write (decision V5)


class Versions(Protocol):
    """The meta values a request reads once (``shared.MetaView``)."""

    def get(self, name: str) -> str | None: ...
    def put(self, backend: Backend, name: str, value: str) -> None: ...


_ACTIVE, _UPDATED = re.compile(r'"last_active_at":(\d+)'), re.compile(r'"updated_at":(\d+)')


def _merge_activity(raw: str, times: Times) -> str | None:
    """A session's JSON with the later of its and ``times``' activity; None: nothing later.

    The two numbers are replaced in the text when each key occurs once (a quote inside a
    string is escaped, so ``"updated_at":`` is a key); else the record is decoded and encoded.
    """
    active, updated = _ACTIVE.findall(raw), _UPDATED.findall(raw)
    if len(active) == 1 and len(updated) == 1:
        old = (int(active[0]), int(updated[0]))
        if times[0] <= old[0] and times[1] <= old[1]:
            return None
        text = _ACTIVE.sub(f'"last_active_at":{max(old[0], times[0])}', raw)
        return _UPDATED.sub(f'"updated_at":{max(old[1], times[1])}', text)
    stored = decode(Session, raw)
    if times[0] <= stored.last_active_at and times[1] <= stored.updated_at:
        return None
    merged = replace(
        stored,
        last_active_at=max(times[0], stored.last_active_at),
        updated_at=max(times[1], stored.updated_at),
    )
    return encode(merged)


def _compound(method: Callable[Concatenate[KvStore, P], R]) -> Callable[Concatenate[KvStore, P], R]:
    """A verb of several reads and writes as one change (:meth:`Backend.run`): part of the
    running one, else one of its own (run again on Redis when another process came between)."""

    @functools.wraps(method)
    def change(store: KvStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return store.backend.run(lambda: method(store, *args, **kwargs))

    return change


def _norm_email(email: str) -> str:
    return email.strip().lower()


def _balance_key(wallet_id: str, token_symbol: str) -> str:
    return f"{wallet_id} {token_symbol}"  # ids and symbols have no spaces


def _balance_key_wallet(key: str) -> str:
    return key.partition(" ")[0]


class KvStore:
    """Every :class:`~mock_server.store.Store` verb over a :class:`Backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.durable = backend.durable
        coalesce = getattr(backend, "coalesce_activity", False)
        self.activity = ActivityBuffer(self._write_activity) if coalesce else None
        self._versions: Versions | None = None
        self._apps: tuple[str | None, dict[tuple[str, str], App | None]] = (None, {})

    def pin_to(self, versions: Versions) -> None:
        """Remember apps in the process while the store's apps version stays (V5): a request
        reads the version with the clock, once, so finding its app costs no round trip."""
        self._versions = versions

    def _app_by(self, index: str, key: str) -> App | None:
        if self._versions is None:
            return self._via(App, GLOBAL, index, APP, key)
        version = self._versions.get(APPS_VERSION)
        known_version, known = self._apps
        if known_version != version or len(known) >= APPS_KEPT:
            known = {}
            self._apps = (version, known)
        if (index, key) not in known:
            known[(index, key)] = self._via(App, GLOBAL, index, APP, key)
        return known[(index, key)]

    def _apps_changed(self) -> None:
        self._apps = (None, {})
        value = secrets.token_hex(8)
        if self._versions is not None:
            self._versions.put(self.backend, APPS_VERSION, value)
        else:
            self.backend.put(GLOBAL, META, APPS_VERSION, value)

    def atomic(self) -> AbstractContextManager[object]:
        """The backend's (re-entrant) transaction."""
        return self.backend.transaction()

    def run(self, change: Callable[[], T]) -> T:
        """``change()`` as one compound change (:meth:`Backend.run`)."""
        return self.backend.run(change)

    def close(self) -> None:
        """Write the buffered activity, then release the backend's connections."""
        if self.activity is not None:
            self.activity.close()
        self.backend.close()

    def _get(self, model: type[T], app_id: str, kind: str, key: str) -> T | None:
        raw = self.backend.get(app_id, kind, key)
        return None if raw is None else decode(model, raw)

    def _via(self, model: type[T], app_id: str, index: str, kind: str, key: str) -> T | None:
        raw = self.backend.get_via(app_id, index, kind, key)
        return None if raw is None else decode(model, raw)

    @_compound
    def _pop(self, model: type[T], app_id: str, kind: str, key: str) -> T | None:
        with self.atomic():
            raw = self.backend.pop(app_id, kind, key)
        return None if raw is None else decode(model, raw)

    def _all(self, model: type[T], app_id: str, kind: str) -> list[T]:
        return [decode(model, raw) for raw in self.backend.values(app_id, kind)]

    def _seen(self, session: Session | None) -> Session | None:
        """A stored session as this process sees it (its buffered activity merged in)."""
        return session if self.activity is None else self.activity.overlay(session)

    def _write_activity(self, app_id: str, items: list[tuple[str, Times]]) -> list[str]:
        """Max-merge buffered times into the stored sessions by compare and set (V3); the ids
        another change came between (read again at the next try). Gone sessions stay gone.

        Written :data:`ACTIVITY_CHUNK` sessions at a time: one flush of a busy second held the
        store (SQLite's writer, Redis's one thread) for ~15 ms, the fake's p99 (V15)."""
        raced: list[str] = []
        for start in range(0, len(items), ACTIVITY_CHUNK):
            raced += self._write_activity_chunk(app_id, items[start : start + ACTIVITY_CHUNK])
        return raced

    def _write_activity_chunk(self, app_id: str, items: list[tuple[str, Times]]) -> list[str]:
        b = self.backend
        raws = b.get_many(app_id, SESSION, [session_id for session_id, _ in items])
        changes: list[tuple[str, str, str]] = []
        for (session_id, times), raw in zip(items, raws, strict=True):
            merged = None if raw is None else _merge_activity(raw, times)
            if raw is not None and merged is not None:
                changes.append((session_id, raw, merged))
        if not changes:
            return []
        many = getattr(b, "put_if_many", None)
        if many is not None:
            done: list[bool] = many(app_id, SESSION, changes)
        else:
            done = [b.put_if(app_id, SESSION, k, old, new) for k, old, new in changes]
        return [k for (k, _, _), ok in zip(changes, done, strict=True) if not ok]

    # --- meta --------------------------------------------------------------------------
    def get_meta(self, name: str) -> str | None:
        """A value of the store's own (the signing keys)."""
        return self.backend.get(GLOBAL, META, name)

    @_compound
    def put_meta(self, name: str, value: str) -> None:
        """Set a value of the store's own."""
        with self.atomic():
            self.backend.put(GLOBAL, META, name, value)

    @_compound
    def init_meta(self, name: str, value: str) -> str:
        """Set ``name`` unless set (the first process wins); its value afterwards."""
        with self.atomic():
            return self.backend.put_new(GLOBAL, META, name, value)

    # --- apps ----------------------------------------------------------------------------
    @_compound
    def put_app(self, app: App) -> None:
        """Insert or replace an app and re-index its keys."""
        b = self.backend
        with self.atomic():
            old = self.get_app(app.app_id)
            if old is not None:
                self._unindex_app(old)
            b.put(GLOBAL, APP, app.app_id, encode(app))
            for key in app.secret_keys:
                b.put(GLOBAL, SECRET, key, app.app_id)
            b.put(GLOBAL, PUBLIC, app.public_token, app.app_id)
            self._apps_changed()

    def _unindex_app(self, app: App) -> None:
        for key in app.secret_keys:
            self.backend.pop(GLOBAL, SECRET, key)
        self.backend.pop(GLOBAL, PUBLIC, app.public_token)

    def get_app(self, app_id: str) -> App | None:
        """The app, or None."""
        return self._get(App, GLOBAL, APP, app_id)

    def app_by_secret_key(self, key: str) -> App | None:
        """The app owning secret ``key``."""
        return self._app_by(SECRET, key)

    def app_by_public_token(self, token: str) -> App | None:
        """The app owning public ``token``."""
        return self._app_by(PUBLIC, token)

    @_compound
    def delete_app(self, app_id: str) -> App | None:
        """Remove an app and everything it owns."""
        with self.atomic():
            app = self._pop(App, GLOBAL, APP, app_id)
            if app is not None:
                self._unindex_app(app)
            self.backend.clear(app_id)
            self._apps_changed()
        if self.activity is not None:
            self.activity.forget(app_id)
        return app

    def apps(self) -> list[App]:
        """All apps, oldest first."""
        return self._all(App, GLOBAL, APP)

    # --- users ---------------------------------------------------------------------------
    @_compound
    def put_user(self, user: User) -> None:
        """Insert or replace a user and re-index its emails, phone numbers and wallets."""
        b, a = self.backend, user.app_id
        with self.atomic():
            old = self.get_user(a, user.user_id)
            if old is not None:
                self._unindex_user(old)
            b.put(a, USER, user.user_id, encode(user))
            for email in user.emails:
                b.put(a, EMAIL, _norm_email(email.email), user.user_id)
                b.put(a, METHOD, email.id, user.user_id)
            for phone in user.phone_numbers:
                b.put(a, PHONE, phone.phone_number, user.user_id)
                b.put(a, METHOD, phone.id, user.user_id)
            for totp in user.totps:
                b.put(a, METHOD, totp.id, user.user_id)
            for wallet in user.wallets:
                b.put(a, WALLET, wallet.address_key, user.user_id)
                b.put(a, METHOD, wallet.id, user.user_id)
                b.put(a, WALLET_ID, wallet.id, user.user_id)

    def _unindex_user(self, user: User) -> None:
        b, a = self.backend, user.app_id
        for email in user.emails:
            b.pop(a, EMAIL, _norm_email(email.email))
            b.pop(a, METHOD, email.id)
        for phone in user.phone_numbers:
            b.pop(a, PHONE, phone.phone_number)
            b.pop(a, METHOD, phone.id)
        for totp in user.totps:
            b.pop(a, METHOD, totp.id)
        for wallet in user.wallets:
            b.pop(a, WALLET, wallet.address_key)
            b.pop(a, METHOD, wallet.id)
            b.pop(a, WALLET_ID, wallet.id)

    def get_user(self, app_id: str, user_id: str) -> User | None:
        """The user, or None."""
        return self._get(User, app_id, USER, user_id)

    def user_by_email(self, app_id: str, email: str) -> User | None:
        """The user with this email (case-insensitive)."""
        return self._via(User, app_id, EMAIL, USER, _norm_email(email))

    def user_by_phone(self, app_id: str, phone: str) -> User | None:
        """The user with this E.164 phone number."""
        return self._via(User, app_id, PHONE, USER, phone)

    def user_by_method(self, app_id: str, method_id: str) -> User | None:
        """The user owning an ``email_…``, ``pn_…``, ``totp_…`` or wallet id."""
        return self._via(User, app_id, METHOD, USER, method_id)

    @_compound
    def delete_user(self, app_id: str, user_id: str) -> User | None:
        """Remove a user with its sessions and pending passcodes."""
        b = self.backend
        with self.atomic():
            user = self._pop(User, app_id, USER, user_id)
            if user is None:
                return None
            self._unindex_user(user)
            for method_id in [e.id for e in user.emails] + [p.id for p in user.phone_numbers]:
                b.pop(app_id, OTP, method_id)
            gone = {w.id for w in user.wallets}
            for wallet_id in gone:
                b.pop(app_id, WALLET_KEY, wallet_id)
            for key in b.keys(app_id, BALANCE):
                if _balance_key_wallet(key) in gone:
                    b.pop(app_id, BALANCE, key)
            for session_id in b.keys(app_id, owned(user_id)):
                raw = b.pop(app_id, SESSION, session_id)
                if raw is not None:
                    b.pop(app_id, TOKEN, decode(Session, raw).token)
            for session_id in b.keys(app_id, owned(user_id)):
                b.pop(app_id, owned(user_id), session_id)
            return user

    def users(self, app_id: str) -> list[User]:
        """The app's users, oldest first."""
        return self._all(User, app_id, USER)

    # --- sessions ------------------------------------------------------------------------
    @_compound
    def put_session(self, session: Session) -> None:
        """Insert or replace a session (a new token replaces the old one's index entry)."""
        b, a = self.backend, session.app_id
        with self.atomic():
            old = self.get_session(a, session.session_id)
            if old is not None and old.token != session.token:
                b.pop(a, TOKEN, old.token)
            b.put(a, SESSION, session.session_id, encode(session))
            b.put(a, TOKEN, session.token, session.session_id)
            if old is None:
                b.put(a, owned(session.user_id), session.session_id, "")

    def replace_session(self, old: Session, new: Session) -> bool:
        """Store ``new`` (same id and token) if the stored session is still ``old``: a compare
        and set, taking no lock (decision V2); False when another call changed it first."""
        b = self.backend
        return b.put_if(old.app_id, SESSION, old.session_id, encode(old), encode(new))

    def touch_session(self, session: Session, now: int) -> Session | None:
        """Move a session's activity to ``now``: the touched session, or None when another
        call changed it first (read it again). With coalesced activity (V3) the time is
        buffered in the process and written within a second; else a compare and set (V2)."""
        if self.activity is not None:
            return self.activity.touch(session, now)
        touched = replace(session, last_active_at=now, updated_at=now)
        return touched if self.replace_session(session, touched) else None

    def flush_activity(self) -> None:
        """Write the buffered activity now (nothing to do without coalescing)."""
        if self.activity is not None:
            self.activity.flush()

    def get_session(self, app_id: str, session_id: str) -> Session | None:
        """The session by id, or None."""
        return self._seen(self._get(Session, app_id, SESSION, session_id))

    def session_by_token(self, app_id: str, token: str) -> Session | None:
        """The session by opaque token, or None."""
        return self._seen(self._via(Session, app_id, TOKEN, SESSION, token))

    def session_with_user_by_token(
        self, app_id: str, token: str
    ) -> tuple[Session | None, User | None]:
        """The session by token and its user (one round trip on Redis; V6)."""
        via_with = getattr(self.backend, "get_via_with", None)
        if via_with is None:
            session = self.session_by_token(app_id, token)
            return session, None if session is None else self.get_user(app_id, session.user_id)
        raw, raw_user = via_with(app_id, TOKEN, SESSION, token, "user_id", USER)
        session = None if raw is None else self._seen(decode(Session, raw))
        user = None if raw_user is None else decode(User, raw_user)
        if session is not None and user is not None and user.user_id != session.user_id:
            user = self.get_user(app_id, session.user_id)
        return session, user

    @_compound
    def delete_session(self, app_id: str, session_id: str) -> Session | None:
        """Remove a session; returns it, or None when it was not there (so never twice)."""
        b = self.backend
        with self.atomic():
            session = self._pop(Session, app_id, SESSION, session_id)
            if session is None:
                return None
            b.pop(app_id, TOKEN, session.token)
            b.pop(app_id, owned(session.user_id), session_id)
        if self.activity is not None:
            self.activity.forget(app_id, [session_id])
        return self._seen(session)

    def user_sessions(self, app_id: str, user_id: str) -> list[Session]:
        """The user's stored sessions (expired ones included), oldest first."""
        ids = self.backend.keys(app_id, owned(user_id))
        found = self.backend.get_many(app_id, SESSION, ids) if ids else []
        sessions = [decode(Session, raw) for raw in found if raw is not None]
        return sessions if self.activity is None else self.activity.overlay_all(sessions)

    def session_count(self, app_id: str | None = None) -> int:
        """How many sessions are stored (one app, or all)."""
        return self.backend.count(app_id, SESSION)

    # --- one-time credentials ------------------------------------------------------------
    @_compound
    def put_otp(self, otp: OtpChallenge) -> None:
        """Store the pending passcode of a method (replacing any earlier one)."""
        with self.atomic():
            self.backend.put(otp.app_id, OTP, otp.method_id, encode(otp))

    def get_otp(self, app_id: str, method_id: str) -> OtpChallenge | None:
        """The pending passcode of a method, or None."""
        return self._get(OtpChallenge, app_id, OTP, method_id)

    @_compound
    def delete_otp(self, app_id: str, method_id: str) -> None:
        """Forget the pending passcode of a method."""
        with self.atomic():
            self.backend.pop(app_id, OTP, method_id)

    @_compound
    def put_magic_token(self, magic: MagicToken) -> None:
        """Store a magic-link token."""
        with self.atomic():
            self.backend.put(magic.app_id, MAGIC, magic.token, encode(magic))
            if magic.request_origin_token:
                self.backend.put(magic.app_id, ORIGIN, magic.request_origin_token, magic.token)

    @_compound
    def take_magic_token(self, app_id: str, token: str) -> MagicToken | None:
        """Remove and return a magic-link token (single use)."""
        with self.atomic():
            magic = self._pop(MagicToken, app_id, MAGIC, token)
            if magic is not None and magic.request_origin_token:
                self.backend.pop(app_id, ORIGIN, magic.request_origin_token)
            return magic

    def magic_by_origin(self, app_id: str, origin_token: str) -> MagicToken | None:
        """The magic token started with ``request_origin_token`` (still unused), or None."""
        return self._via(MagicToken, app_id, ORIGIN, MAGIC, origin_token)

    @_compound
    def put_oauth_token(self, oauth: OAuthToken) -> None:
        """Store an internal OAuth token."""
        with self.atomic():
            self.backend.put(oauth.app_id, OAUTH, oauth.token, encode(oauth))

    def take_oauth_token(self, app_id: str, token: str) -> OAuthToken | None:
        """Remove and return an OAuth token (single use)."""
        return self._pop(OAuthToken, app_id, OAUTH, token)

    @_compound
    def put_magic_outcome(self, magic: MagicToken) -> None:
        """Remember a redeemed token for polling by its ``request_origin_token``."""
        with self.atomic():
            self.backend.put(magic.app_id, OUTCOME, magic.request_origin_token, encode(magic))

    def take_magic_outcome(self, app_id: str, origin_token: str) -> MagicToken | None:
        """Remove and return the redeemed token polled by ``origin_token`` (one-time)."""
        return self._pop(MagicToken, app_id, OUTCOME, origin_token)

    @_compound
    def put_oauth_state(self, pending: OAuthState) -> None:
        """Store (or update) a pending OAuth login by its ``state``."""
        with self.atomic():
            self.backend.put(pending.app_id, OAUTH_STATE, pending.state, encode(pending))

    def get_oauth_state(self, app_id: str, state: str) -> OAuthState | None:
        """The pending OAuth login with this ``state``, or None."""
        return self._get(OAuthState, app_id, OAUTH_STATE, state)

    def take_oauth_state(self, app_id: str, state: str) -> OAuthState | None:
        """Remove and return a pending OAuth login (the callback uses it once)."""
        return self._pop(OAuthState, app_id, OAUTH_STATE, state)

    # --- webauthn ------------------------------------------------------------------------
    @_compound
    def put_webauthn_challenge(self, challenge: WebauthnChallenge) -> None:
        """Store a pending WebAuthn challenge by its base64url value."""
        with self.atomic():
            raw = encode(challenge)
            self.backend.put(challenge.app_id, WEBAUTHN, challenge.challenge, raw)

    def take_webauthn_challenge(self, app_id: str, challenge: str) -> WebauthnChallenge | None:
        """Remove and return a WebAuthn challenge (single use)."""
        return self._pop(WebauthnChallenge, app_id, WEBAUTHN, challenge)

    def user_by_webauthn_credential(self, app_id: str, credential_id: str) -> User | None:
        """The user holding the credential with this base64url id (a scan: passkeys are few)."""
        for user in self.users(app_id):
            if any(c.credential_id == credential_id for c in user.webauthn_credentials):
                return user
        return None

    def webauthn_challenges(self, app_id: str) -> list[WebauthnChallenge]:
        """Every pending WebAuthn challenge of an app."""
        return self._all(WebauthnChallenge, app_id, WEBAUTHN)

    # --- wallets -------------------------------------------------------------------------
    def user_by_wallet(self, app_id: str, address_key: str) -> User | None:
        """The user a wallet ``<chain>:<address>`` is attached to."""
        return self._via(User, app_id, WALLET, USER, address_key)

    @_compound
    def put_wallet_registration(self, registration: WalletRegistration) -> None:
        """Store a pending wallet login (replacing the earlier one of its key)."""
        with self.atomic():
            raw = encode(registration)
            self.backend.put(registration.app_id, WALLET_REG, registration.key, raw)

    def get_wallet_registration(self, app_id: str, key: str) -> WalletRegistration | None:
        """The pending wallet login of ``key``, or None."""
        return self._get(WalletRegistration, app_id, WALLET_REG, key)

    def take_wallet_registration(self, app_id: str, key: str) -> WalletRegistration | None:
        """Remove and return the pending wallet login of ``key`` (single use)."""
        return self._pop(WalletRegistration, app_id, WALLET_REG, key)

    def wallet_registrations(self, app_id: str) -> list[WalletRegistration]:
        """Every pending wallet login of an app."""
        return self._all(WalletRegistration, app_id, WALLET_REG)

    # --- managed wallets: keys and balances ---------------------------------------------
    def user_by_wallet_id(self, app_id: str, wallet_id: str) -> User | None:
        """The user holding the wallet ``wallet_…``, or None."""
        return self._via(User, app_id, WALLET_ID, USER, wallet_id)

    @_compound
    def put_wallet_key(self, key: WalletKey) -> None:
        """Store (or replace) the private key of a managed wallet."""
        with self.atomic():
            self.backend.put(key.app_id, WALLET_KEY, key.wallet_id, encode(key))

    def get_wallet_key(self, app_id: str, wallet_id: str) -> WalletKey | None:
        """The key of a managed wallet, or None (a linked wallet has none)."""
        return self._get(WalletKey, app_id, WALLET_KEY, wallet_id)

    def wallet_keys(self, app_id: str) -> list[WalletKey]:
        """Every managed wallet's key of an app, oldest first."""
        return self._all(WalletKey, app_id, WALLET_KEY)

    def get_balance(self, app_id: str, wallet_id: str, token_symbol: str) -> str | None:
        """A wallet's balance of a token as decimal text, or None when never set."""
        return self.backend.get(app_id, BALANCE, _balance_key(wallet_id, token_symbol))

    @_compound
    def put_balance(self, app_id: str, wallet_id: str, token_symbol: str, amount: str) -> None:
        """Set a wallet's balance of a token (decimal text)."""
        with self.atomic():
            self.backend.put(app_id, BALANCE, _balance_key(wallet_id, token_symbol), amount)

    def balances(self, app_id: str) -> list[tuple[str, str, str]]:
        """Every set balance of an app: ``(wallet_id, token_symbol, amount)``."""
        found: list[tuple[str, str, str]] = []
        for key in self.backend.keys(app_id, BALANCE):
            amount = self.backend.get(app_id, BALANCE, key)
            if amount is not None:
                wallet_id, _, token = key.partition(" ")
                found.append((wallet_id, token, amount))
        return found

    # --- wallet import (§10) -----------------------------------------------------------
    @_compound
    def put_wallet_import_key(self, key: WalletImportKey) -> None:
        """Store a BeginWalletImport key pair by its base64 public key."""
        with self.atomic():
            self.backend.put(key.app_id, WALLET_IMPORT, key.public_key, encode(key))

    def take_wallet_import_key(self, app_id: str, public_key: str) -> WalletImportKey | None:
        """Remove and return a key pair (single use: one caller gets it)."""
        return self._pop(WalletImportKey, app_id, WALLET_IMPORT, public_key)

    def wallet_import_keys(self, app_id: str) -> list[WalletImportKey]:
        """Every stored key pair of an app (expired ones included), oldest first."""
        return self._all(WalletImportKey, app_id, WALLET_IMPORT)

    # --- transfers -----------------------------------------------------------------------
    @_compound
    def put_transfer(self, transfer: Transfer) -> None:
        """Insert or replace a transfer (its place in the creation order stays)."""
        with self.atomic():
            self.backend.put(transfer.app_id, TRANSFER, transfer.id, encode(transfer))

    def get_transfer(self, app_id: str, transfer_id: str) -> Transfer | None:
        """The transfer, or None."""
        return self._get(Transfer, app_id, TRANSFER, transfer_id)

    def transfers(self, app_id: str) -> list[Transfer]:
        """Every transfer of an app, oldest first."""
        return self._all(Transfer, app_id, TRANSFER)

    # --- whole state ---------------------------------------------------------------------
    @_compound
    def reset(self, app_id: str | None = None) -> None:
        """Drop every app's records (apps stay), or one app's."""
        with self.atomic():
            for chosen in [app_id] if app_id is not None else self.backend.keys(GLOBAL, APP):
                self.backend.clear(chosen)
                if self.activity is not None:
                    self.activity.forget(chosen)

    def sessions(self, app_id: str) -> list[Session]:
        """Every stored session of an app (expired ones included), oldest first."""
        found = self._all(Session, app_id, SESSION)
        return found if self.activity is None else self.activity.overlay_all(found)

    def otps(self, app_id: str) -> list[OtpChallenge]:
        """Every pending passcode of an app."""
        return self._all(OtpChallenge, app_id, OTP)

    def magic_tokens(self, app_id: str) -> list[MagicToken]:
        """Every unused magic-link token of an app."""
        return self._all(MagicToken, app_id, MAGIC)

    def oauth_tokens(self, app_id: str) -> list[OAuthToken]:
        """Every unused OAuth token of an app."""
        return self._all(OAuthToken, app_id, OAUTH)
