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
    Rule,
    default_message,
    default_type,
)
from mock_server.spec import Operation, Spec

if TYPE_CHECKING:
    from mock_server.state import MockState

Json = dict[str, Any]


def build_rule(state: MockState, body: Json, *, rule_id: str, app_id: str) -> Rule:
    """A :class:`Rule` from a validated AddFault / AddRateLimit body (``limit`` = preset)."""
    ops, op_id, method, path = _target(state.spec, body)
    preset = "limit" in body
    action = "rate_limit" if preset else str(body.get("action", "error"))
    rule = Rule(
        id=rule_id,
        app_id=app_id,
        action=action,
        operation_ids=ops,
        operation_id=op_id,
        method=method,
        path=path,
        match=dict(body.get("match") or {}),
        times=None if preset else body.get("times"),
        probability=1.0 if preset else float(body.get("probability", 1)),
        created_at=state.now(),
        limit=body.get("limit"),
        window_seconds=body.get("window_seconds"),
        delay_ms=body.get("delay_ms"),
        hang_seconds=body.get("hang_seconds"),
        retry_after=body.get("retry_after"),
    )
    rule.remaining = rule.times
    if "delay_range_ms" in body:
        low, high = body["delay_range_ms"]
        if low > high:
            raise ValidationError("delay_range_ms must be [low, high] with low <= high")
        rule.delay_range_ms = (float(low), float(high))
    if action == "hang" and rule.hang_seconds is None:
        rule.hang_seconds = DEFAULT_HANG_SECONDS
    if action in {"error", "rate_limit"}:
        _answer(state, rule, body)
    return rule


def _answer(state: MockState, rule: Rule, body: Json) -> None:
    """Status, type and message of an error rule, checked against every operation it targets."""
    status = 429 if rule.action == "rate_limit" else int(body.get("status", DEFAULT_STATUS))
    rule.status = status
    rule.error_type = body.get("error_type") or default_type(status)
    default = default_message(status)
    if rule.action == "rate_limit":
        default = f"Too many requests: at most {rule.limit} per {rule.window_seconds:g} seconds"
    rule.message = body.get("message") or default
    sample = envelope(status, rule.error_type, rule.message)
    for op in _operations(state.spec, rule.operation_ids):
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


def _target(
    spec: Spec, body: Json
) -> tuple[frozenset[str] | None, str | None, str | None, str | None]:
    """(operation ids or None = all, shown operation id, method, concrete path or None)."""
    op_id, method, path = body.get("operation_id"), body.get("method"), body.get("path")
    if op_id is not None and (method is not None or path is not None):
        raise ValidationError("Send operation_id, or method and path, not both")
    if (method is None) != (path is None):
        raise ValidationError("Send method and path together")
    if op_id is not None:
        if op_id not in spec.operations:
            raise ValidationError(f"Unknown operation_id '{op_id}': see openapi.yaml")
        return frozenset({op_id}), op_id, spec.operations[op_id].method, None
    if method is None or path is None:
        return None, None, None, None
    for op in spec.operations.values():
        if op.method != method:
            continue
        if op.path == path:
            return frozenset({op.operation_id}), op.operation_id, method, None
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op.path))
        if re.fullmatch(pattern, path):
            return frozenset({op.operation_id}), op.operation_id, method, path
    raise ValidationError(f"No operation {method} {path} in openapi.yaml")
