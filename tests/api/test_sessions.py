"""Sessions: VerifySession, ListSessions and DeleteSession (D1, D5, D10, D13, D14).

JWT and JWKS behaviour lives in ``test_sessions_jwt.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mock_server.clock import ControllableClock
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/sessions/verify"
LIST = "/v1/auth/sessions/list"
DELETE = "/v1/auth/sessions/delete"
T0 = int(START.timestamp())
INVALID = "Session not found or has expired"


def _login(api: Api, state: MockState, email: str = "ann@example.com", **extra: Any) -> Any:
    return login(api, state, email, **extra)


def _listed(api: Api, user_id: str) -> list[str]:
    reply = api.get(LIST, user_id=user_id)
    assert reply.status_code == 200, reply.get_json()
    return [s["id"] for s in reply.get_json()["sessions"]]


# --- VerifySession ---------------------------------------------------------------------


def test_verify_session_by_token_returns_session_token_jwt_and_user(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = _login(api, state, session_expires_in=60)
    clock.shift(timedelta(minutes=10))
    reply = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert reply.status_code == 200
    body = reply.get_json()
    session = body["session"]
    assert body["session_token"] == logged["session_token"]
    assert session["id"] == logged["session"]["id"]
    assert session["session_token"] == logged["session_token"]
    assert (session["started_at"], session["created_at"]) == (T0, T0)
    assert session["expires_at"] == T0 + 3600  # no session_expires_in: expiry unchanged
    assert session["last_active_at"] == session["updated_at"] == T0 + 600
    assert body["session_jwt"].count(".") == 2
    user = body["user"]
    assert user["id"] == user["user_id"] == logged["user_id"] == session["user_id"]
    assert user["email"] == "ann@example.com"
    assert user["status"] == "active"


def test_verify_session_by_jwt_returns_the_sessions_token(api: Api, state: MockState) -> None:
    logged = _login(api, state)
    reply = api.post(VERIFY, {"session_jwt": logged["session_jwt"]})
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["session"]["id"] == logged["session"]["id"]
    assert body["session_token"] == logged["session_token"]
    assert body["user"]["user_id"] == logged["user_id"]


@pytest.mark.parametrize("minutes", [5, 1440, 527040])
def test_verify_session_with_expires_in_expires_n_minutes_from_now(
    api: Api, state: MockState, clock: ControllableClock, minutes: int
) -> None:
    logged = _login(api, state, session_expires_in=60)
    clock.shift(timedelta(minutes=7, seconds=3))
    now = T0 + 7 * 60 + 3
    reply = api.post(
        VERIFY, {"session_token": logged["session_token"], "session_expires_in": minutes}
    )
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["session"]["expires_at"] == now + minutes * 60
    assert body["session"]["last_active_at"] == body["session"]["updated_at"] == now
    assert body["session_token"] == logged["session_token"]
    assert body["user"]["user_id"] == logged["user_id"]
    # the extension is stored, not just echoed
    again = api.post(VERIFY, {"session_token": logged["session_token"]}).get_json()
    assert again["session"]["expires_at"] == now + minutes * 60


def test_verify_session_by_jwt_with_expires_in_extends(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = _login(api, state, session_expires_in=60)
    clock.shift(timedelta(minutes=1))
    reply = api.post(VERIFY, {"session_jwt": logged["session_jwt"], "session_expires_in": 30})
    assert reply.status_code == 200
    assert reply.get_json()["session"]["expires_at"] == T0 + 60 + 30 * 60


def test_verify_session_integral_float_expires_in_is_whole_minutes(
    api: Api, state: MockState
) -> None:
    logged = _login(api, state)
    reply = api.post(
        VERIFY, {"session_token": logged["session_token"], "session_expires_in": 10080.0}
    )
    assert reply.status_code == 200
    assert reply.get_json()["session"]["expires_at"] == T0 + 10080 * 60


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (4, "less than the minimum of 5"),
        (527041, "greater than the maximum of 527040"),
        (10.5, "expected an integer, got 10.5"),
        ("10", 'expected an integer, got "10"'),
        (True, "expected an integer, got true"),
        (None, "expected an integer, got null"),
        (-5, "less than the minimum of 5"),
    ],
)
def test_verify_session_expires_in_out_of_range_or_wrong_type_is_400(
    api: Api, state: MockState, value: Any, message: str
) -> None:
    logged = _login(api, state, session_expires_in=60)
    reply = api.post(
        VERIFY, {"session_token": logged["session_token"], "session_expires_in": value}
    )
    assert_error(reply, 400, "validation_error", "session_expires_in")
    assert_error(reply, 400, "validation_error", message)
    after = api.post(VERIFY, {"session_token": logged["session_token"]}).get_json()
    assert after["session"]["expires_at"] == T0 + 3600  # untouched


def test_verify_session_token_and_jwt_together_is_400(api: Api, state: MockState) -> None:
    logged = _login(api, state)
    reply = api.post(
        VERIFY, {"session_token": logged["session_token"], "session_jwt": logged["session_jwt"]}
    )
    assert_error(reply, 400, "validation_error", "exactly one of 'session_token', 'session_jwt'")


def test_verify_session_without_credential_is_400(api: Api) -> None:
    reply = api.post(VERIFY, {"session_expires_in": 60})
    assert_error(reply, 400, "validation_error", "exactly one of 'session_token', 'session_jwt'")


@pytest.mark.parametrize("field", ["session_token", "session_jwt"])
def test_verify_session_empty_credential_is_400(api: Api, field: str) -> None:
    assert_error(api.post(VERIFY, {field: ""}), 400, "validation_error", field)


def test_verify_session_unknown_token_is_401(api: Api) -> None:
    assert_error(api.post(VERIFY, {"session_token": "x" * 64}), 401, "invalid_session", INVALID)


def test_verify_session_one_second_before_expiry_is_valid_and_at_expiry_401(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = _login(api, state, session_expires_in=5)
    expires_at = logged["session"]["expires_at"]
    assert expires_at == T0 + 300
    clock.move_to(START + timedelta(seconds=299))
    assert api.post(VERIFY, {"session_token": logged["session_token"]}).status_code == 200
    clock.move_to(START + timedelta(seconds=300))
    reply = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(reply, 401, "invalid_session", INVALID)


def test_verify_session_extended_session_expires_at_its_new_time(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = _login(api, state, session_expires_in=5)
    clock.shift(timedelta(minutes=4))
    token = logged["session_token"]
    assert api.post(VERIFY, {"session_token": token, "session_expires_in": 5}).status_code == 200
    clock.move_to(START + timedelta(minutes=9) - timedelta(seconds=1))
    assert api.post(VERIFY, {"session_token": token}).status_code == 200
    clock.shift(timedelta(seconds=1))
    assert_error(api.post(VERIFY, {"session_token": token}), 401, "invalid_session", INVALID)


def test_verify_session_expired_session_is_gone_everywhere(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = _login(api, state, session_expires_in=5)
    clock.shift(timedelta(minutes=5))
    assert _listed(api, logged["user_id"]) == []
    for body in (
        {"session_token": logged["session_token"]},
        {"session_id": logged["session"]["id"]},
    ):
        assert_error(api.delete(DELETE, body), 404, "session_not_found", "not found")
    assert_error(
        api.post(VERIFY, {"session_token": logged["session_token"]}),
        401,
        "invalid_session",
        INVALID,
    )
    # going back in time does not resurrect it: expiry dropped it from the store
    clock.move_to(START)
    assert_error(
        api.post(VERIFY, {"session_token": logged["session_token"]}),
        401,
        "invalid_session",
        INVALID,
    )
    assert state.store.session_count() == 0


def test_verify_session_of_deleted_session_is_401(api: Api, state: MockState) -> None:
    logged = _login(api, state)
    assert api.delete(DELETE, {"session_token": logged["session_token"]}).status_code == 200
    reply = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(reply, 401, "invalid_session", INVALID)


# --- ListSessions ----------------------------------------------------------------------


def test_list_sessions_only_live_sessions_of_the_user_newest_first(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    first = _login(api, state, session_expires_in=5)
    clock.shift(timedelta(minutes=1))
    second = _login(api, state, session_expires_in=60)
    clock.shift(timedelta(minutes=1))
    third = _login(api, state, session_expires_in=60)
    other = _login(api, state, "bob@example.com")
    user_id = first["user_id"]
    assert second["user_id"] == third["user_id"] == user_id
    ids = [third["session"]["id"], second["session"]["id"], first["session"]["id"]]
    assert _listed(api, user_id) == ids
    clock.move_to(START + timedelta(minutes=5))  # the first session has just expired
    reply = api.get(LIST, user_id=user_id)
    assert reply.status_code == 200
    sessions = reply.get_json()["sessions"]
    assert [s["id"] for s in sessions] == ids[:2]
    assert all(s["user_id"] == user_id for s in sessions)
    assert sessions[0]["session_token"] == third["session_token"]
    assert _listed(api, other["user_id"]) == [other["session"]["id"]]


def test_list_sessions_same_second_newest_first(api: Api, state: MockState) -> None:
    first = _login(api, state)
    second = _login(api, state)
    assert _listed(api, first["user_id"]) == [second["session"]["id"], first["session"]["id"]]


def test_list_sessions_user_without_sessions_is_empty(api: Api) -> None:
    created = api.post("/v1/auth/users/create", {"email": "new@example.com"}).get_json()
    assert _listed(api, created["user_id"]) == []


def test_list_sessions_after_delete_omits_the_session(api: Api, state: MockState) -> None:
    kept = _login(api, state)
    gone = _login(api, state)
    assert api.delete(DELETE, {"session_id": gone["session"]["id"]}).status_code == 200
    assert _listed(api, kept["user_id"]) == [kept["session"]["id"]]


def test_list_sessions_unknown_user_is_404(api: Api) -> None:
    reply = api.get(LIST, user_id="user_unknown")
    assert_error(reply, 404, "user_not_found", "user_unknown")


def test_list_sessions_missing_user_id_is_400(api: Api) -> None:
    assert_error(
        api.get(LIST), 400, "validation_error", "Missing required query parameter 'user_id'"
    )


def test_list_sessions_empty_user_id_is_400(api: Api) -> None:
    assert_error(api.get(LIST, user_id=""), 400, "validation_error", "user_id")


# --- DeleteSession ---------------------------------------------------------------------


@pytest.mark.parametrize("by", ["session_token", "session_id", "session_jwt"])
def test_delete_session_by_each_identifier_revokes_it(api: Api, state: MockState, by: str) -> None:
    logged = _login(api, state)
    value = logged["session"]["id"] if by == "session_id" else logged[by]
    reply = api.delete(DELETE, {by: value})
    assert reply.status_code == 200
    assert reply.get_json() == {"message": "Successfully deleted session"}
    verify = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(verify, 401, "invalid_session", INVALID)
    assert _listed(api, logged["user_id"]) == []


def test_delete_session_only_that_session(api: Api, state: MockState) -> None:
    kept = _login(api, state)
    gone = _login(api, state)
    assert api.delete(DELETE, {"session_token": gone["session_token"]}).status_code == 200
    assert api.post(VERIFY, {"session_token": kept["session_token"]}).status_code == 200


def test_delete_session_twice_is_404(api: Api, state: MockState) -> None:
    logged = _login(api, state)
    assert api.delete(DELETE, {"session_token": logged["session_token"]}).status_code == 200
    again = api.delete(DELETE, {"session_token": logged["session_token"]})
    assert_error(again, 404, "session_not_found", "already deleted")
    by_id = api.delete(DELETE, {"session_id": logged["session"]["id"]})
    assert_error(by_id, 404, "session_not_found", "not found")


@pytest.mark.parametrize(
    "body",
    [{"session_token": "x" * 64}, {"session_id": "sess_unknown"}, {"session_jwt": "a.b.c"}],
)
def test_delete_session_unknown_is_404(api: Api, body: dict[str, str]) -> None:
    assert_error(api.delete(DELETE, body), 404, "session_not_found", "Session not found")


def test_delete_session_without_identifier_is_400(api: Api) -> None:
    reply = api.delete(DELETE, {})
    assert_error(reply, 400, "validation_error", "exactly one of 'session_token', 'session_jwt'")


def test_delete_session_several_identifiers_is_400_and_deletes_nothing(
    api: Api, state: MockState
) -> None:
    logged = _login(api, state)
    body = {"session_token": logged["session_token"], "session_id": logged["session"]["id"]}
    assert_error(api.delete(DELETE, body), 400, "validation_error", "exactly one of")
    assert api.post(VERIFY, {"session_token": logged["session_token"]}).status_code == 200


def test_delete_session_without_body_is_400(api: Api) -> None:
    reply = api.client.delete(DELETE, headers={"Authorization": f"Bearer {api.key}"})
    assert_error(reply, 400, "validation_error", "Missing request body")
