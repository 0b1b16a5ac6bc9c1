"""Handlers of the ``managed_wallets`` tag: create, get, balance (Reference-more §5; M1-M19).

Each operation is served at ``/v1/wallets/...`` and at Bump's ``/v1/auth/wallets/...`` (§13 #2,
M12); the ``…AuthPath`` handlers are the same functions under the alias's operationId.
"""

from __future__ import annotations

from mock_server.call import Call, Reply
from mock_server.domain import balances, managed_wallets


def create_wallet(call: Call) -> Reply:
    """POST /v1/wallets/create (idempotent per user and chain, M1)."""
    user, wallet, _ = managed_wallets.create(
        call.state, call.app, call.body["user_id"], call.body["wallet_type"]
    )
    return Reply(wallet.to_json(call.app.app_id, user.user_id))


def get_wallet(call: Call) -> Reply:
    """GET /v1/wallets/{wallet_id}."""
    user, wallet = managed_wallets.find(call.state, call.app, call.path["wallet_id"])
    return Reply(wallet.to_json(call.app.app_id, user.user_id))


def get_wallet_balance(call: Call) -> Reply:
    """POST /v1/wallets/balance: a decimal string, ``"0"`` when never set (M9)."""
    user, wallet = managed_wallets.find(call.state, call.app, call.body["wallet_id"])
    token = call.body["token_symbol"]
    amount = balances.balance(call.state, call.app, wallet, token)
    return Reply(
        {
            "balance": balances.format_amount(amount),
            "token_symbol": token,
            "wallet": wallet.to_json(call.app.app_id, user.user_id),
        }
    )


def create_wallet_auth_path(call: Call) -> Reply:
    """POST /v1/auth/wallets/create (Bump's path, M12)."""
    return create_wallet(call)


def get_wallet_auth_path(call: Call) -> Reply:
    """GET /v1/auth/wallets/{wallet_id} (Bump's path, M12)."""
    return get_wallet(call)


def get_wallet_balance_auth_path(call: Call) -> Reply:
    """POST /v1/auth/wallets/balance (Bump's path, M12)."""
    return get_wallet_balance(call)
