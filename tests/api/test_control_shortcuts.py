"""Control API shortcuts: mint a session (/_mock/sessions), an OAuth token (/_mock/oauth/tokens)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mock_server.control.inprocess import Controls
from tests.helpers import Api, assert_error

VERIFY = "/v1/auth/sessions/verify"


def test_mint_session_for_a_new_email_creates_the_user(api: Api, client: FlaskClient) -> None:
    reply = client.post("/_mock/sessions", json={"email": "ann@example.com"})
    assert reply.status_code == 200, reply.get_json()
    minted = reply.get_json()
    assert minted["user"]["email"] == "ann@example.com"
    assert minted["user"]["status"] == "active"
    assert minted["user"]["emails"][0]["verified"] is True
    session = minted["session"]
    assert session["expires_at"] - session["started_at"] == 10080 * 60
    assert session["factors"][0]["delivery_channel"] == "email"
    verified = api.post(VERIFY, {"session_jwt": minted["session_jwt"]})
    assert verified.get_json()["session_token"] == minted["session_token"]


def test_mint_session_for_an_existing_user(api: Api, client: FlaskClient, mock: Controls) -> None:
    user = api.post("/v1/auth/users/create", {"phone_number": "+15555550100"}).get_json()
    minted = mock.mint_session(user_id=user["user_id"], session_expires_in=5)
    assert minted["user"]["user_id"] == user["user_id"]
    assert minted["session"]["factors"][0]["delivery_channel"] == "sms"
    assert minted["session"]["expires_at"] - minted["session"]["started_at"] == 300
    client.post("/_mock/clock/advance", json={"minutes": 5})
    assert_error(
        api.post(VERIFY, {"session_token": minted["session_token"]}), 401, "invalid_session"
    )


def test_mint_session_in_another_app(client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app(default_session_minutes=60)
    minted = mock.mint_session(email="ann@example.com", app_id=other["app_id"])
    assert minted["session"]["expires_at"] - minted["session"]["started_at"] == 3600
    other_api = Api(client, other["secret_key"])
    assert other_api.post(VERIFY, {"session_token": minted["session_token"]}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({}, 400, "validation_error", "exactly one of 'user_id', 'email', 'phone_number'"),
        ({"email": "a@x.io", "user_id": "user_1"}, 400, "validation_error", "exactly one"),
        ({"email": "a@x.io", "session_expires_in": 3}, 400, "validation_error", "minimum of 5"),
        ({"user_id": "user_nope"}, 404, "user_not_found", "user_nope"),
        ({"email": "a@x.io", "app_id": "app_nope"}, 404, "app_not_found", "app_nope"),
    ],
)
def test_mint_session_bad_input(
    client: FlaskClient, body: object, status: int, code: str, message: str
) -> None:
    assert_error(client.post("/_mock/sessions", json=body), status, code, message)


def test_mint_oauth_token_verifies_like_a_consent(api: Api, client: FlaskClient) -> None:
    body = {"provider": "google", "email": "ann@example.com", "name": "Ann Lee"}
    minted = client.post("/_mock/oauth/tokens", json=body)
    assert minted.status_code == 200, minted.get_json()
    token = minted.get_json()
    assert (token["provider"], token["user_created"]) == ("google", True)
    verified = api.post("/v1/auth/oauth/verify", {"token": token["token"]})
    assert verified.status_code == 200, verified.get_json()
    assert verified.get_json()["user_id"] == token["user_id"]
    assert verified.get_json()["session_token"]


def test_mint_oauth_token_in_process_links_an_existing_user(api: Api, mock: Controls) -> None:
    user = api.post("/v1/auth/users/create", {"email": "ann@example.com"}).get_json()
    token = mock.mint_oauth_token("github", "ann@example.com", provider_subject="gh-1")
    assert (token["user_id"], token["provider_subject"]) == (user["user_id"], "gh-1")


def test_mint_oauth_token_bad_input(client: FlaskClient) -> None:
    reply = client.post("/_mock/oauth/tokens", json={"provider": "google"})
    assert_error(reply, 400, "validation_error", "email")
    reply = client.post("/_mock/oauth/tokens", json={"provider": "myspace", "email": "a@x.io"})
    assert reply.status_code == 400
