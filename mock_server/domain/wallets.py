"""Wallets login: challenges, nonces, signature checks, linking, sessions (§4; D19, D21, W1-W9).

A registration (``walletrr_…``) names the user a wallet address logs in as: the user the
address is attached to, else the ``user_id`` given, else a new user. VerifyWallet checks a
signature of the registration's challenge, VerifySiweWalletRegistration a signed EIP-4361
message carrying its nonce; either links the wallet (read-only, imported, not default) and,
when asked, creates or steps up a session with an ``eth_wallet``/``sol_wallet`` factor.
A registration lives ``wallet_challenge_minutes`` on the fake's clock and is consumed by its
first success; a failed attempt leaves it usable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mock_server.errors import (
    DuplicateWallet,
    InvalidSiweMessage,
    InvalidWalletChallenge,
    SiweMessageExpired,
    SiweMessageNotYetValid,
    WalletChallengeExpired,
    WalletNotDeletable,
    WalletNotFound,
)
from mock_server.models import App, Factor, User, Wallet, WalletRegistration, chain_of
from mock_server.state import MockState

from . import sessions, siwe, users, wallet_signatures
from .sessions import Issued

CHALLENGE, NONCE = "challenge", "nonce"
RANDOM_CHARS = 43  # as long as the published challenge and nonce (§4.1, §4.3)
ISSUED_AT_SKEW_SECONDS = 60  # W5: a client clock slightly ahead of the fake's is tolerated
FACTOR_CHANNELS = {"ethereum": "eth_wallet", "solana": "sol_wallet"}


def _address(body: dict[str, Any]) -> tuple[str, str]:
    chain = chain_of(body["wallet_type"])
    return chain, wallet_signatures.normalize_address(chain, body["public_address"])


def begin(state: MockState, app: App, body: dict[str, Any], kind: str) -> WalletRegistration:
    """BeginWalletRegistration (``challenge``) or GetWalletRegistrationNonce (``nonce``).

    A new registration replaces the pending one of the same kind for that address (D21).
    """
    chain, address = _address(body)
    now = state.now_ts()
    with state.store.atomic():
        owner = state.store.user_by_wallet(app.app_id, f"{chain}:{address}")
        wanted = body.get("user_id")
        created = False
        if wanted is not None:
            user = users.get(state, app, wanted)
            if owner is not None and owner.user_id != user.user_id:
                raise DuplicateWallet(
                    f"Wallet {address} is attached to another user than '{wanted}'"
                )
        elif owner is not None:
            user = owner
        else:
            user, created = users.new_user(state, app, status="pending"), True
        random = state.ids.chars(RANDOM_CHARS)
        registration = WalletRegistration(
            id=state.ids.new("walletrr_"),
            app_id=app.app_id,
            user_id=user.user_id,
            public_address=address,
            wallet_type=body["wallet_type"],
            chain=chain,
            kind=kind,
            challenge=f"Login for {app.name}: {random}" if kind == CHALLENGE else random,
            created_at=now,
            expires_at=now + app.wallet_challenge_minutes * 60,
            user_created=created,
        )
        state.store.put_wallet_registration(registration)
    return registration


def _pending(state: MockState, app: App, key: str, what: str) -> tuple[WalletRegistration, User]:
    registration = state.store.get_wallet_registration(app.app_id, key)
    if registration is None:
        raise InvalidWalletChallenge(what)
    if registration.expires_at <= state.now():
        state.store.take_wallet_registration(app.app_id, key)
        raise WalletChallengeExpired()
    user = state.store.get_user(app.app_id, registration.user_id)
    if user is None:
        state.store.take_wallet_registration(app.app_id, key)
        raise InvalidWalletChallenge("The user of this registration no longer exists")
    return registration, user


def verify(
    state: MockState, app: App, body: dict[str, Any]
) -> tuple[Wallet, User, Issued, WalletRegistration]:
    """VerifyWallet: the signature of the address's pending challenge (§4.2)."""
    chain, address = _address(body)
    key = f"{CHALLENGE}:{chain}:{address}"
    with state.store.atomic():
        registration, user = _pending(
            state,
            app,
            key,
            f"No pending challenge for {address}: call BeginWalletRegistration first "
            "(a challenge is used once)",
        )
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        wallet_signatures.verify(chain, address, registration.challenge, body["signature"])
        return _complete(state, app, registration, user, body, existing)


def verify_siwe(
    state: MockState, app: App, body: dict[str, Any]
) -> tuple[Wallet, User, Issued, WalletRegistration]:
    """VerifySiweWalletRegistration: a signed EIP-4361 (or SIWS) message with the nonce (§4.4)."""
    message = siwe.parse(body["siwe_challenge"])
    chain = message.chain
    if "wallet_type" in body and chain_of(body["wallet_type"]) != chain:
        raise InvalidSiweMessage(
            f"wallet_type '{body['wallet_type']}' does not match the message's {chain} header"
        )
    address = wallet_signatures.normalize_address(chain, message.address)
    if "public_address" in body:
        sent = wallet_signatures.normalize_address(chain, body["public_address"])
        if sent != address:
            raise InvalidSiweMessage(
                f"public_address {sent} is not the message's address {address}"
            )
    _check_siwe(state, app, message)
    key = f"{NONCE}:{chain}:{address}"
    with state.store.atomic():
        registration, user = _pending(
            state,
            app,
            key,
            f"No pending nonce for {address}: call GetWalletRegistrationNonce first "
            "(a nonce is used once)",
        )
        if registration.challenge != message.nonce:
            raise InvalidWalletChallenge(
                f"Nonce '{message.nonce}' is not the pending nonce of {address} "
                "(unknown, replaced or already used)"
            )
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        wallet_signatures.verify(chain, address, body["siwe_challenge"], body["signature"])
        return _complete(state, app, registration, user, body, existing)


def _check_siwe(state: MockState, app: App, message: siwe.SiweMessage) -> None:
    """Domain (when the app lists domains) and the time fields on the fake's clock (W5)."""
    allowed = {d.lower() for d in app.siwe_domains}
    if allowed and message.domain.lower() not in allowed:
        raise InvalidSiweMessage(f"Domain '{message.domain}' is not one of this app's SIWE domains")
    now = state.now()
    if message.expiration_time is not None and message.expiration_time <= now:
        raise SiweMessageExpired()
    if message.not_before is not None and message.not_before > now:
        raise SiweMessageNotYetValid("The SIWE message's Not Before is in the future")
    if message.issued_at > now + ISSUED_AT_SKEW_SECONDS:
        raise SiweMessageNotYetValid("The SIWE message's Issued At is in the future")


def _complete(
    state: MockState,
    app: App,
    registration: WalletRegistration,
    user: User,
    body: dict[str, Any],
    existing: Any,
) -> tuple[Wallet, User, Issued, WalletRegistration]:
    """Consume the registration, link the wallet, issue the session when asked (W6)."""
    user, wallet = _link(state, app, user, registration)
    state.store.take_wallet_registration(app.app_id, registration.key)
    issued = Issued(None, "", "")
    wants_session = any(k in body for k in ("session_expires_in", "session_token", "session_jwt"))
    if wants_session:
        factor = Factor(
            delivery_channel=FACTOR_CHANNELS[registration.chain],
            type="wallet",
            method_id=wallet.id,
            method_type="wallet",
            last_verified_at=state.now_ts(),
            details=(
                ("wallet_id", wallet.id),
                ("wallet_type", wallet.wallet_type),
                ("wallet_public_address", wallet.public_address),
            ),
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return wallet, user, issued, registration


def _link(
    state: MockState, app: App, user: User, registration: WalletRegistration
) -> tuple[User, Wallet]:
    """The user's wallet for the address (attached now when new); the user turns active."""
    now = state.now_ts()
    probe = Wallet("", registration.public_address, registration.wallet_type, now)
    owner = state.store.user_by_wallet(app.app_id, probe.address_key)
    if owner is not None and owner.user_id != user.user_id:
        raise DuplicateWallet(f"Wallet {registration.public_address} is attached to another user")
    found = next((w for w in user.wallets if w.address_key == probe.address_key), None)
    if found is not None:
        wallet = replace(found, verified=True, updated_at=now)
        wallets = tuple(wallet if w.id == found.id else w for w in user.wallets)
    else:
        wallet = Wallet(
            id=state.ids.new("wallet_"),
            public_address=registration.public_address,
            wallet_type=registration.wallet_type,
            created_at=now,
            verified=True,
            is_default=False,
            is_read_only=True,
            is_imported=True,
            updated_at=now,
        )
        wallets = (*user.wallets, wallet)
    user = replace(user, wallets=wallets, status="active", updated_at=now)
    state.store.put_user(user)
    return user, wallet


def delete(state: MockState, app: App, wallet_id: str) -> User:
    """DeleteUserWallet: only read-only (linked) wallets (§3.2, W8); the owner is returned."""
    with state.store.atomic():
        user = state.store.user_by_method(app.app_id, wallet_id)
        wallet = next((w for w in user.wallets if w.id == wallet_id), None) if user else None
        if user is None or wallet is None:
            raise WalletNotFound(f"No wallet with id '{wallet_id}' in this app")
        if not wallet.is_read_only:
            raise WalletNotDeletable(
                f"Wallet '{wallet_id}' is the user's default wallet; only linked "
                "(read-only) wallets can be deleted"
            )
        now = state.now_ts()
        wallets = tuple(w for w in user.wallets if w.id != wallet_id)
        state.store.put_user(replace(user, wallets=wallets, updated_at=now))
    return user
