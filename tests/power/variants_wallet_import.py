"""Broken variants for the wallet-import rules of issue 26 (conformance/test_wallet_import.py).

Each is caught by one named rule (``CAUGHT_BY``: variant → the conformance test that must fail);
the power test checks that test is among the failures, not just that something failed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from mock_server.domain import managed_wallets, wallet_entropy, wallet_import

Variant = Callable[[pytest.MonkeyPatch], None]


def address_not_checked(mp: pytest.MonkeyPatch) -> None:
    """ImportWallet takes any key for any ``public_address`` (the wallet gets the key's own)."""
    mp.setattr(wallet_import, "_check_address", lambda key, secret: None)


def imported_flag_false(mp: pytest.MonkeyPatch) -> None:
    """Imported wallets are made as ordinary managed wallets (``is_imported: false``)."""
    create = managed_wallets.create

    def not_imported(*args: Any, **kwargs: Any) -> Any:
        return create(*args, **{**kwargs, "imported": False})

    mp.setattr(wallet_import, "managed_wallets", SimpleNamespace(create=not_imported))


def key_pair_reusable(mp: pytest.MonkeyPatch) -> None:
    """A key pair is never used up: the same import can be replayed."""
    mp.setattr(wallet_import, "_use_up", lambda state, app, key: True)


def key_pair_never_expires(mp: pytest.MonkeyPatch) -> None:
    """Key pairs live 115 days instead of 600 s."""
    mp.setattr(wallet_import, "KEY_PAIR_SECONDS", 10_000_000)


def same_key_every_call(mp: pytest.MonkeyPatch) -> None:
    """BeginWalletImport answers one fixed public key, not a fresh one per call."""
    mp.setattr(wallet_import, "_seeded_bytes", lambda state: lambda count: b"\x07" * count)


def hd_ignores_account_index(mp: pytest.MonkeyPatch) -> None:
    """An HD import always derives account 0, whatever ``account_index`` says."""
    path = wallet_entropy.derivation_path
    mp.setattr(wallet_entropy, "derivation_path", lambda chain, index: path(chain, 0))


VARIANTS: dict[str, Variant] = {
    "an import's address is not checked": address_not_checked,
    "an imported wallet says is_imported false": imported_flag_false,
    "an import key pair can be used twice": key_pair_reusable,
    "an import key pair never expires": key_pair_never_expires,
    "BeginWalletImport answers the same key every call": same_key_every_call,
    "an HD import ignores account_index": hd_ignores_account_index,
}

CAUGHT_BY: dict[str, str] = {
    "an import's address is not checked": "test_import_wallet_address_mismatch_is_refused",
    "an imported wallet says is_imported false": "test_import_wallet_ethereum_private_key",
    "an import key pair can be used twice": "test_import_wallet_key_pair_is_single_use",
    "an import key pair never expires": "test_import_wallet_expired_key_pair_is_refused",
    "BeginWalletImport answers the same key every call": (
        "test_begin_wallet_import_answers_a_fresh_key"
    ),
    "an HD import ignores account_index": "test_import_wallet_ethereum_mnemonic_account",
}

SUITE_FILES: dict[str, tuple[str, ...]] = dict.fromkeys(VARIANTS, ("test_wallet_import.py",))
