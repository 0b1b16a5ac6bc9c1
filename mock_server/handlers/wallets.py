"""Handlers of the ``wallets`` tag: wallet login and unlinking (§4, §3.2; D21, W1-W9)."""

from __future__ import annotations

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import wallets
from mock_server.domain.sessions import Issued
from mock_server.models import Json, User, Wallet, WalletRegistration


def _registration(registration: WalletRegistration) -> Json:
    return {
        "id": registration.id,
        "app_id": registration.app_id,
        "user_id": registration.user_id,
        "public_address": registration.public_address,
        "wallet_type": registration.wallet_type,
        "challenge": registration.challenge,
        "user_created": registration.user_created,
        "expires_at": registration.expires_at,
        "updated_at": registration.created_at,
        "created_at": registration.created_at,
    }


def _verified(wallet: Wallet, user: User, issued: Issued) -> Json:
    """The Wallet (with the example's ``is_ready_only`` spelling too) and the session (W7)."""
    body = wallet.to_json(user.app_id, user.user_id)
    body["is_ready_only"] = wallet.is_read_only
    body.update(
        {
            "wallet_id": wallet.id,
            "method_id": wallet.id,
            "method_type": "wallet",
            **session_fields(issued),
            "user": user.to_json(),
        }
    )
    return body


def begin_wallet_registration(call: Call) -> Reply:
    """POST /v1/auth/wallets/registrations/begin."""
    return Reply(_registration(wallets.begin(call.state, call.app, call.body, wallets.CHALLENGE)))


def get_wallet_registration_nonce(call: Call) -> Reply:
    """POST /v1/auth/wallets/registrations/nonce (the example's fields plus the schema's, W2)."""
    registration = wallets.begin(call.state, call.app, call.body, wallets.NONCE)
    return Reply({**_registration(registration), "nonce": registration.challenge})


def verify_wallet(call: Call) -> Reply:
    """POST /v1/auth/wallets/verify."""
    wallet, user, issued, _ = wallets.verify(call.state, call.app, call.body)
    return Reply(_verified(wallet, user, issued))


def verify_siwe_wallet_registration(call: Call) -> Reply:
    """POST /v1/auth/wallets/siwe/verify."""
    wallet, user, issued, _ = wallets.verify_siwe(call.state, call.app, call.body)
    return Reply(_verified(wallet, user, issued))


def delete_user_wallet(call: Call) -> Reply:
    """DELETE /v1/auth/users/wallets/{wallet_id}/delete."""
    user = wallets.delete(call.state, call.app, call.path["wallet_id"])
    return Reply({"user_id": user.user_id, "message": "Successfully deleted user wallet"})
