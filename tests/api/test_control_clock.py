"""Control API: the clock (GET/POST /_mock/clock...) over HTTP and through ``Controls``."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.errors import ValidationError
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, login

T0 = START.timestamp()
VERIFY = "/v1/auth/sessions/verify"


def test_get_clock_shows_the_fakes_now(client: FlaskClient) -> None:
    body = client.get("/_mock/clock").get_json()
    assert body == {"now": T0, "now_iso": "2026-03-01T12:00:00.000Z", "frozen": True}


def test_advance_clock_adds_every_unit(client: FlaskClient) -> None:
    reply = client.post(
        "/_mock/clock/advance", json={"seconds": 1, "minutes": 2, "hours": 3, "days": 4}
    )
    assert reply.status_code == 200
    assert reply.get_json()["now"] == T0 + 1 + 120 + 3 * 3600 + 4 * 86400


def test_advance_clock_empty_body_changes_nothing(client: FlaskClient) -> None:
    assert client.post("/_mock/clock/advance").get_json()["now"] == T0


def test_advance_clock_negative_moves_back(client: FlaskClient) -> None:
    assert client.post("/_mock/clock/advance", json={"hours": -1}).get_json()["now"] == T0 - 3600


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"minute": 1}, "Unknown body field 'minute'"),
        ({"minutes": "5"}, "minutes"),
        ({"days": 99999999}, "days"),
        ({"days": -36600}, "clock must stay between"),
    ],
)
def test_advance_clock_bad_input_is_400(client: FlaskClient, body: object, message: str) -> None:
    assert_error(client.post("/_mock/clock/advance", json=body), 400, "validation_error", message)


def test_set_clock_accepts_unix_seconds_and_iso(client: FlaskClient) -> None:
    by_unix = client.post("/_mock/clock/set", json={"at": 1800000000}).get_json()
    assert by_unix["now"] == 1800000000
    assert by_unix["frozen"] is True  # the mode is kept
    by_iso = client.post("/_mock/clock/set", json={"at": "2027-01-02T03:04:05Z"}).get_json()
    assert by_iso["now_iso"] == "2027-01-02T03:04:05.000Z"
    naive = client.post("/_mock/clock/set", json={"at": "2027-01-02T03:04:05"}).get_json()
    assert naive["now_iso"] == "2027-01-02T03:04:05.000Z"  # no zone = UTC


def test_set_clock_freeze_false_lets_it_run(client: FlaskClient) -> None:
    body = client.post("/_mock/clock/set", json={"at": 1800000000, "freeze": False}).get_json()
    assert body["frozen"] is False
    assert abs(body["now"] - 1800000000) < 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required body field 'at'"),
        ({"at": "yesterday"}, "'yesterday' is not an ISO-8601 instant"),
        ({"at": -5}, "at"),
        ({"at": "9999-01-01T00:00:00Z"}, "clock must stay between"),
        ({"at": 1800000000, "freeze": "yes"}, "freeze"),
    ],
)
def test_set_clock_bad_input_is_400(client: FlaskClient, body: object, message: str) -> None:
    assert_error(client.post("/_mock/clock/set", json=body), 400, "validation_error", message)


def test_freeze_unfreeze_and_reset_clock(client: FlaskClient, clock: ControllableClock) -> None:
    running = client.post("/_mock/clock/unfreeze").get_json()
    assert running["frozen"] is False
    assert abs(running["now"] - T0) < 5
    frozen = client.post("/_mock/clock/freeze").get_json()
    assert frozen["frozen"] is True
    assert client.get("/_mock/clock").get_json()["now"] == frozen["now"]
    real = client.post("/_mock/clock/reset").get_json()
    assert real["frozen"] is False
    assert abs(real["now"] - clock.now().timestamp()) < 5
    assert real["now"] > T0 + 86400  # the test's START lies in the past


def test_every_api_answer_carries_the_fakes_now(api: Api, client: FlaskClient) -> None:
    client.post("/_mock/clock/advance", json={"minutes": 10})
    reply = api.get("/v1/auth/jwks/default")
    assert reply.headers["X-Moonkey-Mock-Now"] == f"{T0 + 600:.3f}"


def test_advance_clock_expires_a_session(api: Api, state: MockState, client: FlaskClient) -> None:
    token = login(api, state, "ann@example.com", session_expires_in=30)["session_token"]
    client.post("/_mock/clock/advance", json={"minutes": 29, "seconds": 59})
    assert api.post(VERIFY, {"session_token": token}).status_code == 200
    client.post("/_mock/clock/advance", json={"seconds": 1})
    assert_error(api.post(VERIFY, {"session_token": token}), 401, "invalid_session")


def test_advance_clock_in_process_expires_a_session(
    api: Api, state: MockState, mock: Controls
) -> None:
    token = login(api, state, "ann@example.com", session_expires_in=5)["session_token"]
    assert mock.advance(minutes=5)["now"] == T0 + 300
    assert_error(api.post(VERIFY, {"session_token": token}), 401, "invalid_session")


def test_advance_clock_expires_a_passcode(api: Api, state: MockState, mock: Controls) -> None:
    api.post("/v1/auth/otps/email/login_or_create", {"email": "ann@example.com"})
    code = mock.outbox("ann@example.com")[0]["code"]
    mock.advance(minutes=1)
    reply = api.post("/v1/auth/otps/verify", {"email": "ann@example.com", "code": code})
    assert_error(reply, 400, "otp_expired")


def test_clock_methods_in_process(mock: Controls, clock: ControllableClock) -> None:
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert mock.set_time(when)["now"] == when.timestamp()
    assert mock.set_time("2030-01-02T00:00:00+00:00", freeze=True)["frozen"] is True
    assert mock.unfreeze()["frozen"] is False
    assert mock.freeze()["frozen"] is True
    assert mock.clock()["now"] == clock.now().timestamp()
    assert mock.reset_clock()["frozen"] is False


def test_clock_bad_input_in_process_raises_the_api_error(mock: Controls) -> None:
    with pytest.raises(ValidationError, match="minutes"):
        mock.advance(minutes="x")  # type: ignore[arg-type]
