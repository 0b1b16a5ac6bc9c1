"""Magic links: login-or-create, invite, embeddable tokens, login-status polling, verify."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from mock_server import ControllableClock
from mock_server.models import App
from mock_server.outbox import Message
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

LOGIN = "/v1/auth/magic_links/email/login_or_create"
INVITE = "/v1/auth/magic_links/email/invite"
CREATE = "/v1/auth/magic_links/create"
STATUS = "/v1/auth/magic_links/email/login_status"
VERIFY = "/v1/auth/magic_links/verify"
DEFAULT_URL = "http://localhost:3000/authenticate"


def _send(api: Api, state: MockState, email: str, **fields: Any) -> Message:
    reply = api.post(LOGIN, {"email": email, **fields})
    assert reply.status_code == 200, reply.get_json()
    message = state.outbox.latest(to=email)
    assert message is not None
    return message


def _without_default(state: MockState) -> None:
    state.store.put_app(replace(state.default_app(), default_redirect_url=None))


def test_login_or_create_user_by_magic_link_new_user(api: Api, state: MockState) -> None:
    reply = api.post(LOGIN, {"email": "new@example.com"})
    body = reply.get_json()
    assert reply.status_code == 200
    assert body["user_created"] is True
    assert body["status"] == "pending"
    message = state.outbox.latest(to="new@example.com")
    assert message is not None
    assert message.kind == "magic_link"
    assert message.channel == "email"
    assert message.method_id == body["email_id"]
    assert len(message.token) == 48
    assert message.link == f"{DEFAULT_URL}?token={message.token}"
    assert message.expires_at - message.sent_at == 60 * 60


def test_login_or_create_user_by_magic_link_redirect_urls(api: Api, state: MockState) -> None:
    urls = {
        "login_redirect_url": "https://app.example/login",
        "registration_redirect_url": "https://app.example/register?from=mail",
    }
    first = _send(api, state, "jane@example.com", **urls)
    assert first.link == f"https://app.example/register?from=mail&token={first.token}"
    reply = api.post(LOGIN, {"email": "JANE@example.com", **urls})
    assert reply.get_json()["user_created"] is False
    second = state.outbox.latest(to="jane@example.com")
    assert second is not None
    assert second.link == f"https://app.example/login?token={second.token}"


@pytest.mark.parametrize(
    ("fields", "minutes"),
    [
        ({"expires_in": 15}, 15),
        ({"registration_expires_in": 20, "expires_in": 15}, 20),
        ({"login_expires_in": 30}, 60),
    ],
)
def test_login_or_create_user_by_magic_link_expiry(
    api: Api, state: MockState, fields: dict[str, int], minutes: int
) -> None:
    message = _send(api, state, "new@example.com", **fields)
    assert message.expires_at - message.sent_at == minutes * 60


def test_login_or_create_user_by_magic_link_without_verification(api: Api) -> None:
    reply = api.post(LOGIN, {"email": "a@example.com", "requires_verification": False})
    assert reply.get_json()["status"] == "active"


def test_login_or_create_user_by_magic_link_missing_redirect_url(
    api: Api, state: MockState
) -> None:
    _without_default(state)
    assert_error(api.post(LOGIN, {"email": "a@example.com"}), 400, "missing_redirect_url")
    assert state.outbox.messages() == []
    assert state.store.user_by_email(state.config.app_id, "a@example.com") is None
    reply = api.post(LOGIN, {"email": "a@example.com", "registration_redirect_url": DEFAULT_URL})
    assert reply.status_code == 200


def test_login_or_create_user_by_magic_link_falls_back_to_the_other_url(
    api: Api, state: MockState
) -> None:
    _without_default(state)
    reply = api.post(LOGIN, {"email": "a@example.com", "login_redirect_url": "https://x.io/in"})
    assert reply.status_code == 200
    message = state.outbox.latest(to="a@example.com")
    assert message is not None
    assert message.link.startswith("https://x.io/in?token=")


def test_invite_user_by_magic_link_node_sdk_path(api: Api, state: MockState) -> None:
    reply = api.post("/v1/auth/magic_links/invite", {"email": "sdk@example.com"})
    assert reply.status_code == 200
    assert reply.get_json()["user_created"] is True
    message = state.outbox.latest(to="sdk@example.com")
    assert message is not None
    assert message.kind == "invite"


def test_verify_magic_token_seed_example(api: Api, state: MockState) -> None:
    message = _send(api, state, "user@example.com")
    reply = api.post(VERIFY, {"token": message.token, "session_expires_in": 10080})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["method_id"] == message.method_id
    assert body["method_type"] == "email"
    session = body["session"]
    assert session["expires_at"] - session["started_at"] == 10080 * 60
    assert session["factors"] == [
        {
            "delivery_channel": "email",
            "type": "magic_link",
            "method": {
                "id": message.method_id,
                "method_id": message.method_id,
                "method_type": "email",
                "last_verified_at": session["started_at"],
                "email_id": message.method_id,
                "email": "user@example.com",
            },
        }
    ]
    user = body["user"]
    assert (user["status"], user["emails"][0]["verified"]) == ("active", True)
    check = api.post("/v1/auth/sessions/verify", {"session_token": body["session_token"]})
    assert check.status_code == 200


def test_verify_magic_token_single_use(api: Api, state: MockState) -> None:
    message = _send(api, state, "user@example.com")
    assert api.post(VERIFY, {"token": message.token}).status_code == 200
    assert_error(api.post(VERIFY, {"token": message.token}), 400, "invalid_magic_token")


def test_verify_magic_token_unknown(api: Api) -> None:
    assert_error(api.post(VERIFY, {"token": "x" * 48}), 400, "invalid_magic_token")


def test_verify_magic_token_expired(api: Api, state: MockState, clock: ControllableClock) -> None:
    message = _send(api, state, "user@example.com", expires_in=5)
    clock.shift(timedelta(minutes=5))
    assert_error(api.post(VERIFY, {"token": message.token}), 400, "invalid_magic_token", "expired")


def test_verify_magic_token_other_app(api: Api, state: MockState) -> None:
    other = App(
        app_id="app_" + "0" * 27,
        secret_keys=("sk_test_" + "o" * 48,),
        public_token="pk_test_" + "o" * 48,
    )
    state.store.put_app(other)
    message = _send(api, state, "user@example.com")
    other_api = Api(api.client, other.secret_keys[0])
    assert_error(other_api.post(VERIFY, {"token": message.token}), 400, "invalid_magic_token")
    assert api.post(VERIFY, {"token": message.token}).status_code == 200


def test_verify_magic_token_default_session(api: Api, state: MockState) -> None:
    message = _send(api, state, "user@example.com")
    session = api.post(VERIFY, {"token": message.token}).get_json()["session"]
    assert session["expires_at"] - session["started_at"] == 10080 * 60


def test_verify_magic_token_no_session_mode(api: Api, state: MockState) -> None:
    state.store.put_app(replace(state.default_app(), default_session_minutes=None))
    message = _send(api, state, "user@example.com")
    body = api.post(VERIFY, {"token": message.token}).get_json()
    assert (body["session"], body["session_token"], body["session_jwt"]) == (None, "", "")


def test_verify_magic_token_extends_session(api: Api, state: MockState) -> None:
    first = login(api, state, "user@example.com")
    message = _send(api, state, "user@example.com")
    reply = api.post(VERIFY, {"token": message.token, "session_token": first["session_token"]})
    body = reply.get_json()
    assert body["session"]["id"] == first["session"]["id"]
    assert [f["type"] for f in body["session"]["factors"]] == ["otp", "magic_link"]
    assert body["session_token"] != first["session_token"]


def test_verify_magic_token_session_user_mismatch(api: Api, state: MockState) -> None:
    other = login(api, state, "other@example.com")
    message = _send(api, state, "user@example.com")
    mismatch = api.post(VERIFY, {"token": message.token, "session_token": other["session_token"]})
    assert_error(mismatch, 400, "session_user_mismatch")
    assert api.post(VERIFY, {"token": message.token}).status_code == 200


def test_verify_magic_token_invalid_session_credential(api: Api, state: MockState) -> None:
    message = _send(api, state, "user@example.com")
    bad = api.post(VERIFY, {"token": message.token, "session_token": "n" * 64})
    assert_error(bad, 401, "invalid_session")
    assert api.post(VERIFY, {"token": message.token}).status_code == 200


def test_invite_user_by_magic_link_new_user(api: Api, state: MockState) -> None:
    reply = api.post(
        INVITE,
        {
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "invite_redirect_url": "https://app.example/invite",
            "invite_expires_in": 1440,
        },
    )
    body = reply.get_json()
    assert reply.status_code == 200
    assert (body["user_created"], body["status"]) == (True, "pending")
    message = state.outbox.latest(to="ada@example.com")
    assert message is not None
    assert message.kind == "invite"
    assert message.link == f"https://app.example/invite?token={message.token}"
    assert message.expires_at - message.sent_at == 1440 * 60
    verified = api.post(VERIFY, {"token": message.token}).get_json()
    assert verified["user"]["first_name"] == "Ada"
    assert verified["user"]["status"] == "active"


def test_invite_user_by_magic_link_existing_user(api: Api, state: MockState) -> None:
    login(api, state, "user@example.com")
    body = api.post(INVITE, {"email": "user@example.com"}).get_json()
    assert (body["user_created"], body["status"]) == (False, "active")


def test_invite_user_by_magic_link_missing_redirect_url(api: Api, state: MockState) -> None:
    _without_default(state)
    assert_error(api.post(INVITE, {"email": "a@example.com"}), 400, "missing_redirect_url")


def test_create_embeddable_magic_link_by_user_id(api: Api, state: MockState) -> None:
    user = login(api, state, "user@example.com")["user"]
    sent = len(state.outbox.messages())
    body = api.post(CREATE, {"user_id": user["user_id"]}).get_json()
    assert (body["user_id"], body["email_id"]) == (user["user_id"], user["email_id"])
    assert len(body["token"]) == 48
    assert len(body["request_origin_token"]) == 128
    assert len(state.outbox.messages()) == sent
    assert api.post(VERIFY, {"token": body["token"]}).status_code == 200


def test_create_embeddable_magic_link_by_email_expires(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    login(api, state, "user@example.com")
    body = api.post(CREATE, {"email": "User@Example.com", "expires_in": 5}).get_json()
    clock.shift(timedelta(minutes=5))
    assert_error(api.post(VERIFY, {"token": body["token"]}), 400, "invalid_magic_token")


@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": "user_x", "expires_in": 4},
        {"user_id": "user_x", "expires_in": 10081},
        {"user_id": "user_x", "email": "a@example.com"},
        {},
    ],
)
def test_create_embeddable_magic_link_invalid(api: Api, payload: dict[str, Any]) -> None:
    assert_error(api.post(CREATE, payload), 400, "validation_error")


def test_create_embeddable_magic_link_unknown_user(api: Api) -> None:
    assert_error(api.post(CREATE, {"user_id": "user_nobody"}), 404, "user_not_found")
    assert_error(api.post(CREATE, {"email": "no@example.com"}), 404, "user_not_found")


def test_create_embeddable_magic_link_user_without_email(api: Api) -> None:
    created = api.post("/v1/auth/users/create", {"phone_number": "+14155550123"}).get_json()
    reply = api.post(CREATE, {"user_id": created["user_id"]})
    assert_error(reply, 400, "user_has_no_email", "no email address")


def _embed(api: Api, state: MockState, **fields: Any) -> dict[str, Any]:
    user = login(api, state, "user@example.com")["user"]
    body: dict[str, Any] = api.post(CREATE, {"user_id": user["user_id"], **fields}).get_json()
    return body


def test_get_magic_link_login_status_polling(api: Api, state: MockState) -> None:
    link = _embed(api, state)
    poll = {"email_id": link["email_id"], "request_origin_token": link["request_origin_token"]}
    pending = api.post(STATUS, poll).get_json()
    assert pending == {
        "user_id": link["user_id"],
        "status": "pending",
        "session_token": "",
        "session_jwt": "",
    }
    verified = api.post(VERIFY, {"token": link["token"], "session_expires_in": 60}).get_json()
    done = api.post(STATUS, poll).get_json()
    assert done["status"] == "verified"
    assert done["session_token"] == verified["session_token"]
    by_jwt = api.post("/v1/auth/sessions/verify", {"session_jwt": done["session_jwt"]})
    assert by_jwt.get_json()["session"]["id"] == verified["session"]["id"]
    assert_error(api.post(STATUS, poll), 400, "invalid_request_origin_token")


def test_get_magic_link_login_status_wrong_email_id(api: Api, state: MockState) -> None:
    link = _embed(api, state)
    origin = link["request_origin_token"]
    wrong = api.post(STATUS, {"email_id": "email_other", "request_origin_token": origin})
    assert_error(wrong, 400, "invalid_request_origin_token")
    api.post(VERIFY, {"token": link["token"]})
    wrong = api.post(STATUS, {"email_id": "email_other", "request_origin_token": origin})
    assert_error(wrong, 400, "invalid_request_origin_token")
    right = api.post(STATUS, {"email_id": link["email_id"], "request_origin_token": origin})
    assert right.get_json()["status"] == "verified"


def test_get_magic_link_login_status_unknown(api: Api) -> None:
    reply = api.post(STATUS, {"email_id": "email_x", "request_origin_token": "y" * 128})
    assert_error(reply, 400, "invalid_request_origin_token")


def test_get_magic_link_login_status_expired(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    link = _embed(api, state, expires_in=5)
    clock.shift(timedelta(minutes=5))
    poll = {"email_id": link["email_id"], "request_origin_token": link["request_origin_token"]}
    assert_error(api.post(STATUS, poll), 400, "invalid_request_origin_token", "expired")


def test_get_magic_link_login_status_no_session_mode(api: Api, state: MockState) -> None:
    link = _embed(api, state)
    state.store.put_app(replace(state.default_app(), default_session_minutes=None))
    api.post(VERIFY, {"token": link["token"]})
    poll = {"email_id": link["email_id"], "request_origin_token": link["request_origin_token"]}
    body = api.post(STATUS, poll).get_json()
    assert (body["status"], body["session_token"], body["session_jwt"]) == ("verified", "", "")
