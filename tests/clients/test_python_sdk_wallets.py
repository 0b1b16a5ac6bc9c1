"""The official Python SDK's wallet calls (``streambird``) against the fake over real HTTP.

``wallets.begin_registration``, ``wallets.verify`` and ``users.delete_wallet`` are the SDK's own
request building; the signatures come from a key the fake never sees (tests.wallet_keys).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.wallet_keys import EthKey, SolKey

streambird = pytest.importorskip("streambird")
from streambird.exceptions import StreambirdException  # noqa: E402


@pytest.mark.parametrize(("key", "wallet_type"), [(EthKey(), "ETH"), (SolKey(), "SOL")])
def test_sdk_wallet_login_verify_session_and_delete(
    client: Any, key: EthKey | SolKey, wallet_type: str
) -> None:
    begun = client.wallets.begin_registration(wallet_type, key.address)
    assert begun["user_created"] is True
    signature = key.sign(begun["challenge"])
    verified = client.wallets.verify(wallet_type, key.address, signature, session_expires_in=30)
    assert verified["user_id"] == begun["user_id"]
    factor = verified["session"]["factors"][0]
    assert factor["type"] == "wallet"
    assert client.sessions.verify(session_token=verified["session_token"])["user"]["wallets"]

    with pytest.raises(StreambirdException):
        client.wallets.verify(wallet_type, key.address, signature)  # replay

    deleted = client.users.delete_wallet(verified["id"])
    assert deleted == {"user_id": begun["user_id"], "message": "Successfully deleted user wallet"}
    assert client.users.get(begun["user_id"])["wallets"] == []


def test_sdk_wallet_verify_steps_up_a_session(client: Any) -> None:
    key = EthKey()
    first = client.wallets.begin_registration("ethereum", key.address)
    signature = key.sign(first["challenge"])
    session = client.wallets.verify("ethereum", key.address, signature, session_expires_in=5)
    second = client.wallets.begin_registration("ethereum", key.address)
    again = client.wallets.verify(
        "ethereum",
        key.address,
        key.sign(second["challenge"]),
        session_token=session["session_token"],
    )
    assert again["session"]["id"] == session["session"]["id"]
