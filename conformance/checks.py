"""Custom schemathesis checks of the suite (:func:`register`, called by ``load_schema``).

Each check acts only on schemas loaded by :func:`conformance.schema.load_schema` (they carry
the ``x-moonkey-conformance`` mark), so a project that uses schemathesis for its own API in the
same process is not affected.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from conformance.expect import envelope_problems
from conformance.spec_facts import MARK, SCHEMA_REJECTIONS, documented_error_types

_registered = False


def _ours(case: Any) -> bool:
    return bool(case.operation.schema.raw_schema.get(MARK))


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _key(case: Any, status: int) -> tuple[str, str, int]:
    return (case.operation.method.upper(), case.operation.path, status)


def d9_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """D9: every error carries ``status_code``, ``error_type``, ``error_message`` and ``error``."""
    if not _ours(case) or response.status_code < 400:
        return None
    problems = envelope_problems(response.status_code, _json(response))
    if problems:
        raise AssertionError(
            "D9 error envelope (decisions D9; docs/decisions.md D9): " + "; ".join(problems)
        )
    return True


def documented_error_type(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error's ``error_type`` is one the spec documents for that operation and status."""
    if not _ours(case) or response.status_code < 400:
        return None
    documented = documented_error_types().get(_key(case, response.status_code))
    body = _json(response)
    if not documented or not isinstance(body, dict):
        return None
    if body.get("error_type") not in documented:
        raise AssertionError(
            f"error_type {body.get('error_type')!r} is not documented for "
            f"{case.operation.label} {response.status_code}; openapi.yaml lists "
            f"{sorted(documented)} (docs/decisions.md C2)"
        )
    return True


def valid_input_not_rejected(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that satisfies openapi.yaml is never refused as schema-invalid."""
    meta = case.meta
    if not _ours(case) or meta is None or not meta.generation.mode.is_positive:
        return None
    body = _json(response)
    rejected = isinstance(body, dict) and body.get("error_type") in SCHEMA_REJECTIONS
    if response.status_code == 400 and rejected:
        raise AssertionError(
            "a request that satisfies openapi.yaml was rejected as invalid: "
            f"{body.get('error_type')}: {body.get('error_message')}"
        )
    return True


CHECKS = (d9_error_envelope, documented_error_type, valid_input_not_rejected)


def register() -> None:
    """Register the checks with schemathesis (once per process)."""
    global _registered
    if not _registered:
        for check in CHECKS:
            schemathesis.check(check)
        _registered = True
