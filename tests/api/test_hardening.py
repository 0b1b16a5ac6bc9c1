"""Nothing a client sends may break the fake: the hardening rules, through the test client."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server import MockConfig, create_app
from mock_server.clock import ControllableClock
from mock_server.control.inprocess import LATEST, Controls
from mock_server.journal import MAX_BODY_BYTES, Journal
from mock_server.outbox import Message, Outbox
from mock_server.state import MAX_CRASHES, MockState
from tests.helpers import Api, assert_error, login

LONE = '"\\ud800"'


def _raw(client: FlaskClient, path: str, text: str, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(path, data=text, content_type="application/json", headers=headers)


# --- 1. strings that cannot be encoded as UTF-8 ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/v1/auth/otps/email/login_or_create", '{"email": "a' + LONE[1:-1] + '@x.io"}', "email"),
        ("/v1/auth/users/create", '{"email": "a@x.io", "first_name": ' + LONE + "}", "first_name"),
        ("/v1/auth/sessions/verify", '{"session_token": ' + LONE + "}", "session_token"),
        (
            "/v1/auth/otps/verify",
            '{"email": "a@x.io", "code": "123456", "device_fingerprint": {"user_agent": '
            + LONE
            + "}}",
            "device_fingerprint.user_agent",
        ),
    ],
)
def test_api_lone_surrogate_is_400_naming_the_field(
    client: FlaskClient, state: MockState, path: str, text: str, field: str
) -> None:
    reply = _raw(client, path, text, state.config.secret_key)
    assert_error(reply, 400, "validation_error", f"'{field}' is not valid Unicode")
    assert state.store.users(state.config.app_id) == []


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/_mock/apps", '{"name": ' + LONE + "}", "name"),
        ("/_mock/faults", '{"operation_id": "GetJWKs", "message": ' + LONE + "}", "message"),
        ("/_mock/faults", '{"match": {"email": ' + LONE + "}}", "match.email"),
    ],
)
def test_control_lone_surrogate_is_400_naming_the_field(
    client: FlaskClient, mock: Controls, path: str, text: str, field: str
) -> None:
    assert_error(_raw(client, path, text), 400, "validation_error", f"'{field}' is not valid")
    assert len(mock.apps()) == 1
    assert mock.faults() == []


def test_nothing_stored_can_break_a_response(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    body = login(api, state, "ann@example.com")
    user_id = body["user_id"]
    user = state.store.get_user(state.config.app_id, user_id)
    assert user is not None
    state.store.put_user(dataclasses.replace(user, first_name="bad \ud800 name"))
    for reply in (
        api.get(f"/v1/auth/users/{user_id}"),
        api.post("/v1/auth/users/search", {}),
        client.get("/_mock/state"),
        client.get("/_mock/requests"),
    ):
        assert reply.status_code == 200
        assert "\\ud800" in reply.get_data(as_text=True)


# --- 2. crashes are bounded and hold no frames -------------------------------------------------


def test_crashes_are_bounded_and_keep_no_frames(state: MockState) -> None:
    def crash(size: int) -> None:
        payload = "x" * size  # a local the traceback's frame would keep alive
        raise RuntimeError(f"boom {len(payload)}")

    for _ in range(MAX_CRASHES + 20):
        try:
            crash(100_000)
        except RuntimeError as error:
            state.record_crash(error)
    crashes = state.take_crashes()
    assert len(crashes) == MAX_CRASHES
    assert all(c.__traceback__ is None for c in crashes)
    assert "in crash" in "".join(crashes[0].__notes__)


# --- 3 and 9. the journal and the outbox are bounded, per app and in bytes --------------------


def _record(journal: Journal, app_id: str, body: Any, response: Any = None) -> Any:
    return journal.record(
        at=0.0,
        app_id=app_id,
        method="POST",
        path="/v1/auth/users/create",
        operation_id="CreateUser",
        status=200,
        duration_ms=0.1,
        injected=False,
        error_type="",
        body=body,
        response=response,
    )


def test_journal_keeps_a_preview_of_a_large_body() -> None:
    journal = Journal(size=10)
    entry = _record(journal, "a", {"big": "x" * 1_000_000}, {"ok": True})
    assert entry.body["truncated"] is True
    assert entry.body["bytes"] > 1_000_000
    assert len(entry.body["preview"]) <= MAX_BODY_BYTES
    assert entry.response == {"ok": True}
    assert journal.bytes < 10_000


def test_journal_total_bytes_are_bounded_and_the_biggest_app_pays() -> None:
    journal = Journal(size=1_000, max_bytes=50_000)
    _record(journal, "quiet", {"n": 1})
    for _ in range(200):
        _record(journal, "noisy", {"big": "x" * 3_000})
    assert journal.bytes <= 50_000
    assert [e.app_id for e in journal.entries(app_id="quiet")] == ["quiet"]
    assert 0 < len(journal.entries(app_id="noisy")) < 200


def test_journal_each_app_keeps_its_own_entries() -> None:
    journal = Journal(size=3)
    _record(journal, "b", None)
    for _ in range(10):
        _record(journal, "a", None)
    assert len(journal.entries(app_id="a")) == 3
    assert len(journal.entries(app_id="b")) == 1
    assert [e.seq for e in journal.entries()] == sorted(e.seq for e in journal.entries())


def _message(app_id: str, n: int) -> Message:
    return Message(f"m{n}", app_id, "otp", "email", "a@x.io", "u", "m", 0, 60, code=str(n))


def test_outbox_one_apps_traffic_never_evicts_another_apps_codes() -> None:
    outbox = Outbox(size=2)
    outbox.add(_message("b", 0))
    for n in range(1, 6):
        outbox.add(_message("a", n))
    assert [m.code for m in outbox.messages("a")] == ["5", "4"]
    assert [m.code for m in outbox.messages("b")] == ["0"]
    assert [m.code for m in outbox.messages()] == ["5", "4", "0"]


def test_journal_records_the_answer_of_a_call(api: Api, mock: Controls) -> None:
    api.post("/v1/auth/sessions/verify", {"session_token": "nope"})
    entry = mock.requests(operation_id="VerifySession")[0]
    assert entry["response"]["error_type"] == "invalid_session"


# --- 6. the control API resists browsers ------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.5"])
def test_control_foreign_host_is_403(client: FlaskClient, host: str) -> None:
    reply = client.get("/_mock/state", headers={"Host": host})
    assert_error(reply, 403, "host_not_allowed", "is not allowed for the control API")


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1:1234", "[::1]:80"])
def test_control_loopback_hosts_are_allowed(client: FlaskClient, host: str) -> None:
    assert client.get("/_mock/health", headers={"Host": host}).status_code == 200


def test_control_allowed_host_option_admits_a_service_name(
    config: MockConfig, clock: ControllableClock
) -> None:
    app = create_app(config.with_(allowed_hosts="moonkey, other"), clock=clock)
    client = app.test_client()
    assert client.get("/_mock/health", headers={"Host": "moonkey:8080"}).status_code == 200
    assert client.get("/_mock/health", headers={"Host": "evil:8080"}).status_code == 403


def test_api_answers_any_host(client: FlaskClient) -> None:
    assert client.get("/v1/auth/jwks/default", headers={"Host": "moonkey:8080"}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_control_cross_site_request_is_403(client: FlaskClient, headers: dict[str, str]) -> None:
    reply = client.post("/_mock/clock/freeze", headers=headers)
    assert_error(reply, 403, "cross_site_request")


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
)
def test_control_form_post_is_refused(client: FlaskClient, content_type: str) -> None:
    reply = client.post("/_mock/reset", data="a=b", content_type=content_type)
    assert_error(reply, 403, "cross_site_request", "take JSON")


def test_control_same_origin_page_is_allowed(client: FlaskClient) -> None:
    reply = client.post("/_mock/clock/freeze", headers={"Origin": "http://localhost"})
    assert reply.status_code == 200


# --- 8. imported state is validated like created state ----------------------------------------


def test_import_state_checks_app_settings_like_create_app(client: FlaskClient) -> None:
    document = client.get("/_mock/state").get_json()
    document["apps"][0]["app"]["otp_length"] = 1_000_000
    reply = client.post("/_mock/state", json=document)
    assert_error(reply, 400, "validation_error", "apps[0].app: Invalid body field 'otp_length'")
    document["apps"][0]["app"]["otp_length"] = 6
    document["apps"][0]["app"]["jwt_ttl_seconds"] = -5
    reply = client.post("/_mock/state", json=document)
    assert_error(reply, 400, "validation_error", "'jwt_ttl_seconds'")


def test_import_state_refuses_two_apps_with_one_key(client: FlaskClient) -> None:
    document = client.get("/_mock/state").get_json()
    twin = {**document["apps"][0], "app": {**document["apps"][0]["app"], "app_id": "app_twin"}}
    document["apps"].append(twin)
    reply = client.post("/_mock/state", json=document)
    assert_error(reply, 409, "duplicate_app", "share a secret key")


# --- 11. the OAuth redirect never carries an untrusted Host -----------------------------------


def test_oauth_begin_ignores_a_foreign_host(client: FlaskClient, state: MockState) -> None:
    token = state.default_app().public_token
    reply = client.get(
        "/v1/auth/oauth/google/begin",
        query_string={"public_token": token, "login_redirect_url": "http://localhost:3000/cb"},
        headers={"Host": "evil.example"},
    )
    assert reply.status_code in {200, 302}
    assert "evil.example" not in reply.get_data(as_text=True)
    assert "evil.example" not in reply.headers.get("Location", "")


# --- 12. clock changes are atomic ---------------------------------------------------------------


def test_concurrent_advances_never_leave_the_clock_range(mock: Controls, app: Flask) -> None:
    mock.set_time((LATEST - dt.timedelta(days=10)).timestamp())
    outcomes: list[bool] = []
    start = threading.Barrier(8)

    def advance() -> None:
        start.wait()
        try:
            mock.advance(days=3)
            outcomes.append(True)
        except Exception:  # noqa: BLE001 - the refusal is the expected outcome
            outcomes.append(False)

    workers = [threading.Thread(target=advance) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert outcomes.count(True) == 3
    assert mock.state.clock.now() < LATEST


def test_dashboard_foreign_host_is_403(client: FlaskClient) -> None:
    reply = client.get("/_mock/ui/", headers={"Host": "evil.example"})
    assert_error(reply, 403, "host_not_allowed", "dashboard")
    assert client.get("/_mock/ui/", headers={"Host": "localhost"}).status_code in {200, 302}
