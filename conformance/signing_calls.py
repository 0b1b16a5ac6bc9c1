"""The requests the wallet-signing rules share: a fresh managed wallet, the paths, a fresh
EIP-1559 request, the message check of a refusal (conformance/test_wallet_signing*.py, M33).
"""

from __future__ import annotations

import base64
import os
from typing import Any

import base58
import pytest

from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.gates import missing_wallet_signing

UNKNOWN_WALLET = "wallet_2Cu2uYcbwY9kcAFe2zd0P0SHftK"


def skip_without_signing(api: ApiClient) -> None:
    """Skip the calling module on a deployment that cannot sign, with the reason (M33)."""
    reason = missing_wallet_signing(api)
    if reason is not None:
        pytest.skip(reason)


def create_wallet(api: ApiClient, flows: Flows, expect: Expect, wallet_type: str) -> dict[str, Any]:
    """A new user's managed wallet of ``wallet_type`` (the user is cleaned up after the run)."""
    made = api.post(
        "/v1/wallets/create", {"user_id": flows.create_user(), "wallet_type": wallet_type}
    )
    return expect.ok(made)


def wallet_path(wallet: dict[str, Any] | str, tail: str, prefix: str = "/v1/wallets/") -> str:
    """``{prefix}{wallet_id}/{tail}`` of a wallet (its answer or its id)."""
    wallet_id = wallet if isinstance(wallet, str) else wallet["id"]
    return f"{prefix}{wallet_id}/{tail}"


def rpc(api: ApiClient, wallet: dict[str, Any], method: str, **params: Any) -> Exchange:
    """``POST /v1/wallets/{id}/rpc {method, params}``."""
    return api.post(wallet_path(wallet, "rpc"), {"method": method, "params": params})


def eth_transaction() -> dict[str, str]:
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


def names(expect: Expect, exchange: Exchange, what: str) -> None:
    """The refusal's ``error_message`` names ``what`` (a field, a wallet id)."""
    message = str(exchange.json.get("error_message"))
    expect.true(what in message, f"the error message names {what!r}", repr(message), exchange)


def encode(data: bytes, encoding: str) -> str:
    """``data`` in base64 or base58."""
    if encoding == "base64":
        return base64.b64encode(data).decode()
    return base58.b58encode(data).decode()
