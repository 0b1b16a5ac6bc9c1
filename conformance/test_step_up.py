"""Step-up with a session credential, and the seed's ``device_info`` (issue 25).

A verify that carries ``session_token`` adds its factor to that session (D19). Which user may do
so is published (the factor proves the session's own user); what happens to the token sent is
moonkey-mock's decision L10 (a new factor issues a new ``session_token``, the old one stops
working), so that rule carries the ``decision`` marker. Sources: the seed guide
https://docs.streambird.io/authentication/user-authentication/sessions/session-management and
docs/decisions.md L10, D8, D19.
"""

from __future__ import annotations

import pytest

from conformance import sources, totp
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.flows import Flows

CREATE = "/v1/auth/totps/create"
VERIFY = "/v1/auth/totps/verify"
SESSION_VERIFY = "/v1/auth/sessions/verify"
USER_AGENT = "Mozilla/5.0 (conformance; issue 25)"
IP = "192.168.1.1"


def _code(api: ApiClient, expect: Expect, user_id: str) -> str:
    """A current code of a fresh TOTP of ``user_id``."""
    made = api.post(CREATE, {"user_id": user_id})
    secret = str(expect.field(made, "secret"))
    at = made.server_now()
    expect.true(at is not None, "a Date header", "none", made)
    return totp.code(secret, at or 0.0)


@pytest.mark.rule(
    "D19: a factor of another user does not step up a session", source=sources.SESSION_MANAGEMENT
)
def test_step_up_with_other_users_factor_refused(
    flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """User B's TOTP code sent with user A's ``session_token`` → 4xx; A's session is unchanged."""
    alice = flows.login()
    bob = flows.create_user()
    sent = {"user_id": bob, "totp": _code(api, expect, bob), "session_token": alice.token}
    refused = api.post(VERIFY, sent)
    expect.true(
        400 <= refused.status < 500,
        "a 4xx: the factor proves another user than the session's",
        f"HTTP {refused.status}",
        refused,
    )
    checked = api.post(SESSION_VERIFY, {"session_token": alice.token})
    factors = [f.get("type") for f in expect.field(checked, "session", "factors")]
    expect.equal("factor types of A's session", ["otp"], factors, checked)


@pytest.mark.rule(
    "Step-up (the fake's choice): another user's session → 400 session_user_mismatch, code kept",
    source=sources.CHOICES,
)
@pytest.mark.decision("L10")
def test_step_up_other_user_is_session_user_mismatch(
    flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """The fake's error for rule D19's refusal, checked before B's code is consumed."""
    alice = flows.login()
    bob = flows.create_user()
    code = _code(api, expect, bob)
    sent = {"user_id": bob, "totp": code, "session_token": alice.token}
    expect.error(api.post(VERIFY, sent), 400, "session_user_mismatch")
    expect.ok(api.post(VERIFY, {"user_id": bob, "totp": code}))


@pytest.mark.rule(
    "Step-up (the fake's choice): a new factor issues a new session_token, the old one stops",
    source=sources.CHOICES,
)
@pytest.mark.decision("L10")
def test_step_up_rotates_session_token(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The same session id, a new token; VerifySession with the old token → 401/404."""
    login = flows.login()
    sent = {"user_id": login.user_id, "totp": _code(api, expect, login.user_id)}
    stepped = api.post(VERIFY, {**sent, "session_token": login.token})
    body = expect.ok(stepped)
    expect.equal("session.id", login.session_id, expect.field(stepped, "session", "id"), stepped)
    token = str(body.get("session_token", ""))
    expect.true(token != login.token, "a new session_token", "the token sent", stepped)
    expect.ok(api.post(SESSION_VERIFY, {"session_token": token}))
    old = api.post(SESSION_VERIFY, {"session_token": login.token})
    expect.true(
        old.status in (401, 404), "the old session_token refused", f"HTTP {old.status}", old
    )


@pytest.mark.rule(
    "Seed guide: sessions carry device_info {user_agent, ip_address}",
    source=sources.SESSION_MANAGEMENT,
)
def test_sessions_carry_device_info(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The seed's examples show ``device_info``: on the login's session and in ListSessions."""
    fingerprint = {"user_agent": USER_AGENT, "ip": IP}
    login = flows.login(device_fingerprint=fingerprint)
    listed = flows.list_sessions(login.user_id)
    sessions = expect.field(listed, "sessions")
    for where, session in (
        ("the login's session", login.session),
        *[("a listed session", s) for s in sessions],
    ):
        info = session.get("device_info") if isinstance(session, dict) else None
        expect.true(isinstance(info, dict), f"{where} has a device_info object", repr(info))
        assert isinstance(info, dict)
        for name in ("user_agent", "ip_address"):
            expect.true(
                isinstance(info.get(name), str),
                f"{where}'s device_info.{name} is a string",
                repr(info),
            )


@pytest.mark.rule(
    "Step-up (the fake's choice): re-proving a factor the session has keeps its session_token",
    source=sources.CHOICES,
)
@pytest.mark.decision("L10")
def test_step_up_known_factor_keeps_token(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """A second email OTP on the same session: same id, same token (other tabs stay logged in)."""
    login = flows.login()
    again = flows.verify_otp(login.email, minutes=None, session_token=login.token)
    body = expect.ok(again)
    expect.equal("session.id", login.session_id, expect.field(again, "session", "id"), again)
    expect.equal("session_token", login.token, body.get("session_token"), again)
