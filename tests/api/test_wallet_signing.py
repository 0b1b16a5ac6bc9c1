"""Signing with managed wallets over the test client (Reference-more §5.4, §5.5; M20-M39).

Every signature is checked by libraries the fake does not sign with: eth-account (EIP-191,
EIP-1559), eth-keys' pure-Python backend (EIP-7702) and solders (Solana). eth-account raises
the recursion limit at import (W9), so it is imported in the tests and the limit restored.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

import base58
import pytest
import rlp  # type: ignore[import-untyped]
from eth_hash.auto import keccak
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from tests.helpers import Api, assert_error
from tests.wallet_keys import KEYS, EthKey


@pytest.fixture(autouse=True)
def recursion_limit_kept() -> Any:
    """eth-account (and py_ecc, which its submodules load lazily) raise the recursion limit on
    import (W9): restore it after every test, so later tests in this worker keep the real one.

    Public (no underscore) so ``from … import *`` carries it into tests/api/test_stores.py."""
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


TX = {
    "to": "0xE9534C9fAF3cDBc636c25E1981A80EfaE03f187a",
    "value": "0x38d7ea4c68000",
    "nonce": "0x8",
    "maxPriorityFeePerGas": "0x77359400",
    "maxFeePerGas": "0xdf8475800",
    "gas": "0x5208",
    "chainId": "0x5",
}


def _account() -> Any:
    limit = sys.getrecursionlimit()
    from eth_account import Account

    sys.setrecursionlimit(limit)
    return Account


def _recover_message(message: bytes, signature: str) -> str:
    from eth_account.messages import encode_defunct

    return str(_account().recover_message(encode_defunct(message), signature=signature)).lower()


def _wallet(api: Api, wallet_type: str) -> dict[str, Any]:
    user = api.post("/v1/auth/users/create", {"email": f"{wallet_type}@example.com"})
    user_id = user.get_json()["user_id"]
    made = api.post("/v1/wallets/create", {"user_id": user_id, "wallet_type": wallet_type})
    assert made.status_code == 200, made.get_json()
    body: dict[str, Any] = made.get_json()
    return body


def _path(wallet: dict[str, Any], tail: str) -> str:
    return f"/v1/wallets/{wallet['id']}/{tail}"


def _unsigned_solana(signer: Pubkey) -> bytes:
    payer = Keypair()
    instruction = transfer(TransferParams(from_pubkey=signer, to_pubkey=payer.pubkey(), lamports=9))
    message = Message.new_with_blockhash([instruction], payer.pubkey(), Hash.default())
    return bytes(Transaction.new_unsigned(message))


def test_wallet_sign_message_is_eip191_with_v_0_or_1(api: Api) -> None:
    wallet = _wallet(api, "ETH")
    reply = api.post(_path(wallet, "sign_message"), {"message": "test"})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["wallet_id"] == wallet["id"]
    assert body["wallet"] == wallet
    raw = bytes.fromhex(body["signature"][2:])
    assert len(raw) == 65
    assert raw[64] in (0, 1)
    assert _recover_message(b"test", body["signature"]) == wallet["public_address"]


def test_wallet_sign_message_refuses_other_chains(api: Api) -> None:
    wallet = _wallet(api, "SOL")
    reply = api.post(_path(wallet, "sign_message"), {"message": "x"})
    assert_error(reply, 400, "wallet_chain_mismatch", "ethereum wallets only")


def test_wallet_sign_message_unknown_wallet_is_404(api: Api) -> None:
    reply = api.post("/v1/wallets/wallet_nope/sign_message", {"message": "x"})
    assert_error(reply, 404, "wallet_not_found", "wallet_nope")


def test_wallet_sign_transaction_eth_is_a_signed_eip1559_envelope(api: Api) -> None:
    wallet = _wallet(api, "ethereum")
    reply = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": TX})
    body = reply.get_json()
    assert reply.status_code == 200, body
    envelope = bytes.fromhex(body["signed_transaction"][2:])
    assert body["raw_transaction"] == body["signed_transaction"]
    assert envelope[0] == 2
    signer = str(_account().recover_transaction(envelope)).lower()
    assert signer == wallet["public_address"]
    fields = rlp.decode(envelope[1:])
    assert int.from_bytes(fields[1], "big") == 8
    assert body["signature"] == "0x" + keccak(envelope).hex()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"gasPrice": "0x1"}, "invalid_transaction", "gasPrice"),
        ({"nonce": "zz"}, "validation_error", "nonce"),
        ({"to": "0x12"}, "validation_error", "to"),
    ],
)
def test_wallet_sign_transaction_bad_eth_transactions_name_the_field(
    api: Api, change: dict[str, str], code: str, field: str
) -> None:
    wallet = _wallet(api, "ETH")
    reply = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": TX | change})
    assert_error(reply, 400, code, field)


def test_wallet_sign_transaction_solana_fills_the_wallet_slot(api: Api) -> None:
    wallet = _wallet(api, "SOL")
    signer = Pubkey.from_string(wallet["public_address"])
    raw = _unsigned_solana(signer)
    sent = {"transaction": base64.b64encode(raw).decode(), "encoding": "base64"}
    reply = api.post(_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    body = reply.get_json()
    assert reply.status_code == 200, body
    signed = Transaction.from_bytes(base64.b64decode(body["signed_transaction"]))
    index = list(signed.message.account_keys).index(signer)
    assert signed.signatures[index] == Signature.from_string(body["signature"])
    assert signed.signatures[index].verify(signer, bytes(signed.message_data()))


def test_wallet_sign_transaction_solana_not_a_signer_or_malformed_is_400(api: Api) -> None:
    wallet = _wallet(api, "SOL")
    raw = _unsigned_solana(Keypair().pubkey())
    sent = {"transaction": base58.b58encode(raw).decode(), "encoding": "base58"}
    reply = api.post(_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    assert_error(reply, 400, "invalid_transaction", "not a required signer")
    sent["transaction"] = base58.b58encode(raw[:40]).decode()
    reply = api.post(_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    assert_error(reply, 400, "invalid_transaction", "sol_transaction.transaction")
    reply = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": TX})
    assert_error(reply, 400, "wallet_chain_mismatch", "ethereum")


@pytest.mark.parametrize(("encoding", "message"), [(None, "hello"), ("hex", "0x68656c6c6f")])
def test_wallet_rpc_eth_personal_sign(api: Api, encoding: str | None, message: str) -> None:
    wallet = _wallet(api, "ETH")
    params = {"message": message} | ({"encoding": encoding} if encoding else {})
    reply = api.post(_path(wallet, "rpc"), {"method": "eth_personalSign", "params": params})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["method"] == "eth_personalSign"
    assert body["data"]["encoding"] == "hex"
    assert bytes.fromhex(body["data"]["signature"][2:])[64] in (27, 28)
    assert _recover_message(b"hello", body["data"]["signature"]) == wallet["public_address"]


@pytest.mark.parametrize(("chain_id", "nonce"), [(1, "0"), ("0x1", 0), ("1", "0x0")])
def test_wallet_rpc_eth_sign_7702_authorization(api: Api, chain_id: Any, nonce: Any) -> None:
    wallet = _wallet(api, "ETH")
    contract = "0x63c0c19a282a1b52b07dd5a65b58948a07dae32b"
    params = {"contractAddress": contract, "chainId": chain_id, "nonce": nonce}
    reply = api.post(
        _path(wallet, "rpc"), {"method": "eth_sign7702Authorization", "params": params}
    )
    body = reply.get_json()
    assert reply.status_code == 200, body
    auth = body["data"]["authorization"]
    assert (auth["chainId"], auth["nonce"], auth["contractAddress"]) == ("1", "0", contract)
    assert auth["v"] == str(auth["yParity"])
    assert auth["yParity"] in (0, 1)
    digest = keccak(b"\x05" + rlp.encode([1, bytes.fromhex(contract[2:]), 0]))
    vrs = (auth["yParity"], int(auth["r"], 16), int(auth["s"], 16))
    public = KEYS.ecdsa_recover(digest, KEYS.Signature(vrs=vrs))
    assert public.to_address().lower() == wallet["public_address"]


@pytest.mark.parametrize(
    ("encoding", "sent", "answered"),
    [
        (None, "hello", "base58"),
        ("utf-8", "hello", "base58"),
        ("base64", "aGVsbG8=", "base64"),
        ("base58", base58.b58encode(b"hello").decode(), "base58"),
    ],
)
def test_wallet_rpc_sol_sign_message(
    api: Api, encoding: str | None, sent: str, answered: str
) -> None:
    wallet = _wallet(api, "SOL")
    params = {"message": sent} | ({"encoding": encoding} if encoding else {})
    reply = api.post(_path(wallet, "rpc"), {"method": "sol_signMessage", "params": params})
    data = reply.get_json()["data"]
    assert data["encoding"] == answered
    raw = (
        base64.b64decode(data["signature"])
        if answered == "base64"
        else base58.b58decode(data["signature"])
    )
    signer = Pubkey.from_string(wallet["public_address"])
    assert Signature.from_bytes(raw).verify(signer, b"hello")


def test_wallet_rpc_sol_sign_transaction(api: Api) -> None:
    wallet = _wallet(api, "SOL")
    signer = Pubkey.from_string(wallet["public_address"])
    params = {
        "transaction": base58.b58encode(_unsigned_solana(signer)).decode(),
        "encoding": "base58",
    }
    reply = api.post(_path(wallet, "rpc"), {"method": "sol_signTransaction", "params": params})
    data = reply.get_json()["data"]
    assert data["encoding"] == "base58"
    signed = Transaction.from_bytes(base58.b58decode(data["signed_transaction"]))
    index = list(signed.message.account_keys).index(signer)
    assert signed.signatures[index].verify(signer, bytes(signed.message_data()))


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"method": "eth_signTransaction", "params": {}}, "validation_error", "method"),
        ({"method": "eth_personalSign", "params": {}}, "validation_error", "params.message"),
        (
            {"method": "eth_sign7702Authorization", "params": {"contractAddress": "0x1"}},
            "validation_error",
            "params",
        ),
        (
            {"method": "sol_signMessage", "params": {"message": "x"}},
            "wallet_chain_mismatch",
            "solana",
        ),
    ],
)
def test_wallet_rpc_bad_requests_name_the_field(
    api: Api, body: dict[str, Any], code: str, field: str
) -> None:
    wallet = _wallet(api, "ETH")
    assert_error(api.post(_path(wallet, "rpc"), body), 400, code, field)


def _linked(api: Api) -> dict[str, Any]:
    """An ETH wallet linked by VerifyWallet: the user proved it, the fake holds no key (M10)."""
    key = EthKey()
    begun = {"wallet_type": "ETH", "public_address": key.address}
    challenge = api.post("/v1/auth/wallets/registrations/begin", begun).get_json()["challenge"]
    reply = api.post("/v1/auth/wallets/verify", begun | {"signature": key.sign(challenge)})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


@pytest.mark.parametrize(
    ("tail", "body"),
    [
        ("sign_message", {"message": "x"}),
        ("sign_transaction", {"eth_transaction": TX}),
        ("rpc", {"method": "eth_personalSign", "params": {"message": "x"}}),
        (
            "rpc",
            {
                "method": "eth_sign7702Authorization",
                "params": {"contractAddress": "0x" + "11" * 20, "chainId": 1, "nonce": 0},
            },
        ),
    ],
)
def test_wallet_signing_with_a_linked_wallet_is_refused(
    api: Api, tail: str, body: dict[str, Any]
) -> None:
    """A wallet linked by VerifyWallet has no key here: 400 ``wallet_not_managed`` naming the
    wallet id and its address (M10, M21), never a signature."""
    linked = _linked(api)
    reply = api.post(_path(linked, tail), body)
    assert_error(reply, 400, "wallet_not_managed", linked["id"])
    assert linked["public_address"].lower() in reply.get_json()["error_message"].lower()


BIG = str(2**256)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("value", BIG),
        ("value", 2**256),
        ("value", "0x1" + "0" * 64),
        ("value", "-1"),
        ("value", -1),
        ("value", "0xzz"),
        ("value", "12ab"),
        ("value", 1.5),
        ("value", True),
        ("maxFeePerGas", "0x" + "f" * 65),
        ("maxPriorityFeePerGas", 2**300),
        ("chainId", BIG),
        ("gas", str(2**64)),
        ("gas", "0x10000000000000000"),
        ("nonce", 2**64),
        ("nonce", "-0x1"),
        ("type", "0x3"),
    ],
)
def test_wallet_sign_transaction_bad_quantities_are_400_naming_the_field(
    api: Api, field: str, value: Any
) -> None:
    """Above 2^256-1 (2^64-1 for gas and nonce), negative, not hex or decimal, not an integer:
    400 naming ``eth_transaction.<field>``, never a 500 (M25)."""
    wallet = _wallet(api, "ETH")
    reply = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": TX | {field: value}})
    assert reply.status_code == 400, reply.get_json()
    assert reply.get_json()["error_type"] in ("validation_error", "invalid_transaction")
    assert field in reply.get_json()["error_message"]


def test_wallet_sign_transaction_largest_quantities_are_signed(api: Api) -> None:
    """2^256-1 and 2^64-1 are in range: signed, and the envelope carries them."""
    wallet = _wallet(api, "ETH")
    top = {"value": "0x" + "f" * 64, "nonce": str(2**64 - 1), "gas": 2**64 - 1}
    reply = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": TX | top})
    assert reply.status_code == 200, reply.get_json()
    fields = rlp.decode(bytes.fromhex(reply.get_json()["signed_transaction"][4:]))
    assert int.from_bytes(fields[6], "big") == 2**256 - 1
    assert int.from_bytes(fields[1], "big") == int.from_bytes(fields[4], "big") == 2**64 - 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("chainId", BIG), ("chainId", -1), ("nonce", 2**64), ("nonce", "0xq"), ("chainId", 1.5)],
)
def test_wallet_rpc_7702_bad_quantities_are_400_naming_the_field(
    api: Api, field: str, value: Any
) -> None:
    """``params.chainId`` below 2^256, ``params.nonce`` below 2^64, integers only (M28)."""
    wallet = _wallet(api, "ETH")
    params = {"contractAddress": "0x" + "11" * 20, "chainId": 1, "nonce": 0} | {field: value}
    body = {"method": "eth_sign7702Authorization", "params": params}
    assert_error(api.post(_path(wallet, "rpc"), body), 400, "validation_error", field)


def _auth_path(wallet: dict[str, Any], tail: str) -> str:
    return f"/v1/auth/wallets/{wallet['id']}/{tail}"


def test_wallet_sign_message_on_bumps_auth_path(api: Api) -> None:
    """``/v1/auth/wallets/{id}/sign_message`` answers what ``/v1/wallets/…`` does (M12, M32):
    RFC 6979 signatures are deterministic, so the two are byte-equal."""
    wallet = _wallet(api, "ETH")
    alias = api.post(_auth_path(wallet, "sign_message"), {"message": "test"})
    assert alias.status_code == 200, alias.get_json()
    direct = api.post(_path(wallet, "sign_message"), {"message": "test"})
    assert alias.get_json() == direct.get_json()
    assert bytes.fromhex(alias.get_json()["signature"][2:])[64] in (0, 1)
    assert _recover_message(b"test", alias.get_json()["signature"]) == wallet["public_address"]


def test_wallet_sign_transaction_on_bumps_auth_path(api: Api) -> None:
    """ETH and Solana through ``/v1/auth/wallets/{id}/sign_transaction`` (M12, M32)."""
    eth = _wallet(api, "ETH")
    reply = api.post(_auth_path(eth, "sign_transaction"), {"eth_transaction": TX})
    assert reply.status_code == 200, reply.get_json()
    envelope = bytes.fromhex(reply.get_json()["signed_transaction"][2:])
    assert str(_account().recover_transaction(envelope)).lower() == eth["public_address"]
    sol = _wallet(api, "SOL")
    signer = Pubkey.from_string(sol["public_address"])
    unsigned = base64.b64encode(_unsigned_solana(signer)).decode()
    sent = {"transaction": unsigned, "encoding": "base64"}
    reply = api.post(_auth_path(sol, "sign_transaction"), {"sol_transaction": sent})
    assert reply.status_code == 200, reply.get_json()
    signed = Transaction.from_bytes(base64.b64decode(reply.get_json()["signed_transaction"]))
    index = list(signed.message.account_keys).index(signer)
    assert signed.signatures[index].verify(signer, bytes(signed.message_data()))


def test_wallet_signing_auth_paths_keep_the_errors(api: Api) -> None:
    """Unknown wallet 404, another chain 400, a bad quantity 400 naming it, on the aliases."""
    reply = api.post("/v1/auth/wallets/wallet_nope/sign_message", {"message": "x"})
    assert_error(reply, 404, "wallet_not_found", "wallet_nope")
    sol = _wallet(api, "SOL")
    assert_error(
        api.post(_auth_path(sol, "sign_message"), {"message": "x"}),
        400,
        "wallet_chain_mismatch",
        "ethereum wallets only",
    )
    eth = _wallet(api, "ETH")
    bad = {"eth_transaction": TX | {"value": BIG}}
    assert_error(
        api.post(_auth_path(eth, "sign_transaction"), bad), 400, "validation_error", "value"
    )
