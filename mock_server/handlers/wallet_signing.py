"""Handlers of the ``wallet_signing`` tag: sign_message, sign_transaction, rpc (§5.4, §5.5).

The framing and key use are in :mod:`mock_server.domain.wallet_signing` (M20-M39). The
``…AuthPath`` handlers serve Bump's ``/v1/auth/wallets/...`` paths with the same functions
(§13 #2, M12, M32).
"""

from __future__ import annotations

from mock_server.call import Call, Reply
from mock_server.domain import rpc_methods, wallet_signing
from mock_server.domain.chain_keys import ETHEREUM


def wallet_sign_message(call: Call) -> Reply:
    """POST /v1/wallets/{wallet_id}/sign_message: EIP-191, ``v`` 0/1 (M20)."""
    wallet_id = call.path["wallet_id"]
    who = wallet_signing.signer(call.state, call.app, wallet_id, {ETHEREUM}, "sign_message")
    message = call.body["message"].encode("utf-8")
    signature = wallet_signing.personal_sign(who.secret, message, v_base=0)
    wallet = who.wallet.to_json(call.app.app_id, who.user.user_id)
    return Reply({"wallet_id": wallet_id, "wallet": wallet, "signature": "0x" + signature.hex()})


def wallet_sign_transaction(call: Call) -> Reply:
    """POST /v1/wallets/{wallet_id}/sign_transaction: ETH EIP-1559 or Solana (M22-M30)."""
    return Reply(
        rpc_methods.sign_transaction(call.state, call.app, call.path["wallet_id"], call.body)
    )


def wallet_rpc(call: Call) -> Reply:
    """POST /v1/wallets/{wallet_id}/rpc: the four MoonKey-era methods (M26-M31)."""
    method = call.body["method"]
    data = rpc_methods.run(
        call.state, call.app, call.path["wallet_id"], method, call.body["params"]
    )
    return Reply({"method": method, "data": data})


def wallet_sign_message_auth_path(call: Call) -> Reply:
    """POST /v1/auth/wallets/{wallet_id}/sign_message (Bump's path, M12, M32)."""
    return wallet_sign_message(call)


def wallet_sign_transaction_auth_path(call: Call) -> Reply:
    """POST /v1/auth/wallets/{wallet_id}/sign_transaction (Bump's path, M12, M32)."""
    return wallet_sign_transaction(call)


__all__ = [
    "wallet_rpc",
    "wallet_sign_message",
    "wallet_sign_message_auth_path",
    "wallet_sign_transaction",
    "wallet_sign_transaction_auth_path",
]
