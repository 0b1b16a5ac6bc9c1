"""Fault rules without HTTP: building, matching values, counting, the rate-limit window."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask

from mock_server.control.fault_rules import build_rule
from mock_server.errors import ValidationError
from mock_server.faults import (
    ConnectionDropped,
    Faults,
    Rule,
    _count,
    _same,
    default_message,
    default_type,
)
from mock_server.spec import load_spec
from mock_server.state import MockState


def _rule(state: MockState, **body: Any) -> Rule:
    return build_rule(state, body, rule_id="fault_1", app_id=state.config.app_id)


def test_build_rule_defaults_to_a_503_until_cleared(state: MockState) -> None:
    rule = _rule(state, operation_id="VerifySession")
    assert (rule.action, rule.status, rule.error_type) == ("error", 503, "service_unavailable")
    assert (rule.message, rule.times, rule.remaining) == ("Service Unavailable", None, None)
    assert rule.operation_ids == frozenset({"VerifySession"})


def test_build_rule_resolves_method_and_path(state: MockState) -> None:
    template = _rule(state, method="GET", path="/v1/auth/users/{user_id}")
    assert (template.operation_id, template.path) == ("GetUser", None)
    concrete = _rule(state, method="DELETE", path="/v1/auth/users/user_1/delete")
    assert (concrete.operation_id, concrete.path) == ("DeleteUser", "/v1/auth/users/user_1/delete")
    with pytest.raises(ValidationError, match="No operation POST /v1/auth/users/u1"):
        _rule(state, method="POST", path="/v1/auth/users/u1")


def test_build_rule_checks_the_status_against_every_operation(state: MockState) -> None:
    assert _rule(state, status=500).operation_ids is None  # 500 is documented everywhere
    with pytest.raises(ValidationError, match="does not document status 409"):
        _rule(state, status=409)


def test_build_rule_hang_and_rate_limit_defaults(state: MockState) -> None:
    assert _rule(state, action="hang").hang_seconds == 30
    preset = _rule(state, limit=3, window_seconds=10)
    assert (preset.action, preset.status, preset.error_type) == ("rate_limit", 429, "rate_limited")
    assert preset.message == "Too many requests: at most 3 per 10 seconds"


@pytest.mark.parametrize(
    ("name", "actual", "wanted", "same"),
    [
        ("email", "Ann@Example.com ", "ann@example.com", True),
        ("session_token", "AbC", "abc", False),
        ("limit", "5", 5, True),  # a query value is a string
        ("flag", "true", True, True),
        ("flag", True, 1, False),
        ("limit", 5, 5, True),
        ("missing", None, None, True),
    ],
)
def test_same_compares_request_values(name: str, actual: Any, wanted: Any, same: bool) -> None:
    assert _same(name, actual, wanted) is same


def test_default_type_and_message_follow_the_status() -> None:
    assert (default_type(503), default_type(400), default_type(409)) == (
        "service_unavailable",
        "bad_request",
        "conflict",
    )
    assert default_message(404) == "Not Found"


def test_count_is_a_sliding_window() -> None:
    rule = Rule(id="r", app_id="*", action="rate_limit", operation_ids=None, limit=2)
    rule.window_seconds = 10.0
    assert _count(rule, 100.0) is None
    assert _count(rule, 105.0) is None
    assert _count(rule, 109.0) == 1  # the first call leaves the window at 110
    assert _count(rule, 110.0) is None
    assert rule.fired == 1


def test_faults_remove_and_clear(state: MockState) -> None:
    faults = Faults()
    first = faults.add(_rule(state))
    second = faults.add(build_rule(state, {}, rule_id="fault_2", app_id="app_other"))
    assert [v["id"] for v in faults.views("app_other")] == [second.id]
    assert faults.remove(first.id) is first
    assert faults.remove(first.id) is None
    assert faults.clear() == 1
    assert faults.rules == ()


def test_faults_clear_releases_a_hung_call(state: MockState, app: Flask) -> None:
    body = {"operation_id": "GetJWKs", "action": "hang", "hang_seconds": 30}
    state.faults.add(build_rule(state, body, rule_id="fault_h", app_id="*"))
    op = load_spec().operations["GetJWKs"]
    outcome: list[Any] = []

    def hang() -> None:
        with app.test_request_context("/v1/auth/jwks/default"):
            outcome.append(state.faults.fire(state, op, {}))

    worker = threading.Thread(target=hang)
    started = time.perf_counter()
    worker.start()
    threading.Event().wait(0.1)
    state.faults.clear()
    worker.join(timeout=5)
    assert time.perf_counter() - started < 5
    assert outcome[0].action == "hang"


def test_connection_dropped_is_a_connection_error() -> None:
    assert issubclass(ConnectionDropped, ConnectionError)
