"""Broken variants of the wallets login, each caught by a rule of conformance/test_wallets.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from mock_server.domain import wallet_signatures, wallets
from mock_server.models import WalletRegistration
from mock_server.store import InMemoryStore

Variant = Callable[[pytest.MonkeyPatch], None]


def any_signature_accepted(mp: pytest.MonkeyPatch) -> None:
    """VerifyWallet and SIWE accept any well-formed signature (no key check)."""
    mp.setattr(wallet_signatures, "verify", lambda chain, address, message, signature: None)


def challenge_replayable(mp: pytest.MonkeyPatch) -> None:
    """A successful verify leaves the challenge (or nonce) in place: it can be replayed."""

    def take(self: InMemoryStore, app_id: str, key: str) -> WalletRegistration | None:
        return self.get_wallet_registration(app_id, key)

    mp.setattr(InMemoryStore, "take_wallet_registration", take)


def siwe_times_ignored(mp: pytest.MonkeyPatch) -> None:
    """SIWE messages are accepted whatever their Expiration Time, Not Before or domain."""
    mp.setattr(wallets, "_check_siwe", lambda state, app, message: None)


def address_answered_as_sent(mp: pytest.MonkeyPatch) -> None:
    """Ethereum addresses are stored and answered as sent (checksummed), not lower-case."""
    original = wallet_signatures.normalize_address

    def normalize(chain: str, address: str) -> str:
        return address if chain == wallet_signatures.ETHEREUM else original(chain, address)

    mp.setattr(wallet_signatures, "normalize_address", normalize)


def challenge_never_expires(mp: pytest.MonkeyPatch) -> None:
    """Wallet challenges live forever."""
    original = wallets.begin

    def begin(state: Any, app: Any, body: Any, kind: str) -> WalletRegistration:
        registration: WalletRegistration = original(state, app, body, kind)
        forever = replace(registration, expires_at=2**40)
        state.store.put_wallet_registration(forever)
        return forever

    mp.setattr(wallets, "begin", begin)


VARIANTS: dict[str, Variant] = {
    "wallet verify accepts any signature": any_signature_accepted,
    "a wallet challenge can be replayed": challenge_replayable,
    "SIWE expiry and domain not checked": siwe_times_ignored,
    "ETH addresses answered as sent": address_answered_as_sent,
    "wallet challenges never expire": challenge_never_expires,
}
