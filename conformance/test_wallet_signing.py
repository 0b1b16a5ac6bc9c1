"""Signing with managed wallets: WalletSignMessage, WalletSignTransaction, WalletRpc.

Capability-gated: a deployment without managed wallets, or one that does not serve
``POST /v1/wallets/{wallet_id}/sign_message``, skips these rules with the reason (M33). The
suite never sees a wallet's key: every signature is recovered or verified against the wallet's
public address, over hashes the suite frames itself from the standards
(:mod:`conformance.signatures`), so a missing prefix, a wrong ``v`` or ``yParity``, a field
changed on the way or a Solana signature over the wrong bytes each fail with words that say
which. Sources (public pages):

- https://developers.streambird.io/operation/operation-walletsignmessage
- https://developers.streambird.io/operation/operation-walletsigntransaction
- https://developers.streambird.io/operation/operation-solanawalletsigntransaction
- https://docs.streambird.io/api-reference/managed-wallets/ethereum/sign-message (and the
  sign-7702-authorization, solana/sign-message, solana/sign-transaction pages)
- EIP-191, EIP-1559, EIP-7702; docs/decisions.md M20-M39 (the choices the pages leave open).
"""

from __future__ import annotations

import base64
import os
from typing import Any

import base58
import pytest
from eth_utils.crypto import keccak

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.gates import missing_wallet_signing
from conformance.signatures import (
    SolanaTransfer,
    authorization_problem,
    ed25519_ok,
    eip1559_problems,
    personal_sign_problem,
    split_65,
)
from conformance.wallet import MockWallet

UNKNOWN_WALLET = "wallet_2Cu2uYcbwY9kcAFe2zd0P0SHftK"
MESSAGES = ["test", "héllo, wörld ✓ — naïve", "x" * 1500]


@pytest.fixture(scope="module", autouse=True)
def _serves_wallet_signing(api: ApiClient) -> None:
    """Skip the module on a deployment that cannot sign with managed wallets, with the reason."""
    reason = missing_wallet_signing(api)
    if reason is not None:
        pytest.skip(reason)


def _wallet(api: ApiClient, flows: Flows, expect: Expect, wallet_type: str) -> dict[str, Any]:
    made = api.post(
        "/v1/wallets/create", {"user_id": flows.create_user(), "wallet_type": wallet_type}
    )
    return expect.ok(made)


def _path(wallet: dict[str, Any] | str, tail: str, prefix: str = "/v1/wallets/") -> str:
    wallet_id = wallet if isinstance(wallet, str) else wallet["id"]
    return f"{prefix}{wallet_id}/{tail}"


def _rpc(api: ApiClient, wallet: dict[str, Any], method: str, **params: Any) -> Exchange:
    return api.post(_path(wallet, "rpc"), {"method": method, "params": params})


def _eth_transaction() -> dict[str, str]:
    """A fresh EIP-1559 request: random recipient, value, nonce and data, so no answer can be
    canned; hex quantities as MetaMask sends them."""
    return {
        "to": "0x" + os.urandom(20).hex(),
        "value": hex(int.from_bytes(os.urandom(8), "big")),
        "nonce": hex(int.from_bytes(os.urandom(2), "big")),
        "maxPriorityFeePerGas": "0x77359400",
        "maxFeePerGas": "0xdf8475800",
        "gas": "0x5208",
        "chainId": "0x5",
        "data": "0x" + os.urandom(4).hex(),
    }


def _names(expect: Expect, exchange: Exchange, what: str) -> None:
    message = str(exchange.json.get("error_message"))
    expect.true(what in message, f"the error message names {what!r}", repr(message), exchange)


def _signature_ok(
    expect: Expect, exchange: Exchange, signature: Any, message: bytes, address: str, v: Any
) -> None:
    problem = personal_sign_problem(signature, message, address, v)
    if problem is not None:
        expect.fail(f"an EIP-191 signature by the wallet {address}", problem, exchange)


# --- WalletSignMessage ----------------------------------------------------------------------


@pytest.mark.rule(
    "EIP-191: sign_message's signature recovers to the wallet's address",
    source=sources.SIGN_MESSAGE,
)
@pytest.mark.parametrize("message", MESSAGES, ids=["ascii", "unicode", "long"])
def test_sign_message_recovers_to_the_wallet(
    api: ApiClient, flows: Flows, expect: Expect, message: str
) -> None:
    """keccak("\\x19Ethereum Signed Message:\\n" ‖ len(UTF-8 bytes) ‖ bytes), 65 bytes r‖s‖v
    (either v convention here; the next rule checks which); the answer names the wallet."""
    wallet = _wallet(api, flows, expect, "ETH")
    signed = api.post(_path(wallet, "sign_message"), {"message": message})
    body = expect.ok(signed)
    expect.equal("wallet_id", wallet["id"], body.get("wallet_id"), signed)
    expect.equal("wallet.id", wallet["id"], (body.get("wallet") or {}).get("id"), signed)
    parts = split_65(body.get("signature"))
    v = (27, 28) if parts is not None and parts[2] >= 27 else (0, 1)
    _signature_ok(
        expect, signed, body.get("signature"), message.encode(), wallet["public_address"], v
    )


@pytest.mark.rule(
    "M20: sign_message's v is the raw recovery id 0/1, as the published example",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M20")
def test_sign_message_v_is_the_raw_recovery_id(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """The published signature over ``"test"`` ends in 0x01 and recovers to its wallet."""
    wallet = _wallet(api, flows, expect, "ETH")
    signed = api.post(_path(wallet, "sign_message"), {"message": "test"})
    signature = expect.ok(signed).get("signature")
    _signature_ok(expect, signed, signature, b"test", wallet["public_address"], (0, 1))


# --- WalletRpc: eth_personalSign, eth_sign7702Authorization -------------------------------


@pytest.mark.rule(
    "M27: eth_personalSign is EIP-191 by the wallet with v 27/28", source=sources.RPC_PERSONAL_SIGN
)
@pytest.mark.decision("M27")
@pytest.mark.parametrize("encoding", [None, "utf-8", "hex"])
def test_rpc_personal_sign_recovers_with_v_27_or_28(
    api: ApiClient, flows: Flows, expect: Expect, encoding: str | None
) -> None:
    """``{encoding: "hex", signature}``; a hex ``message`` is signed as its bytes."""
    wallet = _wallet(api, flows, expect, "ETH")
    raw = "sign me ✓ ".encode() + os.urandom(4).hex().encode()
    sent = "0x" + raw.hex() if encoding == "hex" else raw.decode()
    params = {"message": sent} | ({"encoding": encoding} if encoding else {})
    signed = _rpc(api, wallet, "eth_personalSign", **params)
    body = expect.ok(signed)
    expect.equal("method", "eth_personalSign", body.get("method"), signed)
    data = body.get("data") or {}
    expect.equal("data.encoding", "hex", data.get("encoding"), signed)
    _signature_ok(expect, signed, data.get("signature"), raw, wallet["public_address"], (27, 28))


@pytest.mark.rule(
    "EIP-7702 / M28: eth_sign7702Authorization signs keccak(0x05 ‖ rlp([chainId, address, "
    "nonce])) with the right yParity",
    source=sources.RPC_SIGN_7702,
)
@pytest.mark.decision("M28")
@pytest.mark.parametrize(("chain_id", "nonce"), [(1, "0"), ("0x89", 7), ("11155111", "0x2a")])
def test_rpc_sign_7702_authorization(
    api: ApiClient, flows: Flows, expect: Expect, chain_id: Any, nonce: Any
) -> None:
    """``chainId``, ``nonce``, ``v`` decimal strings, ``yParity`` a number, ``v`` = yParity;
    the tuple recovers to the wallet with that yParity."""
    wallet = _wallet(api, flows, expect, "ETH")
    contract = "0x" + os.urandom(20).hex()
    signed = _rpc(
        api,
        wallet,
        "eth_sign7702Authorization",
        contractAddress=contract,
        chainId=chain_id,
        nonce=nonce,
    )
    authorization = (expect.ok(signed).get("data") or {}).get("authorization")
    if not isinstance(authorization, dict):
        expect.fail("data.authorization an object", repr(authorization), signed)
        return
    numbers = [int(x, 16) if str(x).startswith("0x") else int(x) for x in (chain_id, nonce)]
    address = wallet["public_address"]
    problem = authorization_problem(authorization, numbers[0], contract, numbers[1], address)
    if problem is not None:
        expect.fail("an EIP-7702 authorization signed by the wallet", problem, signed)


# --- WalletSignTransaction: Ethereum --------------------------------------------------------


@pytest.mark.rule(
    "EIP-1559 / M22, M25: sign_transaction answers the request's fields, signed by the wallet",
    source=sources.SIGN_TRANSACTION,
)
@pytest.mark.decision("M22")
def test_sign_transaction_eth_is_the_signed_request(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """A bare ``0x02‖rlp([...])`` envelope whose nine fields are those sent and whose signature
    recovers (over keccak(0x02 ‖ rlp(fields))) to the wallet."""
    wallet = _wallet(api, flows, expect, "ETH")
    sent = _eth_transaction()
    signed = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": sent})
    body = expect.ok(signed)
    expect.equal("wallet_id", wallet["id"], body.get("wallet_id"), signed)
    problems = eip1559_problems(body.get("signed_transaction"), sent, wallet["public_address"])
    if problems:
        expect.fail(
            "the EIP-1559 transaction sent, signed by the wallet", "; ".join(problems), signed
        )


@pytest.mark.rule(
    "M23, M24: signature is the transaction hash; raw_transaction equals signed_transaction",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M24")
def test_sign_transaction_eth_hash_and_raw_transaction(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``signature`` = keccak-256 of the envelope (what ``eth_sendRawTransaction`` returns)."""
    wallet = _wallet(api, flows, expect, "ETH")
    signed = api.post(_path(wallet, "sign_transaction"), {"eth_transaction": _eth_transaction()})
    body = expect.ok(signed)
    envelope = str(body.get("signed_transaction"))
    try:
        tx_hash = "0x" + bytes(keccak(bytes.fromhex(envelope[2:]))).hex()
    except ValueError:
        expect.fail("signed_transaction 0x hex", repr(envelope[:40]), signed)
        return
    expect.equal(
        "signature (keccak-256 of signed_transaction)", tx_hash, body.get("signature"), signed
    )
    if "raw_transaction" in body:
        expect.equal("raw_transaction", envelope, body.get("raw_transaction"), signed)


# --- Solana ---------------------------------------------------------------------------------


def _solana_check(
    expect: Expect, exchange: Exchange, tx: SolanaTransfer, text: Any, encoding: str
) -> bytes:
    try:
        raw = (
            base64.b64decode(str(text), validate=True)
            if encoding == "base64"
            else base58.b58decode(str(text))
        )
    except ValueError:
        expect.fail(f"signed_transaction in {encoding}", repr(str(text)[:60]), exchange)
        return b""
    problems = tx.problems(raw)
    if problems:
        expect.fail(
            "the transaction sent with the wallet's signature in its slot",
            "; ".join(problems),
            exchange,
        )
    return raw


def _encode(data: bytes, encoding: str) -> str:
    return (
        base64.b64encode(data).decode() if encoding == "base64" else base58.b58encode(data).decode()
    )


@pytest.mark.rule(
    "M30: Solana sign_transaction puts the wallet's ed25519 signature over the message in its slot",
    source=sources.SOLANA_SIGN_TRANSACTION,
)
@pytest.mark.decision("M30")
@pytest.mark.parametrize("encoding", ["base64", "base58"])
def test_sign_transaction_solana_fills_the_wallet_slot(
    api: ApiClient, flows: Flows, expect: Expect, encoding: str
) -> None:
    """The message unchanged, the fee payer's signature kept, the wallet's slot verified with
    its address; ``signature`` that signature in base58; the answer in the request's encoding."""
    wallet = _wallet(api, flows, expect, "SOL")
    tx = SolanaTransfer.build(wallet["public_address"])
    sent = {"transaction": _encode(tx.unsigned, encoding), "encoding": encoding}
    signed = api.post(_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    body = expect.ok(signed)
    raw = _solana_check(expect, signed, tx, body.get("signed_transaction"), encoding)
    slot = base58.b58encode(raw[65:129]).decode()
    expect.equal("signature (the wallet's slot, base58)", slot, body.get("signature"), signed)


@pytest.mark.rule(
    "M30: sol_signTransaction answers the transaction signed by the wallet",
    source=sources.RPC_SOL_SIGN_TRANSACTION,
)
@pytest.mark.decision("M30")
def test_rpc_sol_sign_transaction(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """``{encoding, signed_transaction}`` in the request's encoding."""
    wallet = _wallet(api, flows, expect, "SOL")
    tx = SolanaTransfer.build(wallet["public_address"])
    signed = _rpc(
        api,
        wallet,
        "sol_signTransaction",
        transaction=_encode(tx.unsigned, "base58"),
        encoding="base58",
    )
    data = expect.ok(signed).get("data") or {}
    expect.equal("data.encoding", "base58", data.get("encoding"), signed)
    _solana_check(expect, signed, tx, data.get("signed_transaction"), "base58")


@pytest.mark.rule(
    "M29: sol_signMessage signs the decoded message; base58 unless base64 is asked",
    source=sources.RPC_SOL_SIGN_MESSAGE,
)
@pytest.mark.decision("M29")
@pytest.mark.parametrize(
    ("encoding", "answered"),
    [(None, "base58"), ("utf-8", "base58"), ("base58", "base58"), ("base64", "base64")],
)
def test_rpc_sol_sign_message(
    api: ApiClient, flows: Flows, expect: Expect, encoding: str | None, answered: str
) -> None:
    """The ed25519 signature of the message's bytes verifies with the wallet's address."""
    wallet = _wallet(api, flows, expect, "SOL")
    message = "héllo ".encode() + os.urandom(6).hex().encode()
    sent = _encode(message, encoding) if encoding in ("base58", "base64") else message.decode()
    params = {"message": sent} | ({"encoding": encoding} if encoding else {})
    signed = _rpc(api, wallet, "sol_signMessage", **params)
    data = expect.ok(signed).get("data") or {}
    expect.equal("data.encoding", answered, data.get("encoding"), signed)
    text = str(data.get("signature"))
    try:
        raw = (
            base64.b64decode(text, validate=True)
            if answered == "base64"
            else base58.b58decode(text)
        )
    except ValueError:
        raw = b""
    public = base58.b58decode(wallet["public_address"])
    if not ed25519_ok(public, raw, message):
        over_text = ed25519_ok(public, raw, sent.encode())
        why = (
            "it signs the encoded text, not the decoded bytes"
            if over_text
            else "it does not verify"
        )
        expect.fail(f"an ed25519 signature ({answered}) of the message by the wallet", why, signed)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.rule(
    "M31: an unknown /rpc method → 400 validation_error naming method",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M31")
@pytest.mark.parametrize("method", ["eth_signTransaction", "eth_sendTransaction", "personal_sign"])
def test_rpc_unknown_method_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, method: str
) -> None:
    """Only the four published methods exist (§5.5)."""
    wallet = _wallet(api, flows, expect, "ETH")
    refused = _rpc(api, wallet, method, message="x")
    expect.error(refused, 400, "validation_error")
    _names(expect, refused, "method")


@pytest.mark.rule(
    "M21: signing with a wallet of another chain → 400 wallet_chain_mismatch",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M21")
@pytest.mark.parametrize(
    ("wallet_type", "tail", "body"),
    [
        ("SOL", "sign_message", {"message": "x"}),
        ("ETH", "rpc", {"method": "sol_signMessage", "params": {"message": "x"}}),
        ("SOL", "rpc", {"method": "eth_personalSign", "params": {"message": "x"}}),
        (
            "BTC",
            "sign_transaction",
            {
                "eth_transaction": {
                    "nonce": "0x0",
                    "maxFeePerGas": "0x1",
                    "maxPriorityFeePerGas": "0x1",
                    "gas": "0x5208",
                    "chainId": "0x1",
                }
            },
        ),
    ],
    ids=["sol-sign_message", "eth-sol_signMessage", "sol-eth_personalSign", "btc-eth_transaction"],
)
def test_signing_with_a_wallet_of_another_chain(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str, tail: str, body: dict[str, Any]
) -> None:
    """The message says which chain the operation signs for, so the user knows what to send."""
    wallet = _wallet(api, flows, expect, wallet_type)
    refused = api.post(_path(wallet, tail), body)
    expect.error(refused, 400, "wallet_chain_mismatch")
    _names(expect, refused, str(wallet["id"]))


@pytest.mark.rule(
    "M25, M30: a malformed transaction → 400 naming the field, never a signature or a 500",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M25")
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gasPrice": "0x1"}, "gasPrice"),
        ({"value": str(2**256)}, "value"),
        ({"value": 2**256}, "value"),
        ({"value": "-1"}, "value"),
        ({"value": "0xzz"}, "value"),
        ({"gas": str(2**64)}, "gas"),
        ({"nonce": "0x10000000000000000"}, "nonce"),
        ({"maxPriorityFeePerGas": "0xdf8475801"}, "maxPriorityFeePerGas"),
        ({"to": "0x1234"}, "to"),
        ({"type": "0x1"}, "type"),
    ],
    ids=[
        "gasPrice",
        "value-2^256",
        "value-int-2^256",
        "value-negative",
        "value-not-hex",
        "gas-2^64",
        "nonce-2^64",
        "priority-above-max",
        "to-short",
        "type-1",
    ],
)
def test_sign_transaction_malformed_eth_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, change: dict[str, Any], field: str
) -> None:
    """400 ``validation_error`` or ``invalid_transaction`` whose message names
    ``eth_transaction.<field>`` (or the field)."""
    wallet = _wallet(api, flows, expect, "ETH")
    refused = api.post(
        _path(wallet, "sign_transaction"), {"eth_transaction": _eth_transaction() | change}
    )
    body = expect.error(refused, 400)
    code = body.get("error_type")
    expect.true(
        code in ("validation_error", "invalid_transaction"),
        "error_type validation_error or invalid_transaction",
        repr(code),
        refused,
    )
    _names(expect, refused, field)


@pytest.mark.rule(
    "M30: a malformed Solana transaction or one the wallet need not sign → 400 invalid_transaction",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M30")
@pytest.mark.parametrize("case", ["truncated", "padded", "not-a-signer", "count-unlike-header"])
def test_sign_transaction_malformed_solana_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, case: str
) -> None:
    """The message names ``sol_transaction.transaction``."""
    wallet = _wallet(api, flows, expect, "SOL")
    stranger = base58.b58encode(os.urandom(32)).decode()
    tx = SolanaTransfer.build(stranger if case == "not-a-signer" else wallet["public_address"])
    raw = {
        "truncated": tx.unsigned[:-7],
        "padded": tx.unsigned + b"\x00\x00",
        "not-a-signer": tx.unsigned,
        "count-unlike-header": bytes([1]) + tx.unsigned[1:65] + tx.message,
    }[case]
    sent = {"transaction": _encode(raw, "base64"), "encoding": "base64"}
    refused = api.post(_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    expect.error(refused, 400, "invalid_transaction")
    _names(expect, refused, "sol_transaction.transaction")


@pytest.mark.rule(
    "M10, M21: a linked (external) wallet cannot sign → 400 wallet_not_managed naming it",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M10")
@pytest.mark.parametrize("tail", ["sign_message", "rpc"])
def test_signing_with_a_linked_wallet_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, tail: str
) -> None:
    """A wallet linked by VerifyWallet: the service holds no key for it."""
    key = MockWallet("ethereum")
    begin = {"wallet_type": key.wallet_type, "public_address": key.address}
    begun = api.post("/v1/auth/wallets/registrations/begin", begin)
    flows.remember(str(expect.ok(begun).get("user_id", "")))
    verified = api.post(
        "/v1/auth/wallets/verify", begin | {"signature": key.sign(str(begun.json["challenge"]))}
    )
    linked = expect.ok(verified)
    body = (
        {"message": "x"}
        if tail == "sign_message"
        else {"method": "eth_personalSign", "params": {"message": "x"}}
    )
    refused = api.post(_path(str(linked.get("id")), tail), body)
    expect.error(refused, 400, "wallet_not_managed")
    _names(expect, refused, str(linked.get("id")))


@pytest.mark.rule(
    "M21: signing with an unknown wallet → 404 wallet_not_found", source=sources.SIGNING_DECISIONS
)
@pytest.mark.decision("M21")
@pytest.mark.parametrize("tail", ["sign_message", "sign_transaction", "rpc"])
def test_signing_with_an_unknown_wallet(api: ApiClient, expect: Expect, tail: str) -> None:
    """An id no wallet of the app has, named in the message."""
    body = {
        "sign_message": {"message": "x"},
        "sign_transaction": {"eth_transaction": _eth_transaction()},
        "rpc": {"method": "eth_personalSign", "params": {"message": "x"}},
    }[tail]
    refused = api.post(_path(UNKNOWN_WALLET, tail), body)
    expect.error(refused, 404, "wallet_not_found")
    _names(expect, refused, UNKNOWN_WALLET)


@pytest.mark.rule(
    "M32: Bump's /v1/auth/wallets/{id}/sign_message and sign_transaction sign the same way",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M32")
def test_auth_prefixed_signing_paths(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The signatures recover to the wallet as on the ``/v1/wallets/`` paths."""
    wallet = _wallet(api, flows, expect, "ETH")
    signed = api.post(_path(wallet, "sign_message", "/v1/auth/wallets/"), {"message": "test"})
    signature = expect.ok(signed).get("signature")
    _signature_ok(expect, signed, signature, b"test", wallet["public_address"], (0, 1))
    sent = _eth_transaction()
    tx = api.post(_path(wallet, "sign_transaction", "/v1/auth/wallets/"), {"eth_transaction": sent})
    problems = eip1559_problems(
        expect.ok(tx).get("signed_transaction"), sent, wallet["public_address"]
    )
    if problems:
        expect.fail("the EIP-1559 transaction sent, signed by the wallet", "; ".join(problems), tx)
