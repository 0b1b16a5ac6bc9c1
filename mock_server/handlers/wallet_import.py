"""Handlers of the ``wallet_import`` tag: BeginWalletImport and ImportWallet (§10; M60-M79)."""

from __future__ import annotations

from mock_server.call import Call, Reply
from mock_server.domain import wallet_import


def begin_wallet_import(call: Call) -> Reply:
    """POST /v1/wallets/import/begin: a fresh HPKE public key for one import."""
    key = wallet_import.begin(call.state, call.app, call.body)
    return Reply({"encryption_type": "HPKE", "encryption_public_key": key.public_key})


def import_wallet(call: Call) -> Reply:
    """POST /v1/wallets/import: the imported wallet (or the user's existing one, §10.2)."""
    user, wallet, _ = wallet_import.import_wallet(call.state, call.app, call.body)
    return Reply(wallet.to_json(call.app.app_id, user.user_id))
