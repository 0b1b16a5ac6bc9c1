"""Control API: reset, and state export/import (/_mock/reset, /_mock/state)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.control.inprocess import Controls
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/sessions/verify"
SEND = "/v1/auth/otps/email/login_or_create"


def _answers(api: Api, me: dict[str, Any], code: str) -> list[Any]:
    """What a client sees of the state: session, JWT, user, sessions list, a pending code."""
    by_token = api.post(VERIFY, {"session_token": me["session_token"]})
    by_jwt = api.post(VERIFY, {"session_jwt": me["session_jwt"]})
    user = api.get(f"/v1/auth/users/{me['user_id']}")
    listed = api.get("/v1/auth/sessions/list", user_id=me["user_id"])
    verified = api.post("/v1/auth/otps/verify", {"email": "bob@example.com", "code": code})
    return [
        by_token.status_code,
        by_token.get_json()["session"]["expires_at"],
        by_jwt.get_json()["user"],
        user.get_json(),
        [s["id"] for s in listed.get_json()["sessions"]],
        verified.get_json()["user"]["email"],
    ]


def test_export_reset_import_gives_the_same_answers(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    me = login(api, state, "ann@example.com", session_expires_in=60)
    api.post(SEND, {"email": "bob@example.com"})  # a pending passcode
    code = client.get("/_mock/outbox", query_string={"to": "bob@example.com"}).get_json()
    code = code["messages"][0]["code"]
    exported = client.get("/_mock/state").get_json()
    assert exported["version"] == 1
    first = _answers(api, me, code)
    client.post("/_mock/reset", json={"keep_clock": True})
    assert_error(api.post(VERIFY, {"session_token": me["session_token"]}), 401, "invalid_session")
    imported = client.post("/_mock/state", json=exported)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["counts"]["sessions"] == 1
    assert imported.get_json()["counts"]["otps"] == 1
    assert _answers(api, me, code) == first
    assert client.get("/_mock/outbox").get_json()["messages"][0]["code"] == code


def test_export_import_in_process_round_trip(api: Api, state: MockState, mock: Controls) -> None:
    me = login(api, state, "ann@example.com")
    api.post(SEND, {"email": "bob@example.com"})
    code = mock.outbox("bob@example.com")[0]["code"]
    snapshot = mock.export_state()
    first = _answers(api, me, code)
    mock.reset(keep_clock=True)
    mock.import_state(snapshot)
    api.post(SEND, {"email": "bob@example.com"})  # _answers consumed it: send anew
    again = _answers(api, me, mock.outbox("bob@example.com")[0]["code"])
    assert again[:5] == first[:5]


def test_import_replaces_only_the_apps_it_lists(
    api: Api, client: FlaskClient, state: MockState, mock: Controls
) -> None:
    other = mock.create_app()
    other_api = Api(client, other["secret_key"])
    other_api.post("/v1/auth/users/create", {"email": "kept@example.com"})
    login(api, state, "ann@example.com")
    default_only = mock.export_state(app_id=state.config.app_id)
    assert [g["app"]["app_id"] for g in default_only["apps"]] == [state.config.app_id]
    login(api, state, "later@example.com")
    mock.import_state(default_only)
    users = state.store.users(state.config.app_id)
    assert [u.primary_email.email for u in users if u.primary_email] == ["ann@example.com"]
    assert len(state.store.users(other["app_id"])) == 1  # untouched


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (lambda d: d.update(version=2), 400, "version"),
        (lambda d: d["apps"][0]["users"][0].update(status=5), 400, "users[0].status"),
        (lambda d: d["apps"][0]["users"][0].pop("user_id"), 400, "users[0].user_id"),
        (lambda d: d["apps"][0]["users"][0].update(nick="x"), 400, "users[0].nick"),
        (lambda d: d["apps"][0]["sessions"][0].update(app_id="app_other"), 400, "another app"),
        (lambda d: d["apps"].append(d["apps"][0]), 400, "lists an app twice"),
    ],
)
def test_import_state_bad_document_is_rejected(
    api: Api, client: FlaskClient, state: MockState, change: Any, status: int, message: str
) -> None:
    login(api, state, "ann@example.com")
    document = client.get("/_mock/state").get_json()
    change(document)
    reply = client.post("/_mock/state", json=document)
    assert_error(reply, status, "validation_error", message)


def test_import_state_key_of_another_app_is_409(
    client: FlaskClient, state: MockState, mock: Controls
) -> None:
    other = mock.create_app()
    document = mock.export_state(app_id=other["app_id"])
    document["apps"][0]["app"]["app_id"] = "app_copy"
    reply = client.post("/_mock/state", json=document)
    assert_error(reply, 409, "duplicate_app", other["app_id"])


def test_reset_forgets_everything_quickly(
    api: Api, client: FlaskClient, state: MockState, mock: Controls
) -> None:
    for index in range(50):
        login(api, state, f"user{index}@example.com")
    mock.create_app()
    mock.add_fault("GetJWKs", times=1)
    started = time.perf_counter()
    reply = client.post("/_mock/reset")
    assert time.perf_counter() - started < 0.05
    assert reply.get_json()["app_id"] is None
    assert reply.get_json()["clock"]["frozen"] is False  # back to real time
    assert state.store.users(state.config.app_id) == []
    assert (mock.outbox(), mock.requests(), mock.faults()) == ([], [], [])
    assert [a["app_id"] for a in mock.apps()] == [state.config.app_id]


def test_reset_restores_the_default_apps_settings(client: FlaskClient, state: MockState) -> None:
    client.patch(f"/_mock/apps/{state.config.app_id}", json={"otp_length": 9})
    client.post("/_mock/reset", json={"keep_clock": True})
    assert state.default_app().otp_length == 6
    assert client.get("/_mock/clock").get_json()["now"] == START.timestamp()


def test_reset_one_app_leaves_the_others(
    api: Api, client: FlaskClient, state: MockState, mock: Controls
) -> None:
    other = mock.create_app()
    other_api = Api(client, other["secret_key"])
    theirs = login(other_api, state, "ann@example.com")
    mine = login(api, state, "ann@example.com")
    client.post("/_mock/clock/advance", json={"seconds": 5})
    reply = client.post("/_mock/reset", query_string={"app_id": other["app_id"]})
    assert reply.get_json()["app_id"] == other["app_id"]
    assert reply.get_json()["clock"]["now"] == START.timestamp() + 5  # the clock is shared
    assert other_api.post(VERIFY, {"session_token": theirs["session_token"]}).status_code == 401
    assert api.post(VERIFY, {"session_token": mine["session_token"]}).status_code == 200
    assert mock.outbox(app_id=other["app_id"]) == []
    assert len(mock.outbox(app_id=state.config.app_id)) == 1


def test_reset_bad_input(client: FlaskClient) -> None:
    assert_error(client.post("/_mock/reset", json={"app_id": "app_nope"}), 404, "app_not_found")
    reply = client.post("/_mock/reset", json={"app_id": "app_a"}, query_string={"app_id": "app_b"})
    assert_error(reply, 400, "validation_error", "app_id differs")
    assert_error(client.post("/_mock/reset", json={"all": True}), 400, "validation_error")
