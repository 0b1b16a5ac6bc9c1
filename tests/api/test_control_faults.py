"""Control API: fault injection (/_mock/faults) under Flask's test client and in-process.

Real-HTTP behaviour (dropped and hung connections under waitress) is in
``test_control_network.py``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.drops import ConnectionDropped
from mock_server.errors import ValidationError
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/sessions/verify"
SEND = "/v1/auth/otps/email/login_or_create"


def _statuses(api: Api, n: int, body: dict[str, Any] | None = None) -> list[int]:
    return [api.post(SEND, body or {"email": "ann@example.com"}).status_code for _ in range(n)]


def test_add_fault_fires_exactly_n_times(api: Api, client: FlaskClient) -> None:
    rule = client.post(
        "/_mock/faults", json={"operation_id": "LoginOrCreateUserByEmailOtp", "times": 2}
    ).get_json()
    assert rule["action"] == "error"
    assert (rule["status"], rule["error_type"], rule["remaining"]) == (
        503,
        "service_unavailable",
        2,
    )
    first = api.post(SEND, {"email": "ann@example.com"})
    assert_error(first, 503, "service_unavailable", "Service Unavailable")
    assert _statuses(api, 3) == [503, 200, 200]
    assert client.get("/_mock/faults").get_json() == {"faults": []}  # spent rules go
    entries = client.get("/_mock/requests").get_json()["requests"]
    assert [(e["status"], e["injected"], e["fault_id"]) for e in entries] == [
        (503, True, rule["id"]),
        (503, True, rule["id"]),
        (200, False, ""),
        (200, False, ""),
    ]


def test_add_fault_in_process_fires_exactly_n_times(api: Api, mock: Controls) -> None:
    mock.add_fault("LoginOrCreateUserByEmailOtp", status=500, times=3, message="boom")
    assert _statuses(api, 5) == [500, 500, 500, 200, 200]
    assert mock.request_count(injected=True) == 3
    assert mock.request_count(status=200) == 2


def test_add_fault_until_cleared_lists_its_count(api: Api, client: FlaskClient) -> None:
    client.post("/_mock/faults", json={"operation_id": "LoginOrCreateUserByEmailOtp"})
    assert _statuses(api, 3) == [503, 503, 503]
    listed = client.get("/_mock/faults").get_json()["faults"]
    assert [(f["times"], f["remaining"], f["fired"]) for f in listed] == [(None, None, 3)]
    assert client.delete("/_mock/faults").get_json() == {
        "message": "Deleted 1 fault rules",
        "deleted": 1,
    }
    assert _statuses(api, 1) == [200]


def test_delete_fault_removes_one_rule(api: Api, client: FlaskClient) -> None:
    rule = client.post("/_mock/faults", json={"operation_id": "LoginOrCreateUserByEmailOtp"})
    fault_id = rule.get_json()["id"]
    assert client.delete(f"/_mock/faults/{fault_id}").status_code == 200
    assert _statuses(api, 1) == [200]
    assert_error(client.delete(f"/_mock/faults/{fault_id}"), 404, "fault_not_found", fault_id)


def test_add_fault_matches_a_body_value(api: Api, mock: Controls) -> None:
    mock.add_fault(
        "LoginOrCreateUserByEmailOtp", match={"email": "Bob@Example.com"}, status=429, times=1
    )
    assert _statuses(api, 1, {"email": "ann@example.com"}) == [200]
    reply = api.post(SEND, {"email": "bob@example.com"})
    assert_error(reply, 429, "rate_limited")
    assert reply.headers["Retry-After"] == "1"


def test_add_fault_matches_a_session_token(api: Api, state: MockState, mock: Controls) -> None:
    ann = login(api, state, "ann@example.com")["session_token"]
    bob = login(api, state, "bob@example.com")["session_token"]
    mock.add_fault("VerifySession", match={"session_token": bob}, status=401, error_type="nope")
    assert api.post(VERIFY, {"session_token": ann}).status_code == 200
    assert_error(api.post(VERIFY, {"session_token": bob}), 401, "nope", "Unauthorized")


def test_add_fault_by_method_and_path(api: Api, state: MockState, mock: Controls) -> None:
    user_id = login(api, state, "ann@example.com")["user_id"]
    other = login(api, state, "bob@example.com")["user_id"]
    rule = mock.add_fault(method="GET", path=f"/v1/auth/users/{user_id}", status=404)
    assert rule["operation_id"] == "GetUser"
    assert_error(api.get(f"/v1/auth/users/{user_id}"), 404, "not_found")
    assert api.get(f"/v1/auth/users/{other}").status_code == 200
    mock.add_fault(method="GET", path="/v1/auth/users/{user_id}", status=500)  # the template
    assert api.get(f"/v1/auth/users/{other}").status_code == 500


def test_add_fault_matches_a_query_value(api: Api, state: MockState, mock: Controls) -> None:
    user_id = login(api, state, "ann@example.com")["user_id"]
    mock.add_fault("ListSessions", match={"user_id": user_id}, status=503)
    assert api.get("/v1/auth/sessions/list", user_id=user_id).status_code == 503


def test_add_fault_without_operation_hits_every_operation(api: Api, mock: Controls) -> None:
    mock.add_fault(status=503, times=2)
    assert api.get("/v1/auth/jwks/default").status_code == 503
    assert api.post(SEND, {"email": "ann@example.com"}).status_code == 503
    assert api.get("/v1/auth/jwks/default").status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"operation_id": "VerifySession", "status": 409}, "does not document status 409"),
        ({"operation_id": "Nope"}, "Unknown operation_id 'Nope'"),
        ({"method": "GET", "path": "/v1/nowhere"}, "No operation GET /v1/nowhere"),
        ({"method": "GET"}, "method and path together"),
        ({"operation_id": "GetUser", "method": "GET", "path": "/x"}, "not both"),
        ({"action": "explode"}, "action"),
        ({"action": "delay"}, "'delay_ms', 'delay_range_ms'"),
        ({"action": "delay", "delay_range_ms": [5, 1]}, "low <= high"),
        ({"probability": 2}, "probability"),
        ({"times": 0}, "times"),
        ({"error_type": "Bad Type"}, "error_type"),
        ({"color": "red"}, "Unknown body field 'color'"),
    ],
)
def test_add_fault_bad_rule_is_400(client: FlaskClient, body: object, message: str) -> None:
    assert_error(client.post("/_mock/faults", json=body), 400, "validation_error", message)


def test_add_fault_for_unknown_app_is_404(client: FlaskClient) -> None:
    reply = client.post("/_mock/faults", json={"app_id": "app_nope"})
    assert_error(reply, 404, "app_not_found", "app_nope")


def test_add_fault_for_another_app_leaves_the_default_alone(
    api: Api, client: FlaskClient, mock: Controls
) -> None:
    other = mock.create_app(name="other")
    client.post("/_mock/faults", query_string={"app_id": other["app_id"]}, json={})
    assert _statuses(api, 1) == [200]
    other_api = Api(client, other["secret_key"])
    assert other_api.post(SEND, {"email": "ann@example.com"}).status_code == 503
    assert len(mock.faults(app_id=other["app_id"])) == 1
    assert mock.faults(app_id=mock.state.config.app_id) == []
    assert mock.clear_faults(app_id=other["app_id"])["deleted"] == 1


def test_add_fault_any_app_hits_unknown_keys_too(client: FlaskClient, mock: Controls) -> None:
    mock.add_fault("GetJWKs", app_id="*", status=503)
    bad = Api(client, "sk_test_" + "x" * 48)
    assert bad.get("/v1/auth/jwks/default").status_code == 503


def test_add_fault_delay_then_answers_normally(api: Api, mock: Controls) -> None:
    mock.add_fault("GetJWKs", action="delay", delay_ms=60, times=1)
    started = time.perf_counter()
    assert api.get("/v1/auth/jwks/default").status_code == 200
    assert time.perf_counter() - started >= 0.05
    entry = mock.requests()[-1]
    assert (entry["status"], entry["injected"], entry["fault_action"]) == (200, True, "delay")


def test_add_fault_delay_range_is_seeded(api: Api, mock: Controls) -> None:
    rule = mock.add_fault("GetJWKs", action="delay", delay_range_ms=[1, 20])
    assert rule["delay_range_ms"] == [1, 20]
    assert api.get("/v1/auth/jwks/default").status_code == 200


def test_add_fault_probability_zero_never_fires_one_always(api: Api, mock: Controls) -> None:
    mock.add_fault("LoginOrCreateUserByEmailOtp", probability=0)
    assert _statuses(api, 5) == [200] * 5
    mock.clear_faults()
    mock.add_fault("LoginOrCreateUserByEmailOtp", probability=0.5, times=3)
    statuses = _statuses(api, 40)
    assert statuses.count(503) == 3


def test_add_fault_drop_under_the_test_client_raises(client: FlaskClient, api: Api) -> None:
    client.post("/_mock/faults", json={"operation_id": "GetJWKs", "action": "drop", "times": 1})
    with pytest.raises(ConnectionDropped):
        api.get("/v1/auth/jwks/default")
    assert api.get("/v1/auth/jwks/default").status_code == 200
    entries = client.get("/_mock/requests", query_string={"injected": "true"}).get_json()
    assert [(e["status"], e["fault_action"]) for e in entries["requests"]] == [(0, "drop")]


def test_add_fault_hang_waits_then_drops(api: Api, mock: Controls) -> None:
    mock.add_fault("GetJWKs", action="hang", hang_seconds=0.05, times=1)
    started = time.perf_counter()
    with pytest.raises(ConnectionError):
        api.get("/v1/auth/jwks/default")
    assert time.perf_counter() - started >= 0.04


def test_rate_limit_answers_429_after_k_calls_per_window(
    api: Api, client: FlaskClient, clock: ControllableClock
) -> None:
    body = {"operation_id": "LoginOrCreateUserByEmailOtp", "limit": 2, "window_seconds": 60}
    rule = client.post("/_mock/faults/rate_limit", json=body).get_json()
    assert (rule["action"], rule["limit"], rule["status"]) == ("rate_limit", 2, 429)
    assert _statuses(api, 2) == [200, 200]
    client.post("/_mock/clock/advance", json={"seconds": 20})
    limited = api.post(SEND, {"email": "ann@example.com"})
    assert_error(limited, 429, "rate_limited", "at most 2 per 60 seconds")
    assert limited.headers["Retry-After"] == "40"
    assert api.get("/v1/auth/jwks/default").status_code == 200  # another operation
    client.post("/_mock/clock/advance", json={"seconds": 40})
    assert _statuses(api, 3) == [200, 200, 429]


def test_rate_limit_in_process_covers_every_operation(api: Api, mock: Controls) -> None:
    mock.add_rate_limit(limit=1, window_seconds=10)
    assert api.get("/v1/auth/jwks/default").status_code == 200
    assert api.post(SEND, {"email": "ann@example.com"}).status_code == 429


def test_rate_limit_bad_input_is_400(client: FlaskClient, mock: Controls) -> None:
    reply = client.post("/_mock/faults/rate_limit", json={"limit": 0, "window_seconds": 1})
    assert_error(reply, 400, "validation_error", "limit")
    with pytest.raises(ValidationError, match="window_seconds"):
        mock.add_rate_limit(limit=1, window_seconds=0)


def test_faults_do_not_touch_the_control_api(client: FlaskClient, mock: Controls) -> None:
    mock.add_fault(status=503)
    assert client.get("/_mock/health").status_code == 200
