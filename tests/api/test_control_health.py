"""Control API: discovery (health, its OpenAPI document) and safety (loopback, admin token)."""

from __future__ import annotations

import os

import pytest
import yaml
from flask import Flask
from openapi_spec_validator import validate

from mock_server import MockConfig, __version__, create_app
from mock_server.clock import ControllableClock
from mock_server.control import operations
from mock_server.control.document import CONTROL_SPEC, control_spec
from mock_server.router import public_functions
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import assert_error

CONTROLS = [
    "apps",
    "clock",
    "contract_states",
    "faults",
    "journal",
    "keys",
    "oauth",
    "outbox",
    "passwords",
    "reset",
    "sessions",
    "state",
    "totps",
    "transfers",
    "users",
    "wallets",
]
PATHS = ["/_mock/health", "/_mock/clock", "/_mock/faults", "/_mock/openapi.yaml", "/_mock/state"]


def _fake(config: MockConfig, clock: ControllableClock, **changes: object) -> Flask:
    return create_app(config.with_(**changes), clock=clock)


def test_get_health_tells_the_fake_apart(app: Flask, state: MockState) -> None:
    reply = app.test_client().get("/_mock/health")
    assert reply.status_code == 200
    assert reply.get_json() == {
        "status": "ok",
        "service": "moonkey-mock",
        "version": __version__,
        "now": START.timestamp(),
        "now_iso": "2026-03-01T12:00:00.000Z",
        "frozen": True,
        "default_app_id": state.config.app_id,
        "controls": CONTROLS,
        "pid": os.getpid(),
    }


def test_get_control_spec_serves_a_valid_openapi_document(app: Flask) -> None:
    reply = app.test_client().get("/_mock/openapi.yaml")
    assert reply.status_code == 200
    assert reply.mimetype == "application/yaml"
    document = yaml.safe_load(reply.data)
    validate(document)
    assert document == yaml.safe_load(CONTROL_SPEC.read_text(encoding="utf-8"))


def test_every_control_operation_has_a_handler() -> None:
    names = {op.handler_name for op in control_spec().operations.values()}
    assert names == set(public_functions([("", operations)]))


def test_unknown_control_path_is_404_in_the_envelope(app: Flask) -> None:
    reply = app.test_client().get("/_mock/nothing")
    assert_error(reply, 404, "not_found", "/_mock/nothing")


def test_control_wrong_method_is_405_in_the_envelope(app: Flask) -> None:
    assert_error(app.test_client().put("/_mock/clock"), 405, "method_not_allowed")


def test_control_bad_json_and_media_type(app: Flask) -> None:
    client = app.test_client()
    reply = client.post("/_mock/apps", data="{", content_type="application/json")
    assert_error(reply, 400, "invalid_json")
    reply = client.post("/_mock/apps", data="name=x", content_type="application/xml")
    assert_error(reply, 415, "unsupported_media_type")
    reply = client.post("/_mock/apps", data="name=x", content_type="text/plain")
    assert_error(reply, 403, "cross_site_request", "take JSON, not text/plain")


@pytest.mark.parametrize("path", PATHS)
def test_no_control_answers_404_everywhere(
    config: MockConfig, clock: ControllableClock, path: str
) -> None:
    client = _fake(config, clock, control=False).test_client()
    assert_error(client.get(path), 404, "not_found", path)
    assert_error(client.post("/_mock/reset"), 404, "not_found")


def test_control_is_off_by_default_off_loopback(
    config: MockConfig, clock: ControllableClock
) -> None:
    assert MockConfig(host="127.0.0.1").control_enabled
    assert not MockConfig(host="0.0.0.0").control_enabled
    client = _fake(config, clock, host="0.0.0.0").test_client()
    assert client.get("/_mock/health").status_code == 404
    forced = _fake(config, clock, host="0.0.0.0", control=True).test_client()
    assert forced.get("/_mock/health").status_code == 200


def test_admin_token_guards_every_control_call(
    config: MockConfig, clock: ControllableClock
) -> None:
    client = _fake(config, clock, admin_token="t0ken").test_client()
    assert_error(client.get("/_mock/health"), 401, "unauthorized", "admin token")
    wrong = {"Authorization": "Bearer nope"}
    assert_error(client.post("/_mock/reset", headers=wrong), 401, "unauthorized")
    api_key = {"Authorization": f"Bearer {config.secret_key}"}
    assert_error(client.get("/_mock/state", headers=api_key), 401, "unauthorized")
    right = {"Authorization": "Bearer t0ken"}
    assert client.get("/_mock/health", headers=right).status_code == 200
    # the API itself still takes the API key, not the admin token
    assert client.get("/v1/auth/jwks/default", headers=api_key).status_code == 200
    assert client.get("/v1/auth/jwks/default", headers=right).status_code == 401
