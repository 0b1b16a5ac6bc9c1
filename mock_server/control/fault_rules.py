"""Fault rules from a validated control request (AddFault, AddRateLimit).

The target is resolved against ``openapi.yaml`` (an operationId, or a method and a path template
or concrete path), and an error answer is checked against every operation it can hit: the
status must be one the operation documents and the envelope must satisfy its response schema,
so an injected answer never breaks the spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mock_server.errors import ValidationError, envelope
from mock_server.faults import (
    DEFAULT_HANG_SECONDS,
    DEFAULT_STATUS,
    Action,
    Delay,
    Drop,
    Hang,
    RateLimit,
    Respond,
    Rule,
    Target,
    default_message,
    default_type,
)
from mock_server.spec import Operation, Spec

if TYPE_CHECKING:
    from mock_server.state import MockState

Json = dict[str, Any]


def build_rule(state: MockState, body: Json, *, rule_id: str, app_id: str) -> Rule:
    """A :class:`Rule` from a validated AddFault / AddRateLimit body (``limit`` = preset)."""
    target = _target(state.spec, body)
    preset = "limit" in body
    action = _rate_limit(body) if preset else _action(body)
    if isinstance(action, Respond | RateLimit):
        _check_answer(state, target, action)
    return Rule(
        id=rule_id,
        app_id=app_id,
        action=action,
        target=target,
        match=dict(body.get("match") or {}),
        times=None if preset else body.get("times"),
        probability=1.0 if preset else float(body.get("probability", 1)),
        created_at=state.now(),
    )


def _action(body: Json) -> Action:
    """The typed action of an AddFault body."""
    name = str(body.get("action", "error"))
    if name == "drop":
        return Drop()
    if name == "hang":
        return Hang(float(body.get("hang_seconds") or DEFAULT_HANG_SECONDS))
    if name == "delay":
        if "delay_range_ms" in body:
            low, high = body["delay_range_ms"]
            if low > high:
                raise ValidationError("delay_range_ms must be [low, high] with low <= high")
            return Delay(float(low), float(high))
        return Delay(float(body["delay_ms"]), float(body["delay_ms"]))
    status = int(body.get("status", DEFAULT_STATUS))
    return Respond(
        status=status,
        error_type=body.get("error_type") or default_type(status),
        message=body.get("message") or default_message(status),
        retry_after=body.get("retry_after"),
    )


def _rate_limit(body: Json) -> RateLimit:
    limit, window = int(body["limit"]), float(body.get("window_seconds") or 1.0)
    default = f"Too many requests: at most {limit} per {window:g} seconds"
    return RateLimit(limit, window, body.get("message") or default)


def _check_answer(state: MockState, target: Target, action: Respond | RateLimit) -> None:
    """An error answer must be documented by every operation the rule can hit."""
    status = action.status
    sample = envelope(status, action.error_type, action.message)
    for op in _operations(state.spec, target.operation_ids):
        if status not in op.statuses:
            shown = ", ".join(str(s) for s in sorted(op.statuses) if s >= 400)
            raise ValidationError(
                f"{op.operation_id} does not document status {status} (it documents {shown})"
            )
        problems = state.validators.response_problems(op, status, sample)
        if problems:
            raise ValidationError(f"The injected answer would break openapi.yaml: {problems[0]}")


def _operations(spec: Spec, ids: frozenset[str] | None) -> Iterable[Operation]:
    if ids is None:
        return spec.operations.values()
    return [spec.operations[i] for i in sorted(ids)]


def _target(spec: Spec, body: Json) -> Target:
    """Operation ids (None = all), the shown operation id, method and concrete path."""
    op_id, method, path = body.get("operation_id"), body.get("method"), body.get("path")
    if op_id is not None and (method is not None or path is not None):
        raise ValidationError("Send operation_id, or method and path, not both")
    if (method is None) != (path is None):
        raise ValidationError("Send method and path together")
    if op_id is not None:
        if op_id not in spec.operations:
            raise ValidationError(f"Unknown operation_id '{op_id}': see openapi.yaml")
        return Target(frozenset({op_id}), op_id, spec.operations[op_id].method)
    if method is None or path is None:
        return Target()
    for op in spec.operations.values():
        if op.method != method:
            continue
        if op.path == path:
            return Target(frozenset({op.operation_id}), op.operation_id, method)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op.path))
        if re.fullmatch(pattern, path):
            return Target(frozenset({op.operation_id}), op.operation_id, method, path)
    raise ValidationError(f"No operation {method} {path} in openapi.yaml")
