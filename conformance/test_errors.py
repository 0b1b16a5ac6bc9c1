"""The error envelope on every kind of error (decision D9).

D9: ``{"status_code", "error_type", "error_message", "error": {"code", "message"}}`` with
``error.code`` = ``error_type`` and ``status_code`` = the HTTP status, for validation, auth,
404, 405, 415 and injected faults alike: the API reference's flat fields and the Session
Management guide's nested ``error``; the statuses and error types of ``openapi.yaml`` (C2).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.target import Target

UNKNOWN_USER = "user_" + "0" * 27


def _invalid_json(api: ApiClient) -> Exchange:
    return api.call(
        "POST",
        "/v1/auth/sessions/verify",
        data=b'{"session_token": ',
        headers={"Content-Type": "application/json"},
    )


def _not_json(api: ApiClient) -> Exchange:
    return api.call(
        "POST", "/v1/auth/users/create", data=b"email=x", headers={"Content-Type": "text/plain"}
    )


# name -> (how to provoke it, expected status, expected error_type or None)
CASES: dict[str, tuple[Any, int, str | None]] = {
    "missing field": (lambda a: a.post("/v1/auth/users/create", {}), 400, "validation_error"),
    "wrong type": (
        lambda a: a.post("/v1/auth/sessions/verify", {"session_token": 7}),
        400,
        "validation_error",
    ),
    "malformed JSON": (_invalid_json, 400, "invalid_json"),
    "not JSON": (_not_json, 415, None),
    "no key": (lambda a: a.call("GET", "/v1/auth/jwks/default", key=None), 401, "unauthorized"),
    "invalid session": (
        lambda a: a.post("/v1/auth/sessions/verify", {"session_token": "y" * 64}),
        401,
        "invalid_session",
    ),
    "unknown user": (lambda a: a.get(f"/v1/auth/users/{UNKNOWN_USER}"), 404, "user_not_found"),
    "unknown session": (
        lambda a: a.delete("/v1/auth/sessions/delete", {"session_id": "sess_" + "0" * 27}),
        404,
        "session_not_found",
    ),
    "unknown endpoint": (lambda a: a.get("/v1/auth/no_such_endpoint"), 404, None),
    "wrong method": (lambda a: a.get("/v1/auth/sessions/verify"), 405, None),
}


@pytest.mark.rule("D9: every error uses the full envelope", source=sources.SESSION_MANAGEMENT)
@pytest.mark.parametrize("case", list(CASES))
def test_error_envelope(api: ApiClient, expect: Expect, case: str) -> None:
    """The status, and ``status_code``/``error_type``/``error_message``/``error`` agreeing."""
    provoke, status, code = CASES[case]
    expect.error(provoke(api), status, code)


@pytest.mark.rule("D9: an injected fault uses the same envelope", source=sources.DECISIONS)
@pytest.mark.needs_control("faults")
def test_error_envelope_on_injected_fault(target: Target, api: ApiClient, expect: Expect) -> None:
    """``fail_next(VerifySession, 503)``: a 503 in the envelope, then normal service."""
    target.control.fail_next("VerifySession", status=503)
    try:
        failed = api.post("/v1/auth/sessions/verify", {"session_token": "z" * 64})
    finally:
        target.control.clear_faults()
    expect.error(failed, 503)
    expect.error(api.post("/v1/auth/sessions/verify", {"session_token": "z" * 64}), 401)
