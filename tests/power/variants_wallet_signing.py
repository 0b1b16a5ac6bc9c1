"""Broken variants of wallet signing (issue 26; decisions M20-M34), each caught by a named rule.

``CAUGHT_BY``: variant → the conformance test of ``conformance/test_wallet_signing.py`` or
``test_wallet_signing_refusals.py`` that must be among the failures (Q5). The slips are the
ones a signing service makes: a missing or miscounted EIP-191 prefix, the other ``v``
convention, a flipped ``yParity``, a field changed between request and envelope, the wrong hash
answered, a Solana signature in the wrong slot or over the wrong bytes, no chain check,
quantities without bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rlp  # type: ignore[import-untyped]
from eth_hash.auto import keccak

from mock_server.domain import chain_keys, managed_wallets
from mock_server.domain import wallet_signing as ws

Variant = Callable[[pytest.MonkeyPatch], None]


def no_personal_prefix(mp: pytest.MonkeyPatch) -> None:
    """EIP-191's ``"\\x19Ethereum Signed Message:\\n" ‖ len`` is left out: keccak(message)."""

    def personal_sign(secret: bytes, message: bytes, *, v_base: int) -> bytes:
        raw = chain_keys.sign_digest_secp256k1(secret, keccak(message))
        return raw[:64] + bytes([v_base + raw[64]])

    mp.setattr(ws, "personal_sign", personal_sign)


def prefix_counts_characters(mp: pytest.MonkeyPatch) -> None:
    """The prefix's length counts characters, not UTF-8 bytes (right for ASCII only)."""

    def personal_sign(secret: bytes, message: bytes, *, v_base: int) -> bytes:
        length = str(len(message.decode("utf-8", "replace"))).encode()
        raw = chain_keys.sign_digest_secp256k1(
            secret, keccak(ws.PERSONAL_PREFIX + length + message)
        )
        return raw[:64] + bytes([v_base + raw[64]])

    mp.setattr(ws, "personal_sign", personal_sign)


def _v_base_swapped(mp: pytest.MonkeyPatch, swap: dict[int, int]) -> None:
    original = ws.personal_sign

    def personal_sign(secret: bytes, message: bytes, *, v_base: int) -> bytes:
        return original(secret, message, v_base=swap.get(v_base, v_base))

    mp.setattr(ws, "personal_sign", personal_sign)


def sign_message_v_27(mp: pytest.MonkeyPatch) -> None:
    """sign_message answers ``v`` 27/28 instead of the published raw 0/1 (M20)."""
    _v_base_swapped(mp, {0: 27})


def personal_sign_v_raw(mp: pytest.MonkeyPatch) -> None:
    """eth_personalSign answers ``v`` 0/1 instead of wallet JSON-RPC's 27/28 (M27)."""
    _v_base_swapped(mp, {27: 0})


def y_parity_flipped(mp: pytest.MonkeyPatch) -> None:
    """eth_sign7702Authorization answers the other ``yParity`` (and ``v``)."""
    original = ws.sign_7702

    def sign_7702(
        secret: bytes, chain_id: int, contract: bytes, nonce: int
    ) -> tuple[int, int, int]:
        y, r, s = original(secret, chain_id, contract, nonce)
        return 1 - y, r, s

    mp.setattr(ws, "sign_7702", sign_7702)


def no_7702_magic(mp: pytest.MonkeyPatch) -> None:
    """The authorization is signed over keccak(rlp([...])) without EIP-7702's 0x05."""

    def sign_7702(
        secret: bytes, chain_id: int, contract: bytes, nonce: int
    ) -> tuple[int, int, int]:
        digest = keccak(rlp.encode([chain_id, contract, nonce]))
        raw = chain_keys.sign_digest_secp256k1(secret, digest)
        return raw[64], int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")

    mp.setattr(ws, "sign_7702", sign_7702)


def value_dropped(mp: pytest.MonkeyPatch) -> None:
    """The signed EIP-1559 transaction carries value 0 whatever the request sent."""
    original = ws.sign_eip1559

    def sign_eip1559(secret: bytes, address: str, tx: dict[str, Any]) -> ws.SignedEthTransaction:
        return original(secret, address, tx | {"value": "0x0"})

    mp.setattr(ws, "sign_eip1559", sign_eip1559)


def hash_of_the_wrapped_form(mp: pytest.MonkeyPatch) -> None:
    """``signature`` is keccak of the RLP-wrapped envelope, not the transaction hash (M24)."""
    original = ws.sign_eip1559

    def sign_eip1559(secret: bytes, address: str, tx: dict[str, Any]) -> ws.SignedEthTransaction:
        signed = original(secret, address, tx)
        return ws.SignedEthTransaction(signed.envelope, keccak(signed.wrapped), signed.wrapped)

    mp.setattr(ws, "sign_eip1559", sign_eip1559)


def solana_payer_slot(mp: pytest.MonkeyPatch) -> None:
    """The wallet's signature is written into slot 0 (the fee payer's), whoever the wallet is."""
    original = ws.sign_solana_transaction

    def sign_solana_transaction(*args: Any) -> tuple[bytes, bytes]:
        raw, signature = original(*args)
        start = 1  # one-byte signature count (fewer than 128 signatures)
        zeroed = raw.replace(signature, bytes(64), 1)
        return zeroed[:start] + signature + zeroed[start + 64 :], signature

    mp.setattr(ws, "sign_solana_transaction", sign_solana_transaction)


def solana_signs_the_text(mp: pytest.MonkeyPatch) -> None:
    """sol_signMessage signs the message as sent (its base58/base64 text), never decoded."""
    original = ws.decode_text

    def decode_text(text: str, encoding: str, field: str) -> bytes:
        if field == "params.message":
            return text.encode("utf-8")
        return original(text, encoding, field)

    mp.setattr(ws, "decode_text", decode_text)


def no_chain_check(mp: pytest.MonkeyPatch) -> None:
    """Any managed wallet signs anything: its key is used as the operation's curve's key."""

    def signer(state: Any, app: Any, wallet_id: str, chains: set[str], what: str) -> ws.Signer:
        user, wallet = managed_wallets.find(state, app, wallet_id)
        key = managed_wallets.key_of(state, app, wallet_id)
        return ws.Signer(user, wallet, next(iter(chains)), key.secret[:32])

    mp.setattr(ws, "signer", signer)


def unbounded_quantities(mp: pytest.MonkeyPatch) -> None:
    """Quantities are not bounded by 2^256 (2^64 for gas and nonce): RLP encodes any size."""
    mp.setattr(ws, "UINT256", 2**4096)
    mp.setattr(ws, "UINT64", 2**4096)


VARIANTS: dict[str, Variant] = {
    "sign_message without the EIP-191 prefix": no_personal_prefix,
    "EIP-191 length in characters": prefix_counts_characters,
    "sign_message v as 27/28": sign_message_v_27,
    "eth_personalSign v as 0/1": personal_sign_v_raw,
    "7702 yParity flipped": y_parity_flipped,
    "7702 signed without the 0x05 magic": no_7702_magic,
    "EIP-1559 envelope drops the value": value_dropped,
    "ETH signature not the tx hash": hash_of_the_wrapped_form,
    "Solana signature in slot 0": solana_payer_slot,
    "sol_signMessage signs the encoded text": solana_signs_the_text,
    "signing ignores the wallet's chain": no_chain_check,
    "transaction quantities unbounded": unbounded_quantities,
}

CAUGHT_BY: dict[str, str] = {
    "sign_message without the EIP-191 prefix": "test_sign_message_recovers_to_the_wallet",
    "EIP-191 length in characters": "test_sign_message_recovers_to_the_wallet[unicode]",
    "sign_message v as 27/28": "test_sign_message_v_is_the_raw_recovery_id",
    "eth_personalSign v as 0/1": "test_rpc_personal_sign_recovers_with_v_27_or_28",
    "7702 yParity flipped": "test_rpc_sign_7702_authorization",
    "7702 signed without the 0x05 magic": "test_rpc_sign_7702_authorization",
    "EIP-1559 envelope drops the value": "test_sign_transaction_eth_is_the_signed_request",
    "ETH signature not the tx hash": "test_sign_transaction_eth_hash_and_raw_transaction",
    "Solana signature in slot 0": "test_sign_transaction_solana_fills_the_wallet_slot",
    "sol_signMessage signs the encoded text": "test_rpc_sol_sign_message",
    "signing ignores the wallet's chain": "test_signing_with_a_wallet_of_another_chain",
    "transaction quantities unbounded": "test_sign_transaction_malformed_eth_is_refused",
}

SUITE_FILES: dict[str, tuple[str, ...]] = dict.fromkeys(
    VARIANTS, ("test_wallet_signing.py", "test_wallet_signing_refusals.py")
)
