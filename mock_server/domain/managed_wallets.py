"""Managed wallets: created with a real key the fake keeps, found by id (§5; decisions M1-M7).

A user has at most one managed (non-imported) wallet per chain: CreateWallet and CreateUser's
``wallet_type`` answer the existing one (``ETH`` and ``ethereum`` are one chain, §5.1). An
imported wallet (§10) is always a new one, refused when its address is attached already.
The key is a :class:`~mock_server.models.WalletKey` in the store, never in an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mock_server.errors import (
    DuplicateWallet,
    UserNotFound,
    ValidationError,
    WalletNotFound,
    WalletNotManaged,
)
from mock_server.models import App, User, Wallet, WalletKey, chain_of
from mock_server.state import MockState

from . import chain_keys

HEX = "0123456789abcdef"


def _seeded_bytes(state: MockState) -> Callable[[int], bytes]:
    """Random bytes from the fake's id source (so ``--random-seed`` repeats the addresses)."""
    return lambda count: bytes.fromhex(state.ids.chars(2 * count, HEX))


def create(
    state: MockState,
    app: App,
    user_id: str,
    wallet_type: str,
    *,
    secret: bytes | None = None,
    imported: bool = False,
    account_index: int | None = None,
) -> tuple[User, Wallet, bool]:
    """The user's managed wallet of ``wallet_type``'s chain: ``(user, wallet, created)``.

    An existing non-imported managed wallet of that chain is answered with ``created`` False.
    ``secret`` (an import) must be a valid key of the chain (ValueError otherwise).
    """
    try:
        chain = chain_keys.chain_for_type(wallet_type)
    except ValueError:
        raise ValidationError(
            f"Invalid body field 'wallet_type': '{wallet_type}' is not a managed wallet type"
        ) from None
    with state.store.atomic():
        user = state.store.get_user(app.app_id, user_id)
        if user is None:
            raise UserNotFound(f"No user with id '{user_id}' in this app")
        if not imported:
            for wallet in user.wallets:
                if wallet.managed and not wallet.is_imported and _chain(wallet) == chain:
                    return user, wallet, False
        if secret is None:
            secret = chain_keys.new_secret(chain, _seeded_bytes(state))
        elif not chain_keys.valid_secret(chain, secret):
            raise ValueError(f"not a {chain} secret key")
        address = chain_keys.address_of(chain, secret)
        owner = state.store.user_by_wallet(app.app_id, f"{chain}:{address}")
        if owner is not None:
            raise DuplicateWallet(f"Wallet {address} is attached to a user already")
        now = state.now_ts()
        wallet = Wallet(
            id=state.ids.new("wallet_"),
            public_address=address,
            wallet_type=wallet_type,
            created_at=now,
            verified=True,
            is_default=not imported,
            is_read_only=False,
            is_imported=imported,
            updated_at=now,
            wallet_pk_id=state.ids.new("walletpk_"),
            account_index=account_index,
        )
        user = replace(user, wallets=(*user.wallets, wallet), updated_at=now)
        state.store.put_user(user)
        key = WalletKey(
            wallet_id=wallet.id,
            app_id=app.app_id,
            user_id=user.user_id,
            wallet_type=wallet_type,
            chain=chain,
            secret_hex=secret.hex(),
            created_at=now,
        )
        state.store.put_wallet_key(key)
        return user, wallet, True


def _chain(wallet: Wallet) -> str:
    return chain_of(wallet.wallet_type)


def find(state: MockState, app: App, wallet_id: str) -> tuple[User, Wallet]:
    """The wallet (managed or linked) and its user; :class:`WalletNotFound` naming the id."""
    user = state.store.user_by_wallet_id(app.app_id, wallet_id)
    wallet = next((w for w in user.wallets if w.id == wallet_id), None) if user else None
    if user is None or wallet is None:
        raise WalletNotFound(f"No wallet with id '{wallet_id}' in this app")
    return user, wallet


def key_of(state: MockState, app: App, wallet_id: str) -> WalletKey:
    """The key of a managed wallet; :class:`WalletNotManaged` (400) for a linked wallet."""
    _, wallet = find(state, app, wallet_id)
    key = state.store.get_wallet_key(app.app_id, wallet_id) if wallet.managed else None
    if key is None:
        raise WalletNotManaged(
            f"Wallet '{wallet_id}' is a linked external wallet ({wallet.public_address}): "
            "the fake holds no key for it, so it cannot sign or send"
        )
    return key
