"""Wallet signing refused: unknown methods, other chains, malformed transactions, linked and
unknown wallets (WalletSignTransaction, WalletSignMessage, WalletRpc).

Capability-gated as conformance/test_wallet_signing.py (M33). Each refusal must be the D9
envelope with a status and code, and its message must name what the user has to change: the
field, the method or the wallet. Sources (public pages):

- https://developers.streambird.io/operation/operation-walletsigntransaction
- https://developers.streambird.io/operation/operation-solanawalletsigntransaction
- docs/decisions.md M10, M21, M25, M30, M31 (the pages publish no error, §14 #1).
"""

from __future__ import annotations

import os
from typing import Any

import base58
import pytest

from conformance import sources
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.signatures import SolanaTransfer
from conformance.signing_calls import (
    UNKNOWN_WALLET,
    create_wallet,
    encode,
    eth_transaction,
    names,
    rpc,
    skip_without_signing,
    wallet_path,
)
from conformance.wallet import MockWallet


@pytest.fixture(scope="module", autouse=True)
def _serves_wallet_signing(api: ApiClient) -> None:
    """Skip the module on a deployment that cannot sign with managed wallets, with the reason."""
    skip_without_signing(api)


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
    wallet = create_wallet(api, flows, expect, "ETH")
    refused = rpc(api, wallet, method, message="x")
    expect.error(refused, 400, "validation_error")
    names(expect, refused, "method")


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
        ("BTC", "sign_transaction", {"eth_transaction": eth_transaction()}),
    ],
    ids=["sol-sign_message", "eth-sol_signMessage", "sol-eth_personalSign", "btc-eth_transaction"],
)
def test_signing_with_a_wallet_of_another_chain(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str, tail: str, body: dict[str, Any]
) -> None:
    """The message says which chain the operation signs for, so the user knows what to send."""
    wallet = create_wallet(api, flows, expect, wallet_type)
    refused = api.post(wallet_path(wallet, tail), body)
    expect.error(refused, 400, "wallet_chain_mismatch")
    names(expect, refused, str(wallet["id"]))


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
    wallet = create_wallet(api, flows, expect, "ETH")
    refused = api.post(
        wallet_path(wallet, "sign_transaction"), {"eth_transaction": eth_transaction() | change}
    )
    body = expect.error(refused, 400)
    code = body.get("error_type")
    expect.true(
        code in ("validation_error", "invalid_transaction"),
        "error_type validation_error or invalid_transaction",
        repr(code),
        refused,
    )
    names(expect, refused, field)


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
    wallet = create_wallet(api, flows, expect, "SOL")
    stranger = base58.b58encode(os.urandom(32)).decode()
    tx = SolanaTransfer.build(stranger if case == "not-a-signer" else wallet["public_address"])
    raw = {
        "truncated": tx.unsigned[:-7],
        "padded": tx.unsigned + b"\x00\x00",
        "not-a-signer": tx.unsigned,
        "count-unlike-header": bytes([1]) + tx.unsigned[1:65] + tx.message,
    }[case]
    sent = {"transaction": encode(raw, "base64"), "encoding": "base64"}
    refused = api.post(wallet_path(wallet, "sign_transaction"), {"sol_transaction": sent})
    expect.error(refused, 400, "invalid_transaction")
    names(expect, refused, "sol_transaction.transaction")


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
    refused = api.post(wallet_path(str(linked.get("id")), tail), body)
    expect.error(refused, 400, "wallet_not_managed")
    names(expect, refused, str(linked.get("id")))


@pytest.mark.rule(
    "M21: signing with an unknown wallet → 404 wallet_not_found", source=sources.SIGNING_DECISIONS
)
@pytest.mark.decision("M21")
@pytest.mark.parametrize("tail", ["sign_message", "sign_transaction", "rpc"])
def test_signing_with_an_unknown_wallet(api: ApiClient, expect: Expect, tail: str) -> None:
    """An id no wallet of the app has, named in the message."""
    body = {
        "sign_message": {"message": "x"},
        "sign_transaction": {"eth_transaction": eth_transaction()},
        "rpc": {"method": "eth_personalSign", "params": {"message": "x"}},
    }[tail]
    refused = api.post(wallet_path(UNKNOWN_WALLET, tail), body)
    expect.error(refused, 404, "wallet_not_found")
    names(expect, refused, UNKNOWN_WALLET)
