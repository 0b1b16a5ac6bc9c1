"""VerifySession: what it returns, how it extends, when it refuses.

The Session Management guide (verify, success and error bodies; extension: "expire N minutes
from the current time"), the VerifySession reference page, decisions D5 and D10.
"""

from __future__ import annotations

import pytest

from conformance import sources
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.timing import TimeTravel

MINUTE = 60
CLOCK_SLACK = 5.0


@pytest.mark.rule(
    "D5: VerifySession returns the session and its user", source=sources.VERIFY_SESSION
)
def test_verify_session_returns_session_and_user(flows: Flows, expect: Expect) -> None:
    """``session`` (same id and user), ``user`` (``id`` = user id), the same token, a JWT."""
    login = flows.login()
    verified = flows.verify_session(session_token=login.token)
    body = expect.ok(verified)
    expect.equal("session.id", login.session_id, expect.field(verified, "session", "id"), verified)
    expect.equal("session.user_id", login.user_id, body["session"].get("user_id"), verified)
    expect.equal("user.id", login.user_id, expect.field(verified, "user", "id"), verified)
    expect.equal("session_token", login.token, body.get("session_token"), verified)
    expect.true(bool(body.get("session_jwt")), "a fresh session_jwt (D5)", "none", verified)


@pytest.mark.rule(
    "VerifySession accepts the session_jwt instead of the token", source=sources.VERIFY_SESSION
)
def test_verify_session_by_jwt(flows: Flows, expect: Expect) -> None:
    """The JWT names the same session."""
    login = flows.login()
    verified = flows.verify_session(session_jwt=login.jwt)
    expect.ok(verified)
    expect.equal("session.id", login.session_id, expect.field(verified, "session", "id"), verified)


@pytest.mark.rule(
    "Extending a session sets expires_at to now + N minutes", source=sources.SESSION_MANAGEMENT
)
@pytest.mark.parametrize("minutes", [30, 5, 43_200])
def test_verify_session_extends_from_now(flows: Flows, expect: Expect, minutes: int) -> None:
    """``expires_at`` = the verification's ``last_active_at`` + N minutes (may shorten)."""
    login = flows.login(minutes=10)
    verified = flows.verify_session(session_token=login.token, session_expires_in=minutes)
    expect.ok(verified)
    session = expect.field(verified, "session")
    now = session.get("last_active_at", 0)
    expect.equal("expires_at", now + minutes * MINUTE, session.get("expires_at"), verified)
    server_now = verified.server_now()
    if server_now is not None:
        expect.true(
            abs(now - server_now) <= CLOCK_SLACK,
            f"last_active_at = the time of the call (~{server_now:.0f})",
            f"last_active_at = {now}",
            verified,
        )


@pytest.mark.rule(
    "Verifying a session without a length keeps expires_at", source=sources.VERIFY_SESSION
)
def test_verify_session_without_minutes_keeps_expiry(flows: Flows, expect: Expect) -> None:
    """A plain verification refreshes activity only."""
    login = flows.login(minutes=20)
    verified = flows.verify_session(session_token=login.token)
    expect.ok(verified)
    observed = expect.field(verified, "session", "expires_at")
    expect.equal("expires_at", login.session.get("expires_at"), observed, verified)


@pytest.mark.rule(
    "D10: an unknown session token is refused: 401 invalid_session",
    source=sources.SESSION_MANAGEMENT,
)
def test_verify_session_unknown_token(flows: Flows, expect: Expect) -> None:
    """A token that never existed."""
    refused = flows.verify_session(session_token="conformance" + "x" * 53)
    expect.error(refused, 401, "invalid_session")


@pytest.mark.rule(
    "D10: a deleted session is refused: 401 invalid_session", source=sources.SESSION_MANAGEMENT
)
def test_verify_session_after_delete(flows: Flows, expect: Expect) -> None:
    """After DeleteSession the token fails at once (revocation, D10)."""
    login = flows.login()
    expect.ok(flows.delete_session(session_token=login.token))
    expect.error(flows.verify_session(session_token=login.token), 401, "invalid_session")


@pytest.mark.rule(
    "D10: a session expires at expires_at (valid just before, not at it)",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.time_dependent
def test_verify_session_expires_at_boundary(
    flows: Flows, travel: TimeTravel, expect: Expect
) -> None:
    """Valid a second before ``expires_at``; 401 ``invalid_session`` from ``expires_at`` on."""
    login = flows.login(minutes=5)
    expires_at = float(login.session["expires_at"])
    travel.before(expires_at)
    expect.ok(flows.verify_session(session_token=login.token))
    travel.at(expires_at)
    expect.error(flows.verify_session(session_token=login.token), 401, "invalid_session")
