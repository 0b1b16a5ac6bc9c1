"""One control interface: the document, the Protocol, the in-process and the HTTP client agree."""

from __future__ import annotations

import inspect

import pytest

from conformance.control_client import MockControl
from mock_server.control.api import ControlApi
from mock_server.control.document import control_spec, controls_offered
from mock_server.control.inprocess import Controls
from mock_server.state import MockState
from tests.api.test_control_health import CONTROLS


def _protocol_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(ControlApi).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def _documented_methods() -> set[str]:
    spec = control_spec()
    names: set[str] = set()
    for op in spec.operations.values():
        method = spec.raw(op)["x-method"]
        names.update(method if isinstance(method, list) else [method])
    return names


def test_control_api_every_operation_has_a_method_and_every_method_an_operation() -> None:
    assert _documented_methods() == set(_protocol_methods())


@pytest.mark.parametrize("implementation", [Controls, MockControl])
def test_control_api_implementations_take_the_same_parameters(implementation: type) -> None:
    for name, wanted in _protocol_methods().items():
        member = getattr(implementation, name, None)
        assert member is not None, f"{implementation.__name__} lacks {name}"
        got = inspect.signature(member)
        shape = [(p.name, p.kind, p.default) for p in got.parameters.values()]
        expected = [(p.name, p.kind, p.default) for p in wanted.parameters.values()]
        assert shape == expected, f"{implementation.__name__}.{name}{got} is not {wanted}"


def test_control_api_is_implemented_statically(state: MockState) -> None:
    local: ControlApi = Controls(state)
    remote: ControlApi = MockControl("http://127.0.0.1:9")
    assert local.health()["controls"] == list(controls_offered())
    assert remote.base_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]


def test_control_api_health_lists_the_documented_controls() -> None:
    assert controls_offered() == tuple(CONTROLS)
