"""The in-memory store: dictionaries behind one re-entrant lock (``memory://``).

Every lookup is scoped by ``app_id``, so apps never see each other's records. Verify and delete
are dictionary look-ups (O(1)); listing a user's sessions touches that user's sessions only.
Compound read-modify-write steps run inside :meth:`Store.atomic`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

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

T = TypeVar("T")


def _norm_email(email: str) -> str:
    return email.strip().lower()


def _shared_details(pool: dict[Any, Any], session: Session) -> Session:
    """``session`` with its factors' ``details`` taken from ``pool``.

    A user's sessions proven by the same method carry equal details; sharing one tuple saves
    about 170 bytes a session (issue 7: 10^6 sessions within 1 GiB).
    """
    factors = tuple(
        f if (d := pool.setdefault(f.details, f.details)) is f.details else replace(f, details=d)
        for f in session.factors
    )
    if all(new is old for new, old in zip(factors, session.factors, strict=True)):
        return session
    return replace(session, factors=factors)


@dataclass
class _AppData:
    """Everything one app owns, with its indexes."""

    users: dict[str, User] = field(default_factory=dict)
    details: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = field(
        default_factory=dict
    )
    by_email: dict[str, str] = field(default_factory=dict)
    by_phone: dict[str, str] = field(default_factory=dict)
    by_method: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    by_token: dict[str, str] = field(default_factory=dict)
    user_sessions: dict[str, dict[str, None]] = field(default_factory=dict)
    otps: dict[str, OtpChallenge] = field(default_factory=dict)
    magic: dict[str, MagicToken] = field(default_factory=dict)
    magic_origin: dict[str, str] = field(default_factory=dict)
    oauth: dict[str, OAuthToken] = field(default_factory=dict)
    magic_outcomes: dict[str, MagicToken] = field(default_factory=dict)
    oauth_states: dict[str, OAuthState] = field(default_factory=dict)
    webauthn_challenges: dict[str, WebauthnChallenge] = field(default_factory=dict)

    by_wallet: dict[str, str] = field(default_factory=dict)
    wallet_registrations: dict[str, WalletRegistration] = field(default_factory=dict)
    by_wallet_id: dict[str, str] = field(default_factory=dict)
    wallet_keys: dict[str, WalletKey] = field(default_factory=dict)
    balances: dict[tuple[str, str], str] = field(default_factory=dict)
    wallet_import_keys: dict[str, WalletImportKey] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)


class InMemoryStore:
    """Dictionaries behind one re-entrant lock."""

    durable = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._apps: dict[str, App] = {}
        self._by_secret: dict[str, str] = {}
        self._by_public: dict[str, str] = {}
        self._data: dict[str, _AppData] = {}
        self._meta: dict[str, str] = {}

    def atomic(self) -> AbstractContextManager[object]:
        """The store's re-entrant lock."""
        return self._lock

    def run(self, change: Callable[[], T]) -> T:
        """``change()``: its ``atomic()`` blocks hold the lock, so it never runs again."""
        return change()

    def _app_data(self, app_id: str) -> _AppData:
        data = self._data.get(app_id)
        if data is None:
            data = self._data[app_id] = _AppData()
        return data

    # --- apps ------------------------------------------------------------------------
    def put_app(self, app: App) -> None:
        """Insert or replace an app and re-index its keys."""
        with self._lock:
            old = self._apps.get(app.app_id)
            if old is not None:
                self._unindex_app(old)
            self._apps[app.app_id] = app
            for key in app.secret_keys:
                self._by_secret[key] = app.app_id
            self._by_public[app.public_token] = app.app_id
            self._app_data(app.app_id)

    def _unindex_app(self, app: App) -> None:
        for key in app.secret_keys:
            self._by_secret.pop(key, None)
        self._by_public.pop(app.public_token, None)

    def get_app(self, app_id: str) -> App | None:
        """The app, or None."""
        return self._apps.get(app_id)

    def app_by_secret_key(self, key: str) -> App | None:
        """The app owning secret ``key``."""
        app_id = self._by_secret.get(key)
        return self._apps.get(app_id) if app_id else None

    def app_by_public_token(self, token: str) -> App | None:
        """The app owning public ``token``."""
        app_id = self._by_public.get(token)
        return self._apps.get(app_id) if app_id else None

    def delete_app(self, app_id: str) -> App | None:
        """Remove an app and everything it owns."""
        with self._lock:
            app = self._apps.pop(app_id, None)
            if app is not None:
                self._unindex_app(app)
            self._data.pop(app_id, None)
            return app

    def apps(self) -> list[App]:
        """All apps, oldest first."""
        with self._lock:
            return list(self._apps.values())

    # --- users -----------------------------------------------------------------------
    def put_user(self, user: User) -> None:
        """Insert or replace a user and re-index its emails and phone numbers."""
        with self._lock:
            data = self._app_data(user.app_id)
            old = data.users.get(user.user_id)
            if old is not None:
                self._unindex_user(data, old)
            data.users[user.user_id] = user
            for email in user.emails:
                data.by_email[_norm_email(email.email)] = user.user_id
                data.by_method[email.id] = user.user_id
            for phone in user.phone_numbers:
                data.by_phone[phone.phone_number] = user.user_id
                data.by_method[phone.id] = user.user_id
            for totp in user.totps:
                data.by_method[totp.id] = user.user_id

            for wallet in user.wallets:
                data.by_wallet[wallet.address_key] = user.user_id
                data.by_method[wallet.id] = user.user_id
                data.by_wallet_id[wallet.id] = user.user_id

    @staticmethod
    def _unindex_user(data: _AppData, user: User) -> None:
        for email in user.emails:
            data.by_email.pop(_norm_email(email.email), None)
            data.by_method.pop(email.id, None)
        for phone in user.phone_numbers:
            data.by_phone.pop(phone.phone_number, None)
            data.by_method.pop(phone.id, None)
        for totp in user.totps:
            data.by_method.pop(totp.id, None)

        for wallet in user.wallets:
            data.by_wallet.pop(wallet.address_key, None)
            data.by_method.pop(wallet.id, None)
            data.by_wallet_id.pop(wallet.id, None)

    def get_user(self, app_id: str, user_id: str) -> User | None:
        """The user, or None."""
        data = self._data.get(app_id)
        return data.users.get(user_id) if data else None

    def _user_via(self, app_id: str, index: str, key: str) -> User | None:
        data = self._data.get(app_id)
        if data is None:
            return None
        user_id = getattr(data, index).get(key)
        return data.users.get(user_id) if user_id else None

    def user_by_email(self, app_id: str, email: str) -> User | None:
        """The user with this email (case-insensitive)."""
        return self._user_via(app_id, "by_email", _norm_email(email))

    def user_by_phone(self, app_id: str, phone: str) -> User | None:
        """The user with this E.164 phone number."""
        return self._user_via(app_id, "by_phone", phone)

    def user_by_method(self, app_id: str, method_id: str) -> User | None:
        """The user owning an ``email_…``, ``pn_…`` or ``totp_…`` id."""
        return self._user_via(app_id, "by_method", method_id)

    def delete_user(self, app_id: str, user_id: str) -> User | None:
        """Remove a user with its sessions and pending passcodes."""
        with self._lock:
            data = self._data.get(app_id)
            if data is None or user_id not in data.users:
                return None
            user = data.users.pop(user_id)
            self._unindex_user(data, user)
            # Only here: a put_user (re-index) must keep the user's pending passcodes.
            for method_id in [e.id for e in user.emails] + [p.id for p in user.phone_numbers]:
                data.otps.pop(method_id, None)
            gone = {w.id for w in user.wallets}
            for wallet_id in gone:
                data.wallet_keys.pop(wallet_id, None)
            for pair in [p for p in data.balances if p[0] in gone]:
                del data.balances[pair]
            for session_id in list(data.user_sessions.pop(user_id, {})):
                session = data.sessions.pop(session_id, None)
                if session is not None:
                    data.by_token.pop(session.token, None)
            return user

    def users(self, app_id: str) -> list[User]:
        """The app's users, oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.users.values()) if data else []

    # --- sessions --------------------------------------------------------------------
    def put_session(self, session: Session) -> None:
        """Insert or replace a session (a new token replaces the old one's index entry)."""
        with self._lock:
            data = self._app_data(session.app_id)
            session = _shared_details(data.details, session)
            old = data.sessions.get(session.session_id)
            if old is not None and old.token != session.token:
                data.by_token.pop(old.token, None)
            data.sessions[session.session_id] = session
            data.by_token[session.token] = session.session_id
            data.user_sessions.setdefault(session.user_id, {})[session.session_id] = None

    def replace_session(self, old: Session, new: Session) -> bool:
        """Store ``new`` (same id and token) if the stored session is still ``old``."""
        with self._lock:
            data = self._data.get(old.app_id)
            if data is None or data.sessions.get(old.session_id) != old:
                return False
            data.sessions[new.session_id] = _shared_details(data.details, new)
            return True

    def session_with_user_by_token(
        self, app_id: str, token: str
    ) -> tuple[Session | None, User | None]:
        """The session by token and its user."""
        session = self.session_by_token(app_id, token)
        return session, None if session is None else self.get_user(app_id, session.user_id)

    def touch_session(self, session: Session, now: int) -> Session | None:
        """Move a session's activity to ``now`` if it is still ``session``; None otherwise."""
        touched = replace(session, last_active_at=now, updated_at=now)
        return touched if self.replace_session(session, touched) else None

    def flush_activity(self) -> None:
        """Nothing buffered: every change is in place."""

    def get_session(self, app_id: str, session_id: str) -> Session | None:
        """The session by id, or None."""
        data = self._data.get(app_id)
        return data.sessions.get(session_id) if data else None

    def session_by_token(self, app_id: str, token: str) -> Session | None:
        """The session by opaque token, or None."""
        data = self._data.get(app_id)
        if data is None:
            return None
        session_id = data.by_token.get(token)
        return data.sessions.get(session_id) if session_id else None

    def delete_session(self, app_id: str, session_id: str) -> Session | None:
        """Remove a session; returns it, or None when it was not there (so never twice)."""
        with self._lock:
            data = self._data.get(app_id)
            if data is None:
                return None
            session = data.sessions.pop(session_id, None)
            if session is None:
                return None
            data.by_token.pop(session.token, None)
            owned = data.user_sessions.get(session.user_id)
            if owned is not None:
                owned.pop(session_id, None)
                if not owned:
                    del data.user_sessions[session.user_id]
            return session

    def user_sessions(self, app_id: str, user_id: str) -> list[Session]:
        """The user's stored sessions (expired ones included), oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            if data is None:
                return []
            ids = data.user_sessions.get(user_id, {})
            return [data.sessions[i] for i in ids if i in data.sessions]

    def session_count(self, app_id: str | None = None) -> int:
        """How many sessions are stored (one app, or all)."""
        with self._lock:
            if app_id is not None:
                data = self._data.get(app_id)
                return len(data.sessions) if data else 0
            return sum(len(d.sessions) for d in self._data.values())

    # --- one-time credentials --------------------------------------------------------
    def put_otp(self, otp: OtpChallenge) -> None:
        """Store the pending passcode of a method (replacing any earlier one)."""
        with self._lock:
            self._app_data(otp.app_id).otps[otp.method_id] = otp

    def get_otp(self, app_id: str, method_id: str) -> OtpChallenge | None:
        """The pending passcode of a method, or None."""
        data = self._data.get(app_id)
        return data.otps.get(method_id) if data else None

    def delete_otp(self, app_id: str, method_id: str) -> None:
        """Forget the pending passcode of a method."""
        with self._lock:
            data = self._data.get(app_id)
            if data is not None:
                data.otps.pop(method_id, None)

    def put_magic_token(self, magic: MagicToken) -> None:
        """Store a magic-link token."""
        with self._lock:
            data = self._app_data(magic.app_id)
            data.magic[magic.token] = magic
            if magic.request_origin_token:
                data.magic_origin[magic.request_origin_token] = magic.token

    def take_magic_token(self, app_id: str, token: str) -> MagicToken | None:
        """Remove and return a magic-link token (single use)."""
        with self._lock:
            data = self._data.get(app_id)
            magic = data.magic.pop(token, None) if data else None
            if data is not None and magic is not None:
                data.magic_origin.pop(magic.request_origin_token, None)
            return magic

    def magic_by_origin(self, app_id: str, origin_token: str) -> MagicToken | None:
        """The magic token started with ``request_origin_token`` (still unused), or None."""
        data = self._data.get(app_id)
        if data is None:
            return None
        token = data.magic_origin.get(origin_token)
        return data.magic.get(token) if token else None

    def put_oauth_token(self, oauth: OAuthToken) -> None:
        """Store an internal OAuth token."""
        with self._lock:
            self._app_data(oauth.app_id).oauth[oauth.token] = oauth

    def take_oauth_token(self, app_id: str, token: str) -> OAuthToken | None:
        """Remove and return an OAuth token (single use)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.oauth.pop(token, None) if data else None

    def put_magic_outcome(self, magic: MagicToken) -> None:
        """Remember a redeemed token for polling by its ``request_origin_token``."""
        with self._lock:
            self._app_data(magic.app_id).magic_outcomes[magic.request_origin_token] = magic

    def take_magic_outcome(self, app_id: str, origin_token: str) -> MagicToken | None:
        """Remove and return the redeemed token polled by ``origin_token`` (one-time)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.magic_outcomes.pop(origin_token, None) if data else None

    def put_oauth_state(self, pending: OAuthState) -> None:
        """Store (or update) a pending OAuth login by its ``state``."""
        with self._lock:
            self._app_data(pending.app_id).oauth_states[pending.state] = pending

    def get_oauth_state(self, app_id: str, state: str) -> OAuthState | None:
        """The pending OAuth login with this ``state``, or None."""
        data = self._data.get(app_id)
        return data.oauth_states.get(state) if data else None

    def take_oauth_state(self, app_id: str, state: str) -> OAuthState | None:
        """Remove and return a pending OAuth login (the callback uses it once)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.oauth_states.pop(state, None) if data else None

    # --- webauthn ------------------------------------------------------------------------
    def put_webauthn_challenge(self, challenge: WebauthnChallenge) -> None:
        """Store a pending WebAuthn challenge by its base64url value."""
        with self._lock:
            self._app_data(challenge.app_id).webauthn_challenges[challenge.challenge] = challenge

    def take_webauthn_challenge(self, app_id: str, challenge: str) -> WebauthnChallenge | None:
        """Remove and return a WebAuthn challenge (single use)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.webauthn_challenges.pop(challenge, None) if data else None

    def user_by_webauthn_credential(self, app_id: str, credential_id: str) -> User | None:
        """The user holding the credential with this base64url id (a scan: passkeys are few)."""
        with self._lock:
            data = self._data.get(app_id)
            users = list(data.users.values()) if data else []
        for user in users:
            if any(c.credential_id == credential_id for c in user.webauthn_credentials):
                return user
        return None

    def webauthn_challenges(self, app_id: str) -> list[WebauthnChallenge]:
        """Every pending WebAuthn challenge of an app."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.webauthn_challenges.values()) if data else []

    # --- wallets ---------------------------------------------------------------------
    def user_by_wallet(self, app_id: str, address_key: str) -> User | None:
        """The user a wallet ``<chain>:<address>`` is attached to."""
        return self._user_via(app_id, "by_wallet", address_key)

    def put_wallet_registration(self, registration: WalletRegistration) -> None:
        """Store a pending wallet login (replacing the earlier one of its key)."""
        with self._lock:
            data = self._app_data(registration.app_id)
            data.wallet_registrations[registration.key] = registration

    def get_wallet_registration(self, app_id: str, key: str) -> WalletRegistration | None:
        """The pending wallet login of ``key``, or None."""
        data = self._data.get(app_id)
        return data.wallet_registrations.get(key) if data else None

    def take_wallet_registration(self, app_id: str, key: str) -> WalletRegistration | None:
        """Remove and return the pending wallet login of ``key`` (single use)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.wallet_registrations.pop(key, None) if data else None

    def wallet_registrations(self, app_id: str) -> list[WalletRegistration]:
        """Every pending wallet login of an app."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.wallet_registrations.values()) if data else []

    # --- managed wallets: keys and balances -------------------------------------------
    def user_by_wallet_id(self, app_id: str, wallet_id: str) -> User | None:
        """The user holding the wallet ``wallet_…``, or None."""
        return self._user_via(app_id, "by_wallet_id", wallet_id)

    def put_wallet_key(self, key: WalletKey) -> None:
        """Store (or replace) the private key of a managed wallet."""
        with self._lock:
            self._app_data(key.app_id).wallet_keys[key.wallet_id] = key

    def get_wallet_key(self, app_id: str, wallet_id: str) -> WalletKey | None:
        """The key of a managed wallet, or None (a linked wallet has none)."""
        data = self._data.get(app_id)
        return data.wallet_keys.get(wallet_id) if data else None

    def wallet_keys(self, app_id: str) -> list[WalletKey]:
        """Every managed wallet's key of an app, oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.wallet_keys.values()) if data else []

    def get_balance(self, app_id: str, wallet_id: str, token_symbol: str) -> str | None:
        """A wallet's balance of a token as decimal text, or None when never set."""
        data = self._data.get(app_id)
        return data.balances.get((wallet_id, token_symbol)) if data else None

    def put_balance(self, app_id: str, wallet_id: str, token_symbol: str, amount: str) -> None:
        """Set a wallet's balance of a token (decimal text)."""
        with self._lock:
            self._app_data(app_id).balances[(wallet_id, token_symbol)] = amount

    def balances(self, app_id: str) -> list[tuple[str, str, str]]:
        """Every set balance of an app: ``(wallet_id, token_symbol, amount)``."""
        with self._lock:
            data = self._data.get(app_id)
            items = list(data.balances.items()) if data else []
        return [(wallet_id, token, amount) for (wallet_id, token), amount in items]

    # --- wallet import (§10) -------------------------------------------------------
    def put_wallet_import_key(self, key: WalletImportKey) -> None:
        """Store a BeginWalletImport key pair by its base64 public key."""
        with self._lock:
            self._app_data(key.app_id).wallet_import_keys[key.public_key] = key

    def take_wallet_import_key(self, app_id: str, public_key: str) -> WalletImportKey | None:
        """Remove and return a key pair (single use: one caller gets it)."""
        with self._lock:
            data = self._data.get(app_id)
            return data.wallet_import_keys.pop(public_key, None) if data else None

    def wallet_import_keys(self, app_id: str) -> list[WalletImportKey]:
        """Every stored key pair of an app (expired ones included), oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.wallet_import_keys.values()) if data else []

    # --- transfers -------------------------------------------------------------------
    def put_transfer(self, transfer: Transfer) -> None:
        """Insert or replace a transfer (its place in the creation order stays)."""
        with self._lock:
            self._app_data(transfer.app_id).transfers[transfer.id] = transfer

    def get_transfer(self, app_id: str, transfer_id: str) -> Transfer | None:
        """The transfer, or None."""
        data = self._data.get(app_id)
        return data.transfers.get(transfer_id) if data else None

    def transfers(self, app_id: str) -> list[Transfer]:
        """Every transfer of an app, oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.transfers.values()) if data else []

    # --- whole state -----------------------------------------------------------------
    def reset(self, app_id: str | None = None) -> None:
        """Drop every app's records (apps stay), or one app's."""
        with self._lock:
            if app_id is None:
                for key in list(self._data):
                    self._data[key] = _AppData()
            elif app_id in self._data:
                self._data[app_id] = _AppData()

    def sessions(self, app_id: str) -> list[Session]:
        """Every stored session of an app (expired ones included), oldest first."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.sessions.values()) if data else []

    def otps(self, app_id: str) -> list[OtpChallenge]:
        """Every pending passcode of an app."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.otps.values()) if data else []

    def magic_tokens(self, app_id: str) -> list[MagicToken]:
        """Every unused magic-link token of an app."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.magic.values()) if data else []

    def oauth_tokens(self, app_id: str) -> list[OAuthToken]:
        """Every unused OAuth token of an app."""
        with self._lock:
            data = self._data.get(app_id)
            return list(data.oauth.values()) if data else []

    def get_meta(self, name: str) -> str | None:
        """A value of the store's own (signing keys): kept for the process's life only."""
        return self._meta.get(name)

    def put_meta(self, name: str, value: str) -> None:
        """Set a value of the store's own."""
        with self._lock:
            self._meta[name] = value

    def init_meta(self, name: str, value: str) -> str:
        """Set ``name`` unless set; the value it has afterwards."""
        with self._lock:
            return self._meta.setdefault(name, value)

    def close(self) -> None:
        """Nothing to release."""

    def iter_app_ids(self) -> Iterator[str]:
        """Ids of all apps."""
        return iter(list(self._apps))
