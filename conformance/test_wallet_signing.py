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
from conformance.signatures import (
    SolanaTransfer,
    authorization_problem,
    ed25519_ok,
    eip1559_problems,
    personal_sign_problem,
    split_65,
)
from conformance.signing_calls import (
    create_wallet,
    encode,
    eth_transaction,
    rpc,
    skip_without_signing,
    wallet_path,
)

MESSAGES = ["test", "héllo, wörld ✓ — naïve", "x" * 1500]


@pytest.fixture(scope="module", autouse=True)
def _serves_wallet_signing(api: ApiClient) -> None:
    """Skip the module on a deployment that cannot sign with managed wallets, with the reason."""
    skip_without_signing(api)


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
    wallet = create_wallet(api, flows, expect, "ETH")
    signed = api.post(wallet_path(wallet, "sign_message"), {"message": message})
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
    wallet = create_wallet(api, flows, expect, "ETH")
    signed = api.post(wallet_path(wallet, "sign_message"), {"message": "test"})
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
    wallet = create_wallet(api, flows, expect, "ETH")
    raw = "sign me ✓ ".encode() + os.urandom(4).hex().encode()
    sent = "0x" + raw.hex() if encoding == "hex" else raw.decode()
    params = {"message": sent} | ({"encoding": encoding} if encoding else {})
    signed = rpc(api, wallet, "eth_personalSign", **params)
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
    wallet = create_wallet(api, flows, expect, "ETH")
    contract = "0x" + os.urandom(20).hex()
    signed = rpc(
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
    wallet = create_wallet(api, flows, expect, "ETH")
    sent = eth_transaction()
    signed = api.post(wallet_path(wallet, "sign_transaction"), {"eth_transaction": sent})
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
    wallet = create_wallet(api, flows, expect, "ETH")
    signed = api.post(
        wallet_path(wallet, "sign_transaction"), {"eth_transaction": eth_transaction()}
    )
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
    wallet = create_wallet(api, flows, expect, "SOL")
    tx = SolanaTransfer.build(wallet["public_address"])
    sent = {"transaction": encode(tx.unsigned, encoding), "encoding": encoding}
    signed = api.post(wallet_path(wallet, "sign_transaction"), {"sol_transaction": sent})
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
    wallet = create_wallet(api, flows, expect, "SOL")
    tx = SolanaTransfer.build(wallet["public_address"])
    signed = rpc(
        api,
        wallet,
        "sol_signTransaction",
        transaction=encode(tx.unsigned, "base58"),
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
    wallet = create_wallet(api, flows, expect, "SOL")
    message = "héllo ".encode() + os.urandom(6).hex().encode()
    sent = encode(message, encoding) if encoding in ("base58", "base64") else message.decode()
    params = {"message": sent} | ({"encoding": encoding} if encoding else {})
    signed = rpc(api, wallet, "sol_signMessage", **params)
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


@pytest.mark.rule(
    "M32: Bump's /v1/auth/wallets/{id}/sign_message and sign_transaction sign the same way",
    source=sources.SIGNING_DECISIONS,
)
@pytest.mark.decision("M32")
def test_auth_prefixed_signing_paths(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The signatures recover to the wallet as on the ``/v1/wallets/`` paths."""
    wallet = create_wallet(api, flows, expect, "ETH")
    signed = api.post(wallet_path(wallet, "sign_message", "/v1/auth/wallets/"), {"message": "test"})
    signature = expect.ok(signed).get("signature")
    _signature_ok(expect, signed, signature, b"test", wallet["public_address"], (0, 1))
    sent = eth_transaction()
    tx = api.post(
        wallet_path(wallet, "sign_transaction", "/v1/auth/wallets/"), {"eth_transaction": sent}
    )
    problems = eip1559_problems(
        expect.ok(tx).get("signed_transaction"), sent, wallet["public_address"]
    )
    if problems:
        expect.fail("the EIP-1559 transaction sent, signed by the wallet", "; ".join(problems), tx)
