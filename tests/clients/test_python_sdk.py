"""The official Python SDK (``streambird``) against the fake over real HTTP.

Code nobody on this project wrote: every call goes through the SDK's own request building,
paths and error mapping, so a mismatch with the published API shows up here.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.server import MockServer
from mock_server.domain import oauth

streambird = pytest.importorskip("streambird")
from streambird.exceptions import StreambirdException  # noqa: E402


def _code(server: MockServer, to: str) -> str:
    message = server.state.outbox.latest(to=to)
    assert message is not None
    return message.code


def test_sdk_otp_login_verify_list_delete(server: MockServer, client: Any) -> None:
    started = client.otps.email.login_or_create("sdk-otp@example.com")
    assert started["user_created"] is True
    code = _code(server, "sdk-otp@example.com")
    verified = client.otps.verify(code, started["email_id"], session_expires_in=60)
    assert verified["user_id"] == started["user_id"]
    token, jwt = verified["session_token"], verified["session_jwt"]

    again = client.sessions.verify(session_token=token, session_expires_in=120)
    assert again["session"]["expires_at"] - again["session"]["last_active_at"] == 7200
    assert client.sessions.verify(session_jwt=jwt)["session"]["id"] == again["session"]["id"]
    listed = client.sessions.list(started["user_id"])["sessions"]
    assert [s["id"] for s in listed] == [again["session"]["id"]]

    assert client.sessions.delete(session_token=token)["message"]
    with pytest.raises(StreambirdException) as failure:
        client.sessions.verify(session_token=token)
    assert (failure.value.code, failure.value.message) == (401, "Session not found or has expired")


def test_sdk_sms_login(server: MockServer, client: Any) -> None:
    started = client.otps.sms.login_or_create("+15555550123")
    code = _code(server, "+15555550123")
    verified = client.otps.verify(code, started["phone_number_id"], session_expires_in=5)
    assert verified["method_type"] == "phone_number"
    assert verified["session"]["factors"][0]["delivery_channel"] == "sms"


def test_sdk_users_create_get_delete(client: Any) -> None:
    created = client.users.create(email="sdk-user@example.com", first_name="Ada")
    user = client.users.get(created["user_id"])
    assert (user["first_name"], user["email"]) == ("Ada", "sdk-user@example.com")
    assert client.users.delete(created["user_id"])["user_id"] == created["user_id"]
    with pytest.raises(StreambirdException):
        client.users.get(created["user_id"])


def test_sdk_magic_link_login(server: MockServer, client: Any) -> None:
    # The SDK sends login_redirect_url only; a new user's link uses the registration URL,
    # which falls back to the app's default (ledger L31).
    started = client.magic_links.email.login_or_create(
        "sdk-link@example.com", login_redirect_url="https://app.example.com/auth"
    )
    message = server.state.outbox.latest(to="sdk-link@example.com")
    assert message is not None
    assert message.link == f"http://localhost:3000/authenticate?token={message.token}"
    verified = client.magic_links.verify(message.token, session_expires_in=10080)
    assert verified["user_id"] == started["user_id"]

    client.magic_links.email.login_or_create(
        "sdk-link@example.com", login_redirect_url="https://app.example.com/auth"
    )
    login = server.state.outbox.latest(to="sdk-link@example.com")
    assert login is not None
    assert login.link == f"https://app.example.com/auth?token={login.token}"
    assert len(client.magic_links.create(started["user_id"])["token"]) == 48


def test_sdk_oauth_verify(server: MockServer, client: Any) -> None:
    state = server.state
    minted = oauth.mint_token(state, state.default_app(), provider="google", email="g@example.com")
    verified = client.oauth.verify(minted.token, session_type="idp", session_expires_in=60)
    assert verified["provider"] == "google"
    assert verified["idp_session"]["idp"]["access_token"]
    assert verified["session"]["factors"][0]["delivery_channel"] == "google_oauth"


def test_sdk_errors_map_to_its_exception_classes(client: Any, server: MockServer) -> None:
    wrong = streambird.Client("sk_test_" + "x" * 48, api_instance_url=f"{server.url}/v1")
    with pytest.raises(StreambirdException) as failure:
        wrong.sessions.list("user_x")
    assert failure.value.code == 401
    with pytest.raises(StreambirdException) as failure:
        client.sessions.verify(session_token="nope", session_expires_in=4)
    assert failure.value.code == 400
