"""Schemathesis over every operation of ``openapi.yaml``, then along its OpenAPI links.

Positive and negative data per operation (bounded: a fixed number of examples, derandomized),
checked for: documented statuses only, schema-conforming responses, a JSON content type, no 5xx,
invalid input rejected, valid input accepted, the D9 envelope and documented error types (see
``conformance/schema.py`` and ``conformance/checks.py``). Every user a call creates is deleted
at the end; on a real deployment DeleteUser is left out, since a link may name a user the suite
did not create.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance import sources
from conformance.client import KeyRefused
from conformance.flows import Flows
from conformance.schema import load_schema
from conformance.target import Target

SCHEMA = load_schema()
PARAMETRIZE: Callable[[Callable[..., None]], Callable[..., None]] = SCHEMA.parametrize()
CREATING = {"CreateUser", "InviteUserByMagicLink"}
STATEFUL_SCENARIOS = 12
STATEFUL_STEPS = 6
QUIET = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.function_scoped_fixture,  # ``answers`` collects every example of one operation
]


def _key_refused(response: Any) -> bool:
    """A 401 ``unauthorized``: the secret key itself was refused (C12)."""
    if response.status_code != 401:
        return False
    try:
        body = response.json()
    except ValueError:
        return True
    return not isinstance(body, dict) or body.get("error_type") == "unauthorized"


@pytest.fixture
def answers() -> Iterator[list[bool]]:
    """Whether each call of one operation had its key refused; all refused is not a pass."""
    refused: list[bool] = []
    yield refused
    if refused and all(refused):
        raise KeyRefused(
            f"every one of {len(refused)} calls was answered 401 unauthorized: the operation "
            "was never checked past authentication (is the secret key still valid?)"
        )


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def _track(flows: Flows, case: Any, response: Any) -> None:
    """Remember users the call created, for DeleteUser at the end of the run."""
    if response.status_code != 200:
        return
    try:
        body = response.json()
    except ValueError:
        return
    if not isinstance(body, dict) or not isinstance(body.get("user_id"), str):
        return
    if body.get("user_created") is True or _operation_id(case) in CREATING:
        flows.remember(body["user_id"])


def _headers(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.api_key}"}


@pytest.mark.rule(
    "OpenAPI: every operation answers as openapi.yaml documents (C2, D9 errors)",
    source=sources.SUITE,
)
@PARAMETRIZE
@settings(deadline=None, suppress_health_check=QUIET, database=None)
def test_operation_conforms(case: Any, target: Target, users: Flows, answers: list[bool]) -> None:
    """One operation, positive and negative data, every check of ``conformance.schema``."""
    if not target.is_fake and _operation_id(case) == "DeleteUser":
        pytest.skip("DeleteUser is not fuzzed on a real deployment (it could delete real users)")
    headers = _headers(target)
    response = case.call(base_url=target.base_url, headers=headers)
    _track(users, case, response)
    answers.append(_key_refused(response))
    case.validate_response(
        response, headers=headers, transport_kwargs={"base_url": target.base_url}
    )


@pytest.mark.rule(
    "OpenAPI links: stateful sequences through the spec's links conform", source=sources.SUITE
)
def test_links_conform(target: Target, users: Flows) -> None:
    """Random walks along the links (login -> verify -> list -> delete, user -> sessions, ...)."""
    schema = load_schema(target.base_url, target.api_key, stateful=True)
    if not target.is_fake:
        schema = schema.exclude(operation_id="DeleteUser")
    base: Any = schema.as_state_machine()

    class Walk(base):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": target.base_url, "headers": _headers(target)}

        def after_call(self, response: Any, case: Any) -> None:
            _track(users, case, response)

    run_state_machine_as_test(
        Walk,
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=QUIET,
        ),
    )
