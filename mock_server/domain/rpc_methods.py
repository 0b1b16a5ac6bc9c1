"""The request-level rules of sign_transaction and ``/rpc`` (M22-M31), over wallet_signing."""

from __future__ import annotations

from typing import Any

from mock_server.models import App, Json
from mock_server.state import MockState

from . import wallet_signing as ws
from .chain_keys import ETHEREUM, SOLANA


def sign_transaction(state: MockState, app: App, wallet_id: str, body: Json) -> Json:
    """``{wallet_id, wallet, signature, signed_transaction[, raw_transaction]}``."""
    field = "eth_transaction" if "eth_transaction" in body else "sol_transaction"
    chain = ETHEREUM if field == "eth_transaction" else SOLANA
    who = ws.signer(state, app, wallet_id, {chain}, f"sign_transaction with {field}")
    wallet = who.wallet.to_json(app.app_id, who.user.user_id)
    if chain == ETHEREUM:
        signed = ws.sign_eip1559(who.secret, who.wallet.public_address, body[field])
        envelope = "0x" + signed.envelope.hex()
        return {
            "wallet_id": wallet_id,
            "wallet": wallet,
            "signature": "0x" + signed.tx_hash.hex(),
            "signed_transaction": envelope,
            "raw_transaction": envelope,
        }
    sol = body[field]
    raw, signature = ws.sign_solana_transaction(
        who.secret, who.wallet.public_address, sol["transaction"], sol["encoding"], field
    )
    return {
        "wallet_id": wallet_id,
        "wallet": wallet,
        "signature": ws.encode_bytes(signature, "base58"),
        "signed_transaction": ws.encode_bytes(raw, sol["encoding"]),
    }


def run(state: MockState, app: App, wallet_id: str, method: str, params: dict[str, Any]) -> Json:
    """The ``data`` of one ``/rpc`` method (the schema has checked the method and params)."""
    chain = ETHEREUM if method.startswith("eth_") else SOLANA
    who = ws.signer(state, app, wallet_id, {chain}, method)
    if method == "eth_personalSign":
        text = params["message"]
        if params.get("encoding") == "hex":
            message = ws.hex_bytes(text, "params.message")
        else:
            message = text.encode("utf-8")
        signature = ws.personal_sign(who.secret, message, v_base=27)
        return {"encoding": "hex", "signature": "0x" + signature.hex()}
    if method == "eth_sign7702Authorization":
        chain_id = ws.quantity(params["chainId"], "params.chainId")
        nonce = ws.quantity(params["nonce"], "params.nonce", ws.UINT64)
        contract = params["contractAddress"]
        y, r, s = ws.sign_7702(who.secret, chain_id, ws.hex_bytes(contract, "contract"), nonce)
        authorization = {
            "chainId": str(chain_id),
            "contractAddress": contract.lower(),
            "nonce": str(nonce),
            "v": str(y),
            "r": f"0x{r:064x}",
            "s": f"0x{s:064x}",
            "yParity": y,
        }
        return {"authorization": authorization}
    if method == "sol_signMessage":
        encoding = params.get("encoding", "utf-8")
        message = ws.decode_text(params["message"], encoding, "params.message")
        out = "base64" if encoding == "base64" else "base58"
        return {"signature": ws.sign_ed25519_text(who.secret, message, out), "encoding": out}
    raw, _ = ws.sign_solana_transaction(
        who.secret, who.wallet.public_address, params["transaction"], params["encoding"], "params"
    )
    return {
        "encoding": params["encoding"],
        "signed_transaction": ws.encode_bytes(raw, params["encoding"]),
    }
