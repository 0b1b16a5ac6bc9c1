"""Passwords (Enterprise): UpdatePasswordBySession, VerifyPassword, StrengthCheck (§8; D23)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from mock_server.clock import ControllableClock
from mock_server.control.snapshot import export_state
from mock_server.domain import oauth
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, login

SET = "/v1/auth/passwords/session/update"
VERIFY = "/v1/auth/passwords/verify"
STRENGTH = "/v1/auth/passwords/strength_check"
T0 = int(START.timestamp())
EMAIL = "ann@example.com"
GOOD = "correct-Horse-battery-9"


def _with_password(api: Api, state: MockState, password: str = GOOD) -> dict[str, Any]:
    first = login(api, state, EMAIL)
    reply = api.post(SET, {"password": password, "session_token": first["session_token"]})
    assert reply.status_code == 200, reply.get_json()
    return first


# --- UpdatePasswordBySession -------------------------------------------------------------


def test_update_password_by_session_sets_a_hashed_password(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    reply = api.post(SET, {"password": GOOD, "session_token": first["session_token"]})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["user_id"] == first["user_id"]
    assert body["session"]["id"] == first["session"]["id"]
    assert body["user"]["has_password"] is True
    stored = state.store.get_user(state.default_app().app_id, first["user_id"])
    assert stored is not None
    assert stored.password is not None
    assert stored.password.hash.startswith("$argon2id$")
    assert GOOD not in json.dumps(export_state(state))


def test_update_password_by_session_jwt(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    reply = api.post(SET, {"password": GOOD, "session_jwt": first["session_jwt"]})
    assert reply.status_code == 200, reply.get_json()


def test_update_password_by_session_replaces_the_old_one(api: Api, state: MockState) -> None:
    first = _with_password(api, state)
    new = "Another-long-passphrase-42"
    assert (
        api.post(SET, {"password": new, "session_token": first["session_token"]}).status_code == 200
    )
    user_id = first["user_id"]
    assert_error(api.post(VERIFY, {"user_id": user_id, "password": GOOD}), 400, "invalid_password")
    assert api.post(VERIFY, {"user_id": user_id, "password": new}).status_code == 200


@pytest.mark.parametrize("password", ["password", "abc123", "ann@example.com1"])
def test_update_password_by_session_weak_password(
    api: Api, state: MockState, password: str
) -> None:
    first = login(api, state, EMAIL)
    reply = api.post(SET, {"password": password, "session_token": first["session_token"]})
    assert_error(reply, 400, "weak_password", "at least 3")


def test_update_password_by_session_needs_otp_magic_link_or_password_factor(
    api: Api, state: MockState
) -> None:
    token = oauth.mint_token(state, state.default_app(), provider="google", email=EMAIL)
    logged = api.post("/v1/auth/oauth/verify", {"token": token.token}).get_json()
    reply = api.post(SET, {"password": GOOD, "session_token": logged["session_token"]})
    assert_error(reply, 403, "insufficient_factors", "OTP, magic-link or password")


def test_update_password_by_session_invalid_session(api: Api) -> None:
    reply = api.post(SET, {"password": GOOD, "session_token": "x" * 64})
    assert_error(reply, 401, "invalid_session")


@pytest.mark.parametrize(
    "body",
    [
        {"password": GOOD},
        {"password": GOOD, "session_token": "a", "session_jwt": "b"},
        {"session_token": "a"},
        {"password": "", "session_token": "a"},
        {"password": "x" * 257, "session_token": "a"},
    ],
)
def test_update_password_by_session_bad_input(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post(SET, body), 400, "validation_error")


# --- VerifyPassword ----------------------------------------------------------------------


def test_verify_password_steps_up_the_session(api: Api, state: MockState) -> None:
    first = _with_password(api, state)
    reply = api.post(VERIFY, {"password": GOOD, "session_token": first["session_token"]})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["session"]["id"] == first["session"]["id"]
    factors = body["session"]["factors"]
    assert [(f["delivery_channel"], f["type"]) for f in factors] == [
        ("email", "otp"),
        ("password", "password"),
    ]
    assert factors[1]["method"]["method_type"] == "password"
    assert factors[1]["method"]["last_verified_at"] == T0


def test_verify_password_by_user_id_creates_session(api: Api, state: MockState) -> None:
    first = _with_password(api, state)
    body = {"user_id": first["user_id"], "password": GOOD, "session_expires_in": 100}
    reply = api.post(VERIFY, body)
    result = reply.get_json()
    assert reply.status_code == 200, result
    assert result["session"]["id"] != first["session"]["id"]
    assert result["session"]["expires_at"] == T0 + 6000


def test_verify_password_wrong_counts_attempts_then_locks(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    user_id = _with_password(api, state)["user_id"]
    for left in (4, 3, 2, 1):
        reply = api.post(VERIFY, {"user_id": user_id, "password": "wrong-password"})
        assert_error(reply, 400, "invalid_password", f"{left} attempts left")
    reply = api.post(VERIFY, {"user_id": user_id, "password": "wrong-password"})
    assert_error(reply, 429, "too_many_attempts", "locked for 15 minutes")
    assert reply.headers["Retry-After"] == "900"
    reply = api.post(VERIFY, {"user_id": user_id, "password": GOOD})
    assert_error(reply, 429, "too_many_attempts", "try again in 900 seconds")
    clock.shift(timedelta(minutes=15))
    assert api.post(VERIFY, {"user_id": user_id, "password": GOOD}).status_code == 200


def test_verify_password_success_resets_attempts(api: Api, state: MockState) -> None:
    user_id = _with_password(api, state)["user_id"]
    for _ in range(3):
        api.post(VERIFY, {"user_id": user_id, "password": "wrong-password"})
    assert api.post(VERIFY, {"user_id": user_id, "password": GOOD}).status_code == 200
    reply = api.post(VERIFY, {"user_id": user_id, "password": "wrong-password"})
    assert_error(reply, 400, "invalid_password", "4 attempts left")


def test_verify_password_not_set(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    reply = api.post(VERIFY, {"user_id": first["user_id"], "password": GOOD})
    assert_error(reply, 400, "password_not_set", first["user_id"])


def test_verify_password_unknown_user(api: Api) -> None:
    reply = api.post(VERIFY, {"user_id": "user_nope", "password": GOOD})
    assert_error(reply, 404, "user_not_found", "user_nope")


def test_verify_password_session_of_another_user(api: Api, state: MockState) -> None:
    first = _with_password(api, state)
    other = login(api, state, "bob@example.com")
    body = {"user_id": first["user_id"], "password": GOOD, "session_token": other["session_token"]}
    assert_error(api.post(VERIFY, body), 400, "session_user_mismatch")


def test_verify_password_invalid_session(api: Api) -> None:
    reply = api.post(VERIFY, {"password": GOOD, "session_token": "x" * 64})
    assert_error(reply, 401, "invalid_session")


@pytest.mark.parametrize(
    "body",
    [
        {"password": GOOD},
        {"user_id": "user_x"},
        {"user_id": "user_x", "password": ""},
        {"user_id": "user_x", "password": GOOD, "session_expires_in": 4},
        {"user_id": "user_x", "password": GOOD, "extra": 1},
    ],
)
def test_verify_password_bad_input(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post(VERIFY, body), 400, "validation_error")


# --- PasswordStrengthCheck ---------------------------------------------------------------


def test_password_strength_check_strong(api: Api) -> None:
    reply = api.post(STRENGTH, {"password": "correct horse battery staple"})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["score"] == 4
    assert body["crack_time"] > 1e15
    assert body["crack_time_display"] == "centuries"


def test_password_strength_check_weak(api: Api) -> None:
    body = api.post(STRENGTH, {"password": "password"}).get_json()
    assert body["score"] == 0
    assert body["crack_time"] < 1
    assert body["crack_time_display"] == "less than a second"
    assert body["feedback"]["warning"]


def test_password_strength_check_long_password(api: Api) -> None:
    reply = api.post(STRENGTH, {"password": "x1-" * 85})
    assert reply.status_code == 200, reply.get_json()
    assert 0 <= reply.get_json()["score"] <= 4


def test_update_password_by_session_long_password(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    password = "Quiet-violet-harbour-7341" * 10
    reply = api.post(SET, {"password": password, "session_token": first["session_token"]})
    assert reply.status_code == 200, reply.get_json()
    body = {"user_id": first["user_id"], "password": password}
    assert api.post(VERIFY, body).status_code == 200
    body = {"user_id": first["user_id"], "password": password[:72]}
    assert_error(api.post(VERIFY, body), 400, "invalid_password")


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": 5}])
def test_password_strength_check_bad_input(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post(STRENGTH, body), 400, "validation_error", "password")
