"""The signing framings of ``domain/wallet_signing`` checked by libraries the fake does not use
(eth-account for EIP-191/EIP-1559/EIP-7702, solders for Solana; decisions M20-M39).

eth-account imports py_ecc, which raises the recursion limit (W9): it is imported inside the
tests and the limit restored, so the rest of the run keeps the server's limit.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
import rlp  # type: ignore[import-untyped]
from eth_hash.auto import keccak
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from mock_server.domain import chain_keys, solana_wire, wallet_signing
from mock_server.errors import InvalidTransaction
from tests.wallet_keys import KEYS

SECRET = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ADDRESS = chain_keys.address_of("ethereum", SECRET)


def _account() -> Any:
    limit = sys.getrecursionlimit()
    from eth_account import Account

    sys.setrecursionlimit(limit)
    return Account


def test_personal_sign_recovers_to_the_wallet_with_v_0_1_or_27_28() -> None:
    from eth_account.messages import encode_defunct

    account = _account()
    for base in (0, 27):
        signature = wallet_signing.personal_sign(SECRET, b"test", v_base=base)
        assert signature[64] in (base, base + 1)
        signer = account.recover_message(encode_defunct(b"test"), signature=signature)
        assert signer.lower() == ADDRESS


def test_eip1559_envelope_recovers_to_the_wallet_and_keeps_the_fields() -> None:
    account = _account()
    tx = {
        "to": "0xE9534C9fAF3cDBc636c25E1981A80EfaE03f187a",
        "value": "0x38d7ea4c68000",
        "nonce": "0x8",
        "maxPriorityFeePerGas": "0x77359400",
        "maxFeePerGas": "0xdf8475800",
        "gas": "0x5208",
        "chainId": "0x5",
    }
    signed = wallet_signing.sign_eip1559(SECRET, ADDRESS, tx)
    assert signed.envelope[0] == 2
    assert account.recover_transaction(signed.envelope).lower() == ADDRESS
    fields = rlp.decode(signed.envelope[1:])
    assert [int.from_bytes(f, "big") for f in fields[:2]] == [5, 8]
    assert int.from_bytes(fields[6], "big") == 0x38D7EA4C68000
    assert signed.tx_hash == keccak(signed.envelope)
    assert rlp.decode(signed.wrapped) == signed.envelope


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gasPrice": "0x1"}, "gasPrice"),
        ({"type": "0x0"}, "type"),
        ({"from": "0x" + "11" * 20}, "from"),
        ({"maxPriorityFeePerGas": "0xdf8475801"}, "maxPriorityFeePerGas"),
    ],
)
def test_eip1559_refuses_what_it_cannot_sign(change: dict[str, str], field: str) -> None:
    tx = {"nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0xdf8475800", "chainId": "0x1"}
    tx |= {"maxPriorityFeePerGas": "0x1"} | change
    with pytest.raises(InvalidTransaction, match=field):
        wallet_signing.sign_eip1559(SECRET, ADDRESS, tx)


def test_7702_authorization_recovers_to_the_wallet() -> None:
    contract = bytes.fromhex("ab" * 20)
    y, r, s = wallet_signing.sign_7702(SECRET, 1, contract, 7)
    digest = keccak(b"\x05" + rlp.encode([1, contract, 7]))
    public = KEYS.ecdsa_recover(digest, KEYS.Signature(vrs=(y, r, s)))
    assert public.to_address().lower() == ADDRESS


def test_solana_transaction_gets_the_wallet_signature_in_its_slot() -> None:
    wallet, payer = Keypair(), Keypair()
    instruction = transfer(
        TransferParams(from_pubkey=wallet.pubkey(), to_pubkey=Pubkey.default(), lamports=5)
    )
    message = Message.new_with_blockhash([instruction], payer.pubkey(), Hash.default())
    unsigned = Transaction.new_unsigned(message)
    raw = bytes(unsigned)
    signed, signature = wallet_signing.sign_solana_transaction(
        bytes(wallet)[:32],
        str(wallet.pubkey()),
        wallet_signing.encode_bytes(raw, "base64"),
        "base64",
        "sol_transaction",
    )
    parsed = Transaction.from_bytes(signed)
    index = list(parsed.message.account_keys).index(wallet.pubkey())
    assert bytes(parsed.signatures[index]) == signature
    assert parsed.signatures[index].verify(wallet.pubkey(), bytes(parsed.message_data()))
    with pytest.raises(InvalidTransaction, match="not a required signer"):
        wallet_signing.sign_solana_transaction(
            bytes(Keypair())[:32],
            str(Keypair().pubkey()),
            wallet_signing.encode_bytes(raw, "base58"),
            "base58",
            "sol_transaction",
        )
    with pytest.raises(solana_wire.WireError):
        solana_wire.parse(raw + b"\x00")
    with pytest.raises(solana_wire.WireError):
        solana_wire.parse(raw[:-3])
