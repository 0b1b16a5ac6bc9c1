"""Control API: an app's users and live sessions (/_mock/users, /_mock/sessions), as listed,
deleted, revoked and extended by the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from mock_server import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.errors import SessionNotFound, UserNotFound, ValidationError
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/sessions/verify"


@pytest.fixture
def mock(state: MockState) -> Controls:
    """The in-process control API."""
    return Controls(state)


def test_list_app_users_newest_first_with_live_session_counts(
    api: Api, client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    login(api, state, "ann@example.com")
    clock.shift(dt.timedelta(seconds=1))
    api.post("/v1/auth/users/create", {"phone_number": "+15555550100"})
    reply = client.get("/_mock/users")
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["total"] == 2
    assert [u["phone_number"] for u in body["users"]] == ["+15555550100", ""]
    assert [u["session_count"] for u in body["users"]] == [0, 1]


def test_list_app_users_matches_a_word_case_insensitively(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    login(api, state, "ann@example.com")
    login(api, state, "bob@example.com")
    body = client.get("/_mock/users?q=ANN&limit=5").get_json()
    assert [u["email"] for u in body["users"]] == ["ann@example.com"]
    assert body["total"] == 1
    assert client.get("/_mock/users?q=example&limit=1").get_json()["total"] == 2


def test_list_app_users_matches_a_wallet_address(api: Api, client: FlaskClient) -> None:
    created = api.post("/v1/auth/users/create", {"email": "w@example.com", "wallet_type": "ETH"})
    user_id = created.get_json()["user_id"]
    found = client.get(f"/_mock/users/{user_id}").get_json()["user"]
    address = found["wallets"][0]["public_address"]
    body = client.get(f"/_mock/users?q={address[-8:].upper()}").get_json()
    assert [u["user_id"] for u in body["users"]] == [user_id]


def test_list_app_users_of_an_unknown_app(client: FlaskClient) -> None:
    reply = client.get("/_mock/users?app_id=app_nope")
    assert_error(reply, 404, "app_not_found", "app_nope")


def test_list_app_users_with_a_bad_limit(client: FlaskClient) -> None:
    assert_error(client.get("/_mock/users?limit=0"), 400, "validation_error", "limit")


def test_get_app_user_with_its_live_sessions(
    api: Api, client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    first = login(api, state, "ann@example.com", session_expires_in=5)
    login(api, state, "ann@example.com", session_expires_in=60)
    clock.shift(dt.timedelta(minutes=6))  # the first session is over
    reply = client.get(f"/_mock/users/{first['user_id']}")
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["user"]["emails"][0]["email"] == "ann@example.com"
    assert len(body["sessions"]) == 1
    assert body["sessions"][0]["id"] != first["session"]["id"]


def test_get_app_user_unknown(client: FlaskClient) -> None:
    assert_error(client.get("/_mock/users/user_nope"), 404, "user_not_found", "user_nope")


def test_delete_app_user_ends_its_sessions(api: Api, client: FlaskClient, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    reply = client.delete(f"/_mock/users/{logged['user_id']}")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {"message": f"Deleted user {logged['user_id']}", "deleted": 1}
    refused = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(refused, 401, "invalid_session")
    assert_error(client.delete(f"/_mock/users/{logged['user_id']}"), 404, "user_not_found")


def test_list_app_sessions_soonest_expiry_first_without_expired(
    api: Api, client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    long = login(api, state, "ann@example.com", session_expires_in=120)
    short = login(api, state, "bob@example.com", session_expires_in=30)
    gone = login(api, state, "cat@example.com", session_expires_in=5)
    clock.shift(dt.timedelta(minutes=5))
    reply = client.get("/_mock/sessions")
    assert reply.status_code == 200, reply.get_json()
    listed = reply.get_json()["sessions"]
    assert reply.get_json()["total"] == 2
    assert [s["id"] for s in listed] == [short["session"]["id"], long["session"]["id"]]
    assert [s["email"] for s in listed] == ["bob@example.com", "ann@example.com"]
    assert listed[0]["app_id"] == state.default_app().app_id
    assert gone["session"]["id"] not in [s["id"] for s in listed]


def test_list_app_sessions_limited_to_the_soonest(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    login(api, state, "ann@example.com", session_expires_in=120)
    short = login(api, state, "bob@example.com", session_expires_in=30)
    body = client.get("/_mock/sessions?limit=1").get_json()
    assert [s["id"] for s in body["sessions"]] == [short["session"]["id"]]
    assert body["total"] == 2
    assert_error(client.get("/_mock/sessions?limit=0"), 400, "validation_error", "limit")


def test_list_app_sessions_of_another_app(client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app(name="Other")
    mock.mint_session(email="ann@example.com", app_id=other["app_id"])
    assert client.get("/_mock/sessions").get_json() == {"sessions": [], "total": 0}
    listed = client.get(f"/_mock/sessions?app_id={other['app_id']}").get_json()["sessions"]
    assert [s["email"] for s in listed] == ["ann@example.com"]


def test_revoke_app_session_then_verify_is_refused(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    logged = login(api, state, "ann@example.com")
    session_id = logged["session"]["id"]
    reply = client.delete(f"/_mock/sessions/{session_id}")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {"message": f"Deleted session {session_id}", "deleted": 1}
    refused = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(refused, 401, "invalid_session")
    assert_error(client.delete(f"/_mock/sessions/{session_id}"), 404, "session_not_found")


def test_extend_app_session_moves_the_expiry_from_now(
    api: Api, client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=5)
    clock.shift(dt.timedelta(minutes=4))
    session_id = logged["session"]["id"]
    reply = client.post(f"/_mock/sessions/{session_id}/extend", json={"minutes": 60})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["expires_at"] == state.now_ts() + 3600
    clock.shift(dt.timedelta(minutes=30))
    assert api.post(VERIFY, {"session_token": logged["session_token"]}).status_code == 200


def test_extend_app_session_expired(
    api: Api, client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=5)
    clock.shift(dt.timedelta(minutes=5))
    reply = client.post(f"/_mock/sessions/{logged['session']['id']}/extend", json={"minutes": 60})
    assert_error(reply, 404, "session_not_found", "expired")


def test_extend_app_session_too_short(client: FlaskClient) -> None:
    reply = client.post("/_mock/sessions/sess_x/extend", json={"minutes": 1})
    assert_error(reply, 400, "validation_error", "minutes")


def test_browse_in_process_matches_http(api: Api, state: MockState, mock: Controls) -> None:
    logged = login(api, state, "ann@example.com")
    assert mock.users("ann")["users"][0]["user_id"] == logged["user_id"]
    assert mock.user(logged["user_id"])["sessions"][0]["id"] == logged["session"]["id"]
    assert mock.extend_session(logged["session"]["id"], 30)["expires_at"] == state.now_ts() + 1800
    assert mock.sessions()["sessions"][0]["email"] == "ann@example.com"
    assert mock.revoke_session(logged["session"]["id"])["deleted"] == 1
    with pytest.raises(SessionNotFound):
        mock.revoke_session(logged["session"]["id"])
    assert mock.delete_user(logged["user_id"])["deleted"] == 1
    with pytest.raises(UserNotFound):
        mock.user(logged["user_id"])
    with pytest.raises(ValidationError):
        mock.extend_session("sess_x", 2)
