"""Control API: the request journal (GET/DELETE /_mock/requests) over HTTP and in-process."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server import MockConfig, create_app, state_of
from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error

T0 = START.timestamp()
SEND = "/v1/auth/otps/email/login_or_create"
JWKS = "/v1/auth/jwks/default"


def _requests(client: FlaskClient, **query: str) -> list[dict[str, Any]]:
    reply = client.get("/_mock/requests", query_string=query)
    assert reply.status_code == 200, reply.get_json()
    entries: list[dict[str, Any]] = reply.get_json()["requests"]
    return entries


def test_list_requests_records_each_call_oldest_first(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    api.post(SEND, {"email": "ann@example.com"})
    api.get(JWKS)
    first, second = _requests(client)
    assert first["operation_id"] == "LoginOrCreateUserByEmailOtp"
    assert (first["method"], first["path"], first["status"]) == ("POST", SEND, 200)
    assert first["body"] == {"email": "ann@example.com"}
    assert first["injected"] is False
    assert first["app_id"] == state.config.app_id
    assert second["operation_id"] == "GetJWKs"
    assert isinstance(second["duration_ms"], float)


def test_list_requests_filters(api: Api, client: FlaskClient, clock: ControllableClock) -> None:
    api.post(SEND, {"email": "ann@example.com"})
    client.post("/_mock/clock/advance", json={"minutes": 1})
    api.post(SEND, {"email": "not-an-email"})
    api.get(JWKS)
    assert len(_requests(client, operation_id="LoginOrCreateUserByEmailOtp")) == 2
    assert [e["status"] for e in _requests(client, status="400")] == [400]
    assert len(_requests(client, since=str(T0 + 30))) == 2
    assert len(_requests(client, until=str(T0 + 30))) == 1
    assert _requests(client, injected="true") == []


def test_list_requests_count_and_limit(api: Api, client: FlaskClient, mock: Controls) -> None:
    for _ in range(3):
        api.get(JWKS)
    api.post(SEND, {"email": "ann@example.com"})
    count = client.get("/_mock/requests", query_string={"count": "true", "operation_id": "GetJWKs"})
    assert count.get_json() == {"count": 3}
    newest = _requests(client, limit="2")
    assert [e["operation_id"] for e in newest] == ["GetJWKs", "LoginOrCreateUserByEmailOtp"]
    assert [e["seq"] for e in newest] == sorted(e["seq"] for e in newest)  # still oldest first
    assert mock.request_count() == 4
    assert len(mock.requests(limit=1, operation_id="GetJWKs")) == 1


def test_list_requests_never_shows_an_api_key(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    secret = state.default_app().secret_keys[0]
    public = state.default_app().public_token
    client.get(f"{JWKS}?api_key={secret}")
    client.get(f"/v1/auth/oauth/google/begin?public_token={public}")
    api.post(SEND, {"email": "ann@example.com"})
    text = json.dumps(client.get("/_mock/requests").get_json())
    assert secret not in text
    assert public not in text
    assert _requests(client)[0]["query"] == {"api_key": "[redacted]"}


def test_journal_is_bounded_oldest_dropped(config: MockConfig, clock: ControllableClock) -> None:
    app = create_app(config.with_(journal_size=3), clock=clock)
    api = Api(app.test_client(), config.secret_key)
    for index in range(5):
        api.post(SEND, {"email": f"user{index}@example.com"})
    entries = Controls(state_of(app)).requests()
    assert [e["body"] for e in entries] == [{"email": f"user{i}@example.com"} for i in (2, 3, 4)]


def test_list_requests_is_scoped_by_app(api: Api, client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app()
    api.get(JWKS)
    Api(client, other["secret_key"]).get(JWKS)
    Api(client, "sk_test_" + "u" * 48).get(JWKS)  # an unknown key names no app
    assert len(_requests(client, app_id=other["app_id"])) == 1
    assert len(_requests(client, app_id=mock.state.config.app_id)) == 1
    assert [e["app_id"] for e in _requests(client)][2] == ""
    assert len(_requests(client, app_id="*")) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [({"status": "bad"}, "status"), ({"limit": "0"}, "limit"), ({"since": "x"}, "since")],
)
def test_list_requests_bad_query_is_400(
    client: FlaskClient, query: dict[str, str], message: str
) -> None:
    assert_error(
        client.get("/_mock/requests", query_string=query), 400, "validation_error", message
    )


def test_clear_requests_all_or_one_app(api: Api, client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app()
    api.get(JWKS)
    Api(client, other["secret_key"]).get(JWKS)
    gone = client.delete("/_mock/requests", query_string={"app_id": other["app_id"]})
    assert gone.get_json()["deleted"] == 1
    assert mock.request_count() == 1
    assert mock.clear_requests()["deleted"] == 1
    assert mock.requests() == []


def test_control_calls_are_not_journaled(client: FlaskClient, mock: Controls) -> None:
    client.get("/_mock/health")
    client.post("/_mock/clock/advance", json={"seconds": 1})
    assert mock.requests() == []
