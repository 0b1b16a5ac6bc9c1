"""Control API: apps (tenants) and signing keys, over HTTP and in-process."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from mock_server.control.inprocess import Controls
from mock_server.errors import AppNotFound, ValidationError
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/sessions/verify"


def _create(client: FlaskClient, **settings: Any) -> dict[str, Any]:
    reply = client.post("/_mock/apps", json=settings)
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def test_create_app_gives_fresh_keys_and_default_settings(
    client: FlaskClient, state: MockState
) -> None:
    app = _create(client)
    default = state.default_app()
    assert app["app_id"].startswith("app_")
    assert app["secret_key"].startswith("sk_test_")
    assert app["public_token"].startswith("pk_test_")
    assert app["secret_key"] not in default.secret_keys
    assert (app["default_session_minutes"], app["jwt_ttl_seconds"]) == (10080, 300)
    assert (app["otp_length"], app["otp_expiry_minutes"]) == (6, 1)
    assert app["default_redirect_url"] == default.default_redirect_url
    assert app["app_id"] in [a["app_id"] for a in client.get("/_mock/apps").get_json()["apps"]]


def test_create_app_with_settings_changes_the_api(client: FlaskClient, mock: Controls) -> None:
    app = _create(client, name="Short", otp_length=8, default_session_minutes=None)
    api = Api(client, app["secret_key"])
    api.post("/v1/auth/otps/email/login_or_create", {"email": "ann@example.com"})
    code = mock.outbox("ann@example.com", app_id=app["app_id"])[0]["code"]
    assert len(code) == 8
    reply = api.post("/v1/auth/otps/verify", {"email": "ann@example.com", "code": code})
    assert reply.get_json()["session"] is None  # D2: null = the reference's behaviour


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"otp_length": 3}, "otp_length"),
        ({"otp_expiry_minutes": 11}, "otp_expiry_minutes"),
        ({"default_session_minutes": 4}, "default_session_minutes"),
        ({"secret_key": "pk_test_nope"}, "secret_key"),
        ({"colour": "red"}, "Unknown body field 'colour'"),
    ],
)
def test_create_app_bad_settings_is_400(
    client: FlaskClient, settings: dict[str, Any], message: str
) -> None:
    assert_error(client.post("/_mock/apps", json=settings), 400, "validation_error", message)


def test_create_app_with_a_taken_id_or_key_is_409(client: FlaskClient, state: MockState) -> None:
    reply = client.post("/_mock/apps", json={"app_id": state.config.app_id})
    assert_error(reply, 409, "duplicate_app", state.config.app_id)
    reply = client.post("/_mock/apps", json={"secret_key": state.config.secret_key})
    assert_error(reply, 409, "duplicate_app", "secret key")


def test_create_app_is_cheap(mock: Controls) -> None:
    started = time.perf_counter()
    for _ in range(50):
        mock.create_app()
    assert time.perf_counter() - started < 1  # no key generation per app


def test_two_apps_cannot_see_each_others_users_or_sessions(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    mine = login(api, state, "ann@example.com")
    other = Api(client, _create(client)["secret_key"])
    assert_error(other.get(f"/v1/auth/users/{mine['user_id']}"), 404, "user_not_found")
    assert_error(
        other.post(VERIFY, {"session_token": mine["session_token"]}), 401, "invalid_session"
    )
    assert_error(other.post(VERIFY, {"session_jwt": mine["session_jwt"]}), 401, "invalid_session")
    theirs = other.post("/v1/auth/users/create", {"email": "ann@example.com"})
    assert theirs.status_code == 200  # the same email is another user there
    assert theirs.get_json()["user_id"] != mine["user_id"]


def test_get_and_update_app(client: FlaskClient) -> None:
    app_id = _create(client)["app_id"]
    assert client.get(f"/_mock/apps/{app_id}").get_json()["app_id"] == app_id
    patched = client.patch(f"/_mock/apps/{app_id}", json={"jwt_ttl_seconds": 60, "name": "New"})
    assert (patched.get_json()["jwt_ttl_seconds"], patched.get_json()["name"]) == (60, "New")
    assert_error(client.patch(f"/_mock/apps/{app_id}", json={}), 400, "validation_error")
    reply = client.patch(f"/_mock/apps/{app_id}", json={"app_id": "app_x"})
    assert_error(reply, 400, "validation_error", "Unknown body field 'app_id'")
    assert_error(client.get("/_mock/apps/app_nope"), 404, "app_not_found", "app_nope")


def test_delete_app_revokes_its_keys(client: FlaskClient, mock: Controls) -> None:
    app = _create(client)
    other = Api(client, app["secret_key"])
    other.post("/v1/auth/otps/email/login_or_create", {"email": "ann@example.com"})
    assert client.delete(f"/_mock/apps/{app['app_id']}").get_json()["deleted"] == 1
    assert_error(other.get("/v1/auth/jwks/default"), 401, "unauthorized")
    assert mock.outbox(app_id="*") == []  # its messages went with it
    assert_error(client.delete(f"/_mock/apps/{app['app_id']}"), 404, "app_not_found")


def test_delete_default_app_is_refused(client: FlaskClient, state: MockState) -> None:
    reply = client.delete(f"/_mock/apps/{state.config.app_id}")
    assert_error(reply, 400, "validation_error", "default app cannot be deleted")


def test_apps_in_process(mock: Controls) -> None:
    app = mock.create_app(name="In process", otp_max_attempts=3)
    assert mock.get_app(app["app_id"])["otp_max_attempts"] == 3
    assert mock.update_app(app["app_id"], otp_max_attempts=4)["otp_max_attempts"] == 4
    assert len(mock.apps()) == 2
    mock.delete_app(app["app_id"])
    with pytest.raises(AppNotFound):
        mock.get_app(app["app_id"])
    with pytest.raises(ValidationError, match="otp_length"):
        mock.create_app(otp_length=11)


def test_rotate_keys_keeps_the_old_key_until_its_jwts_expire(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    old = login(api, state, "ann@example.com")
    old_kid = jwt.get_unverified_header(old["session_jwt"])["kid"]
    rotated = client.post("/_mock/keys/rotate").get_json()
    assert rotated["kid"] != old_kid
    assert [k["kid"] for k in rotated["keys"]] == [rotated["kid"], old_kid]
    assert api.post(VERIFY, {"session_jwt": old["session_jwt"]}).status_code == 200
    fresh = api.post(VERIFY, {"session_token": old["session_token"]}).get_json()
    assert jwt.get_unverified_header(fresh["session_jwt"])["kid"] == rotated["kid"]
    client.post("/_mock/clock/advance", json={"seconds": 300})
    published = [k["kid"] for k in api.get("/v1/auth/jwks/default").get_json()["keys"]]
    assert published == [rotated["kid"]]
