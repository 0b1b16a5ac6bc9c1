"""Fault rules without HTTP: building, matching values, counting, holding and releasing calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from mock_server.control.fault_rules import build_rule
from mock_server.drops import ConnectionDropped
from mock_server.errors import ValidationError
from mock_server.faults import (
    MISSING,
    Delay,
    Faults,
    Hang,
    RateLimit,
    Respond,
    Rule,
    _count,
    _same,
    default_message,
    default_type,
)
from mock_server.state import MockState


def _rule(state: MockState, **body: Any) -> Rule:
    return build_rule(state, body, rule_id="fault_1", app_id=state.config.app_id)


@dataclass
class _Call:
    """A request as rules see it, without Flask."""

    operation_id: str = "GetJWKs"
    path: str = "/v1/auth/jwks/default"
    app_id: str = ""
    body: Any = None
    values: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        return self.values.get(name, MISSING)


class _Rng:
    def chance(self, probability: float) -> bool:
        return probability >= 1

    def uniform(self, low: float, high: float) -> float:
        return low


def test_build_rule_defaults_to_a_503_until_cleared(state: MockState) -> None:
    rule = _rule(state, operation_id="VerifySession")
    assert rule.action == Respond(503, "service_unavailable", "Service Unavailable")
    assert (rule.times, rule.remaining) == (None, None)
    assert rule.target.operation_ids == frozenset({"VerifySession"})


def test_build_rule_resolves_method_and_path(state: MockState) -> None:
    template = _rule(state, method="GET", path="/v1/auth/users/{user_id}")
    assert (template.target.operation_id, template.target.path) == ("GetUser", None)
    concrete = _rule(state, method="DELETE", path="/v1/auth/users/user_1/delete")
    assert (concrete.target.operation_id, concrete.target.path) == (
        "DeleteUser",
        "/v1/auth/users/user_1/delete",
    )
    with pytest.raises(ValidationError, match="No operation POST /v1/auth/users/u1"):
        _rule(state, method="POST", path="/v1/auth/users/u1")


def test_build_rule_checks_the_status_against_every_operation(state: MockState) -> None:
    assert _rule(state, status=500).target.operation_ids is None  # 500 is documented everywhere
    with pytest.raises(ValidationError, match="does not document status 409"):
        _rule(state, status=409)


def test_build_rule_typed_actions(state: MockState) -> None:
    assert _rule(state, action="hang").action == Hang(30.0)
    assert _rule(state, action="delay", delay_ms=5).action == Delay(5.0, 5.0)
    assert _rule(state, action="delay", delay_range_ms=[1, 9]).action == Delay(1.0, 9.0)
    preset = _rule(state, limit=3, window_seconds=10)
    assert preset.action == RateLimit(3, 10.0, "Too many requests: at most 3 per 10 seconds")
    assert preset.to_json()["action"] == "rate_limit"
    assert (preset.to_json()["status"], preset.to_json()["error_type"]) == (429, "rate_limited")


def test_build_rule_delay_range_must_be_ordered(state: MockState) -> None:
    with pytest.raises(ValidationError, match=r"delay_range_ms must be \[low, high\]"):
        _rule(state, action="delay", delay_range_ms=[9, 1])


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
    limit = RateLimit(2, 10.0, "slow down")
    rule = Rule(id="r", app_id="*", action=limit)
    assert _count(rule, limit, 100.0) is None
    assert _count(rule, limit, 105.0) is None
    assert _count(rule, limit, 109.0) == 1  # the first call leaves the window at 110
    assert _count(rule, limit, 110.0) is None
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


def _fire_in_thread(faults: Faults, outcome: list[Any]) -> threading.Thread:
    worker = threading.Thread(target=lambda: outcome.append(faults.fire(_Call(), float, _Rng())))
    worker.start()
    return worker


def test_faults_clear_releases_a_hung_call() -> None:
    faults = Faults()
    faults.add(Rule(id="h", app_id="*", action=Hang(30.0)))
    outcome: list[Any] = []
    worker = _fire_in_thread(faults, outcome)
    assert faults.wait_until_held(1, timeout=10)
    faults.clear()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert outcome[0].action == "hang"
    assert faults.held == 0


def test_release_held_lets_held_calls_go_and_keeps_the_rules() -> None:
    faults = Faults()
    faults.add(Rule(id="h", app_id="*", action=Hang(30.0)))
    outcome: list[Any] = []
    worker = _fire_in_thread(faults, outcome)
    assert faults.wait_until_held(1, timeout=10)
    faults.release_held()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert [r.id for r in faults.rules] == ["h"]  # still armed (other processes apply it)
    late: list[Any] = []
    after = _fire_in_thread(faults, late)  # a call arriving during the stop is not held
    after.join(timeout=10)
    assert not after.is_alive()
    assert late[0].action == "hang"
    assert faults.held == 0


def test_faults_clear_releases_calls_of_a_rule_that_fired_its_last_time() -> None:
    faults = Faults()
    faults.add(Rule(id="h", app_id="*", action=Hang(30.0), times=1))
    outcome: list[Any] = []
    worker = _fire_in_thread(faults, outcome)
    assert faults.wait_until_held(1, timeout=10)
    assert faults.views() == []  # fired its last time: no longer listed ...
    assert faults.clear() == 0
    worker.join(timeout=10)
    assert not worker.is_alive()  # ... yet clearing released the call it holds


def test_faults_past_the_bound_answer_503_at_once() -> None:
    faults = Faults(max_held=1)
    faults.add(Rule(id="h", app_id="*", action=Hang(30.0)))
    outcome: list[Any] = []
    worker = _fire_in_thread(faults, outcome)
    assert faults.wait_until_held(1, timeout=10)
    over = faults.fire(_Call(), float, _Rng())
    assert over is not None
    assert over.payload is not None
    assert (over.status, over.payload["error_type"]) == (503, "service_unavailable")
    assert "1 calls are already held" in over.payload["error_message"]
    faults.clear()
    worker.join(timeout=10)


def test_connection_dropped_is_a_connection_error() -> None:
    assert issubclass(ConnectionDropped, ConnectionError)
