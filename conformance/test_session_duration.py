"""``session_expires_in`` bounds on every endpoint that takes it.

The Session Management guide and D1: integer minutes, 5..527,040 inclusive; anything else (4,
527,041, a fraction, a string) is refused with 400 in the D9 envelope. D15: a target that refuses
527,040 follows the reference's 525,600, a deviation from the seed.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows, Login

MINUTE = 60
ACCEPTED = [5, 527_040]
REFUSED = [4, 527_041, 5.5, "60", True]
BOUNDS = "D1"


@pytest.fixture(scope="module")
def shared_login(flows: Flows) -> Login:
    """One session the tests of this module extend (none of them deletes it)."""
    return flows.login(minutes=60)


def _magic_verify(flows: Flows, api: ApiClient, minutes: Any) -> Exchange:
    token = flows.magic_token(flows.create_user())
    return api.post("/v1/auth/magic_links/verify", {"token": token, "session_expires_in": minutes})


@pytest.mark.rule(
    f"{BOUNDS}: VerifySession accepts 5 and 527,040 minutes (D15)",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.parametrize("minutes", ACCEPTED)
def test_verify_session_accepts_bounds(
    flows: Flows, shared_login: Login, expect: Expect, minutes: int
) -> None:
    """Extending to a bound works and expires N minutes after the verification."""
    verified = flows.verify_session(session_token=shared_login.token, session_expires_in=minutes)
    expect.ok(verified)
    session = expect.field(verified, "session")
    length = session["expires_at"] - session["last_active_at"]
    expect.equal("expires_at - last_active_at", minutes * MINUTE, length, verified)


@pytest.mark.rule(
    f"{BOUNDS}: VerifySession refuses 4, 527,041 and non-integers with 400",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.parametrize("minutes", REFUSED, ids=repr)
def test_verify_session_refuses_out_of_bounds(
    flows: Flows, shared_login: Login, expect: Expect, minutes: Any
) -> None:
    """Out of range or not an integer: 400 in the envelope, and the session is unchanged."""
    before = flows.verify_session(session_token=shared_login.token)
    refused = flows.verify_session(session_token=shared_login.token, session_expires_in=minutes)
    expect.error(refused, 400)
    after = flows.verify_session(session_token=shared_login.token)
    old, new = before.json.get("session", {}), after.json.get("session", {})
    expect.equal(
        "expires_at after a refused extension", old.get("expires_at"), new.get("expires_at"), after
    )


@pytest.mark.rule(
    f"{BOUNDS}: VerifyMagicToken accepts 5 and 527,040 minutes (D15)",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.parametrize("minutes", ACCEPTED)
def test_verify_magic_token_accepts_bounds(
    flows: Flows, api: ApiClient, expect: Expect, minutes: int
) -> None:
    """A new session of exactly the bound."""
    verified = _magic_verify(flows, api, minutes)
    expect.ok(verified)
    session = expect.field(verified, "session")
    length = session["expires_at"] - session["created_at"]
    expect.equal("expires_at - created_at", minutes * MINUTE, length, verified)


@pytest.mark.rule(
    f"{BOUNDS}: VerifyMagicToken refuses 4, 527,041 and non-integers with 400",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.parametrize("minutes", REFUSED, ids=repr)
def test_verify_magic_token_refuses_out_of_bounds(
    flows: Flows, api: ApiClient, expect: Expect, minutes: Any
) -> None:
    """Out of range or not an integer: 400 in the envelope."""
    expect.error(_magic_verify(flows, api, minutes), 400)


@pytest.mark.rule(
    f"{BOUNDS}: VerifyOtp refuses 4, 527,041 and non-integers with 400",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.parametrize("minutes", [4, 527_041, 5.5])
def test_verify_otp_refuses_out_of_bounds(flows: Flows, expect: Expect, minutes: Any) -> None:
    """Out of range or not an integer on VerifyOtp: 400 in the envelope."""
    expect.error(flows.verify_otp(flows.email("bounds"), minutes=minutes), 400)


@pytest.mark.rule(
    f"{BOUNDS}: VerifyOtp accepts 5 and 527,040 minutes (D15)", source=sources.SESSION_MANAGEMENT
)
@pytest.mark.parametrize("minutes", ACCEPTED)
def test_verify_otp_accepts_bounds(flows: Flows, expect: Expect, minutes: int) -> None:
    """A new session of exactly the bound."""
    verified = flows.verify_otp(flows.email("bounds"), minutes=minutes)
    expect.ok(verified)
    session = expect.field(verified, "session")
    length = session["expires_at"] - session["created_at"]
    expect.equal("expires_at - created_at", minutes * MINUTE, length, verified)
