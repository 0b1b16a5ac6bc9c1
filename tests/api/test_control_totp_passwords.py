"""Control API for TOTP and passwords (/_mock/totps/code, /_mock/passwords) and their snapshot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.control.snapshot import load
from mock_server.errors import TotpNotFound, UserNotFound, ValidationError
from mock_server.models import Password, Totp, User
from mock_server.state import MockState
from mock_server.store.codec import dump
from tests.api.test_totps import rfc6238
from tests.conftest import START
from tests.helpers import Api, assert_error, login

T0 = int(START.timestamp())
EMAIL = "ann@example.com"
VERIFY = "/v1/auth/totps/verify"
PASSWORD_VERIFY = "/v1/auth/passwords/verify"


@pytest.fixture
def mock(state: MockState) -> Controls:
    return Controls(state)


def _totp(api: Api, user_id: str) -> dict[str, Any]:
    reply = api.post("/v1/auth/totps/create", {"user_id": user_id})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _user(api: Api) -> str:
    user_id: str = api.post("/v1/auth/users/create", {"email": EMAIL}).get_json()["user_id"]
    return user_id


# --- GetTotpCode -------------------------------------------------------------------------


def test_get_totp_code_is_the_rfc6238_code_on_the_fake_clock(
    api: Api, mock: Controls, clock: ControllableClock
) -> None:
    user_id = _user(api)
    made = _totp(api, user_id)
    got = mock.totp_code(user_id=user_id)
    assert got["code"] == rfc6238(made["secret"], T0)
    assert (got["totp_id"], got["verified"], got["secret"]) == (
        made["totp_id"],
        False,
        made["secret"],
    )
    assert got["step"] == T0 // 30
    assert api.post(VERIFY, {"user_id": user_id, "totp": got["code"]}).status_code == 200
    clock.shift(timedelta(days=3, seconds=7))
    later = mock.totp_code(email=EMAIL)
    assert later["code"] == rfc6238(made["secret"], T0 + 3 * 86400 + 7)
    assert api.post(VERIFY, {"user_id": user_id, "totp": later["code"]}).status_code == 200


def test_get_totp_code_gives_the_next_step_once_the_current_is_used(
    api: Api, mock: Controls
) -> None:
    user_id = _user(api)
    made = _totp(api, user_id)
    first = mock.totp_code(user_id=user_id)["code"]
    assert api.post(VERIFY, {"user_id": user_id, "totp": first}).status_code == 200
    second = mock.totp_code(user_id=user_id)
    assert second["code"] == rfc6238(made["secret"], T0 + 30)
    assert second["valid_for_seconds"] == (T0 // 30 + 3) * 30 - T0
    assert api.post(VERIFY, {"user_id": user_id, "totp": second["code"]}).status_code == 200


def test_get_totp_code_over_http(api: Api, client: FlaskClient) -> None:
    user_id = _user(api)
    made = _totp(api, user_id)
    reply = client.post("/_mock/totps/code", json={"user_id": user_id})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["code"] == rfc6238(made["secret"], T0)


def test_get_totp_code_errors(api: Api, client: FlaskClient, mock: Controls) -> None:
    user_id = _user(api)
    with pytest.raises(TotpNotFound):
        mock.totp_code(user_id=user_id)
    with pytest.raises(UserNotFound):
        mock.totp_code(email="nobody@example.com")
    with pytest.raises(ValidationError):
        mock.totp_code()
    assert_error(client.post("/_mock/totps/code", json={}), 400, "validation_error")
    reply = client.post("/_mock/totps/code", json={"user_id": user_id})
    assert_error(reply, 404, "totp_not_found", user_id)


# --- SetPassword -------------------------------------------------------------------------


def test_set_password_without_session_or_strength_rule(api: Api, mock: Controls) -> None:
    user_id = _user(api)
    result = mock.set_password("password", user_id=user_id)
    assert result["user"]["has_password"] is True
    reply = api.post(PASSWORD_VERIFY, {"user_id": user_id, "password": "password"})
    assert reply.status_code == 200, reply.get_json()


def test_set_password_clears_a_lock(api: Api, mock: Controls) -> None:
    user_id = _user(api)
    mock.set_password("first-password", email=EMAIL)
    for _ in range(5):
        api.post(PASSWORD_VERIFY, {"user_id": user_id, "password": "wrong"})
    locked = api.post(PASSWORD_VERIFY, {"user_id": user_id, "password": "first-password"})
    assert_error(locked, 429, "too_many_attempts")
    mock.set_password("second-password", user_id=user_id)
    reply = api.post(PASSWORD_VERIFY, {"user_id": user_id, "password": "second-password"})
    assert reply.status_code == 200, reply.get_json()


def test_set_password_over_http(api: Api, client: FlaskClient) -> None:
    user_id = _user(api)
    reply = client.post("/_mock/passwords", json={"email": EMAIL, "password": "pw"})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["user_id"] == user_id
    bad = client.post("/_mock/passwords", json={"email": EMAIL})
    assert_error(bad, 400, "validation_error", "password")
    unknown = client.post("/_mock/passwords", json={"user_id": "user_x", "password": "pw"})
    assert_error(unknown, 404, "user_not_found")


# --- snapshot ----------------------------------------------------------------------------


def test_user_with_totp_and_password_dumps_and_loads() -> None:
    user = User(
        user_id="user_1",
        app_id="app_1",
        status="active",
        created_at=1,
        updated_at=2,
        totps=(Totp("totp_1", "JBSWY3DPEHPK3PXP", True, 1, 2, 61, ("aaaaa-bbbbb",), (), 5),),
        password=Password("password_1", "$argon2id$v=19$m=1024,t=1,p=1$x$y", 1, 2, 3, 0),
    )
    assert load(User, json.loads(json.dumps(dump(user))), "u") == user


def test_export_reset_import_keeps_totp_and_password(
    api: Api, state: MockState, mock: Controls
) -> None:
    me = login(api, state, EMAIL)
    user_id = me["user_id"]
    made = _totp(api, user_id)
    code = mock.totp_code(user_id=user_id)["code"]
    assert api.post(VERIFY, {"user_id": user_id, "totp": code}).status_code == 200
    set_reply = api.post(
        "/v1/auth/passwords/session/update",
        {"password": "correct-Horse-battery-9", "session_token": me["session_token"]},
    )
    assert set_reply.status_code == 200
    exported = mock.export_state()
    assert "correct-Horse-battery-9" not in json.dumps(exported)
    mock.reset(keep_clock=True)
    mock.import_state(exported)
    # The used step stays used; the next one works; recovery codes and the password too.
    assert_error(api.post(VERIFY, {"user_id": user_id, "totp": code}), 400, "invalid_totp")
    again = mock.totp_code(user_id=user_id)["code"]
    assert api.post(VERIFY, {"user_id": user_id, "totp": again}).status_code == 200
    body = {"user_id": user_id, "recovery_code": made["recovery_codes"][0]}
    assert api.post("/v1/auth/totps/recovery", body).status_code == 200
    body = {"user_id": user_id, "password": "correct-Horse-battery-9"}
    assert api.post(PASSWORD_VERIFY, body).status_code == 200
    # The TOTP id still finds its owner for the delete.
    reply = api.delete(f"/v1/auth/users/totps/{made['totp_id']}/delete")
    assert reply.status_code == 200, reply.get_json()
