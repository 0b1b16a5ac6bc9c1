"""The official Python SDK's users.update, the deletes and totps.* against the fake over HTTP.

TOTP codes are computed with ``cryptography``'s RFC 6238 implementation at the fake's time.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from conformance.server import MockServer

streambird = pytest.importorskip("streambird")
from streambird.exceptions import StreambirdException  # noqa: E402


def _code(server: MockServer, secret: str, offset: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)
    return totp.generate(server.state.now() + offset).decode()


def _login(server: MockServer, client: Any, email: str) -> dict[str, Any]:
    started = client.otps.email.login_or_create(email)
    message = server.state.outbox.latest(to=email)
    assert message is not None
    verified: dict[str, Any] = client.otps.verify(
        message.code, started["email_id"], session_expires_in=60
    )
    return verified


def test_sdk_users_update_attaches_identifiers(client: Any) -> None:
    created = client.users.create(email="sdk-upd@example.com", first_name="Ada")
    user_id = created["user_id"]
    updated = client.users.update(
        user_id,
        emails=["sdk-upd-work@example.com"],
        phone_numbers=["+15555550199"],
        first_name="Ada",
        middle_name="K",
        last_name="Lovelace",
    )
    assert updated["user_id"] == user_id
    assert [e["email"] for e in updated["emails"]] == ["sdk-upd-work@example.com"]
    assert updated["phone_numbers"][0]["verified"] is False
    user = client.users.get(user_id)
    assert (user["middle_name"], user["last_name"]) == ("K", "Lovelace")
    assert [e["email"] for e in user["emails"]] == [
        "sdk-upd@example.com",
        "sdk-upd-work@example.com",
    ]
    assert client.users.update(user_id)["user"]["last_name"] == "Lovelace"


def test_sdk_users_update_duplicate_email(client: Any) -> None:
    client.users.create(email="sdk-taken@example.com")
    other = client.users.create(email="sdk-other@example.com")
    with pytest.raises(StreambirdException) as failure:
        client.users.update(other["user_id"], emails=["sdk-taken@example.com"])
    assert failure.value.code == 409
    assert "belongs to another user" in failure.value.message


def test_sdk_users_delete_email_and_phone_number(client: Any) -> None:
    created = client.users.create(email="sdk-del@example.com", phone_number="+15555550177")
    deleted = client.users.delete_email(created["email_id"])
    assert deleted == {"message": "Successfully deleted user email", "user_id": created["user_id"]}
    deleted = client.users.delete_phone_number(created["phone_number_id"])
    assert deleted["message"] == "Successfully deleted user phone number"
    user = client.users.get(created["user_id"])
    assert (user["emails"], user["phone_numbers"]) == ([], [])
    with pytest.raises(StreambirdException) as failure:
        client.users.delete_email(created["email_id"])
    assert failure.value.code == 404


def test_sdk_totps_create_verify_recovery(server: MockServer, client: Any) -> None:
    me = _login(server, client, "sdk-totp@example.com")
    user_id = me["user_id"]
    created = client.totps.create(user_id)
    assert len(created["recovery_codes"]) == 16
    assert base64.b64decode(created["qr_base64"])[:4] == b"\x89PNG"
    verified = client.totps.verify(
        _code(server, created["secret"]), user_id, session_token=me["session_token"]
    )
    assert verified["totp_id"] == created["totp_id"]
    assert verified["session"]["id"] == me["session"]["id"]
    assert [f["type"] for f in verified["session"]["factors"]] == ["otp", "totp"]
    valid = {_code(server, created["secret"], offset) for offset in (-60, -30, 0, 30, 60)}
    wrong = next(
        c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in valid
    )
    with pytest.raises(StreambirdException) as failure:
        client.totps.verify(wrong, user_id, session_expires_in=5)
    assert (failure.value.code, failure.value.message) == (
        400,
        "The TOTP code is not valid (wrong, expired or already used)",
    )

    codes = client.totps.recovery_codes(user_id)["totps"][0]
    assert codes["verified"] is True
    assert codes["recovery_codes"] == created["recovery_codes"]
    recovered = client.totps.recovery(created["recovery_codes"][0], user_id, session_expires_in=30)
    assert recovered["session"]["factors"][0]["delivery_channel"] == "totp_recovery_code"
    with pytest.raises(StreambirdException) as failure:
        client.totps.recovery(created["recovery_codes"][0], user_id)
    assert (failure.value.code, failure.value.message) == (
        400,
        "The recovery code is not valid or was already used",
    )
    left = client.totps.recovery_codes(user_id)["totps"][0]["recovery_codes"]
    assert left == created["recovery_codes"][1:]
