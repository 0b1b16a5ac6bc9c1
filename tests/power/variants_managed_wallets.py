"""Broken variants for the managed-wallet rules of issue 26 (conformance/test_managed_wallets.py).

Each is caught by one named rule (``CAUGHT_BY``: variant → the conformance test that must fail);
the power test checks that test is among the failures, not just that something failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from mock_server.domain import balances, chain_keys, managed_wallets, users
from mock_server.errors import ValidationError
from mock_server.models import Json, Wallet

Variant = Callable[[pytest.MonkeyPatch], None]


def create_not_idempotent(mp: pytest.MonkeyPatch) -> None:
    """CreateWallet makes a new wallet every time (the user's existing one is never found)."""
    mp.setattr(managed_wallets, "_chain", lambda wallet: "")


def era_names_are_two_chains(mp: pytest.MonkeyPatch) -> None:
    """``ETH`` and ``ethereum`` are told apart: an ETH wallet is not found for ``ethereum``."""
    mp.setattr(managed_wallets, "_chain", lambda wallet: wallet.wallet_type)


def bitcoin_mainnet_address(mp: pytest.MonkeyPatch) -> None:
    """BTC wallets get a mainnet P2PKH address (version 0x00, ``1…``)."""
    mp.setattr(chain_keys, "BITCOIN_TESTNET_P2PKH", 0x00)


def polkadot_generic_prefix(mp: pytest.MonkeyPatch) -> None:
    """DOT wallets get the generic Substrate SS58 prefix 42 (``5…``), not Polkadot's 0."""
    mp.setattr(chain_keys, "SS58_POLKADOT", 42)


def stellar_bad_checksum(mp: pytest.MonkeyPatch) -> None:
    """XLM addresses carry a zero checksum instead of the CRC16-XModem."""
    mp.setattr(chain_keys, "_crc16_xmodem", lambda data: 0)


def balances_through_floats(mp: pytest.MonkeyPatch) -> None:
    """Balances are read through a float (``14.8232`` comes back ``14.823200``)."""
    original = balances.balance

    def balance(*args: Any) -> Any:
        return float(original(*args))

    mp.setattr(balances, "balance", balance)


def balance_control_ignored(mp: pytest.MonkeyPatch) -> None:
    """The balance control answers but keeps nothing (GetWalletBalance stays 0)."""
    mp.setattr(balances, "set_balance", lambda *args: None)


def foreign_token_accepted(mp: pytest.MonkeyPatch) -> None:
    """Any token is accepted on any wallet (SOL on an ETH wallet reads 0)."""
    mp.setattr(balances, "canonical_token", lambda wallet, token: token.upper())


def unknown_wallet_is_400(mp: pytest.MonkeyPatch) -> None:
    """GetWallet (and balance) of an unknown id answers 400 validation_error, not 404."""
    original = managed_wallets.find

    def find(state: Any, app: Any, wallet_id: str) -> Any:
        if state.store.user_by_wallet_id(app.app_id, wallet_id) is None:
            raise ValidationError(f"wallet_id '{wallet_id}' is not valid")
        return original(state, app, wallet_id)

    mp.setattr(managed_wallets, "find", find)


def create_user_wallet_unmanaged(mp: pytest.MonkeyPatch) -> None:
    """CreateUser's ``wallet_type`` makes a keyless wallet (the old random address): a later
    CreateWallet of that chain makes a second one."""
    original = managed_wallets.create

    def create(state: Any, app: Any, user_id: str, wallet_type: str, **options: Any) -> Any:
        user, wallet, made = original(state, app, user_id, wallet_type, **options)
        bare = dataclasses.replace(wallet, wallet_pk_id=None)
        kept = tuple(bare if w.id == wallet.id else w for w in user.wallets)
        user = dataclasses.replace(user, wallets=kept)
        state.store.put_user(user)
        return user, bare, made

    mp.setattr(users, "managed_wallets", SimpleNamespace(create=create))


def wallet_answer_leaks_the_key(mp: pytest.MonkeyPatch) -> None:
    """Every Wallet answer also carries a ``private_key`` field."""
    original = Wallet.to_json

    def to_json(self: Wallet, app_id: str, user_id: str) -> Json:
        return {**original(self, app_id, user_id), "private_key": "0x" + "11" * 32}

    mp.setattr(Wallet, "to_json", to_json)


VARIANTS: dict[str, Variant] = {
    "CreateWallet is not idempotent": create_not_idempotent,
    "ETH and ethereum are two chains": era_names_are_two_chains,
    "BTC wallets get mainnet addresses": bitcoin_mainnet_address,
    "DOT wallets get the generic SS58 prefix": polkadot_generic_prefix,
    "XLM addresses have a zero checksum": stellar_bad_checksum,
    "balances go through floats": balances_through_floats,
    "the balance control keeps nothing": balance_control_ignored,
    "a foreign token is accepted": foreign_token_accepted,
    "an unknown wallet is 400": unknown_wallet_is_400,
    "CreateUser's wallet has no key": create_user_wallet_unmanaged,
    "a wallet answer leaks the key": wallet_answer_leaks_the_key,
}

CAUGHT_BY: dict[str, str] = {
    "CreateWallet is not idempotent": "test_create_wallet_twice_answers_the_same_wallet",
    "ETH and ethereum are two chains": "test_create_wallet_either_era_name_is_one_chain",
    "BTC wallets get mainnet addresses": "test_create_wallet_address_is_of_its_chain[BTC]",
    "DOT wallets get the generic SS58 prefix": "test_create_wallet_address_is_of_its_chain[DOT]",
    "XLM addresses have a zero checksum": "test_create_wallet_address_is_of_its_chain[XLM]",
    "balances go through floats": "test_balance_set_by_the_control",
    "the balance control keeps nothing": "test_balance_set_by_the_control",
    "a foreign token is accepted": "test_balance_of_a_foreign_token",
    "an unknown wallet is 400": "test_get_wallet_unknown",
    "CreateUser's wallet has no key": "test_create_user_wallet_type_makes_a_managed_wallet",
    "a wallet answer leaks the key": "test_create_wallet_answers_only_the_wallet_fields",
}

SUITE_FILES: dict[str, tuple[str, ...]] = dict.fromkeys(VARIANTS, ("test_managed_wallets.py",))
