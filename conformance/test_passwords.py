"""Passwords (Enterprise): set by session, verify, strength check (D23, T7-T10).

Published pages: https://developers.streambird.io/operation/operation-updatepasswordbysession,
https://docs.streambird.io/api-reference/passwords/verify-password-enterprise,
https://developers.streambird.io/operation/operation-verifypassword.md and
https://developers.streambird.io/operation/operation-passwordstrengthcheck.
"""

from __future__ import annotations

import json

import pytest

from conformance import sources, totp
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.target import Target

SET = "/v1/auth/passwords/session/update"
VERIFY = "/v1/auth/passwords/verify"
STRENGTH = "/v1/auth/passwords/strength_check"
PASSWORD = "Quiet-violet-harbour-7341"


@pytest.mark.rule(
    "D19: email OTP, then TOTP, then password on one session", source=sources.VERIFY_PASSWORD
)
def test_three_factors_on_one_session(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The session keeps its id and lists three factors; the JWT's session follows."""
    login = flows.login()
    made = api.post("/v1/auth/totps/create", {"user_id": login.user_id})
    secret = str(expect.field(made, "secret"))
    at = made.server_now() or 0.0
    stepped = api.post(
        "/v1/auth/totps/verify",
        {"user_id": login.user_id, "totp": totp.code(secret, at), "session_token": login.token},
    )
    token = str(expect.field(stepped, "session_token"))
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": token}))
    final = api.post(VERIFY, {"password": PASSWORD, "session_token": token})
    session = expect.field(final, "session")
    expect.equal("session.id", login.session_id, session.get("id"), final)
    types = [f.get("type") for f in session.get("factors", [])]
    expect.equal("factor types", ["otp", "totp", "password"], types, final)
    checked = api.post("/v1/auth/sessions/verify", {"session_jwt": final.json["session_jwt"]})
    factors = expect.field(checked, "session", "factors")
    expect.equal("factors after VerifySession by JWT", 3, len(factors), checked)


@pytest.mark.rule(
    "T9 / D23: a wrong password → 400 invalid_password; the right one still works",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
def test_verify_password_wrong(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """One wrong attempt is refused and counted; the right password then logs in."""
    login = flows.login()
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": login.token}))
    wrong = api.post(VERIFY, {"user_id": login.user_id, "password": PASSWORD + "x"})
    expect.error(wrong, 400, "invalid_password")
    expect.ok(api.post(VERIFY, {"user_id": login.user_id, "password": PASSWORD}))


@pytest.mark.rule(
    "T9 / D23: wrong passwords are counted like passcodes: 429 after 5",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
def test_verify_password_locks_after_attempts(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """Five wrong passwords in a row lock the password: even the right one → 429."""
    login = flows.login()
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": login.token}))
    for _ in range(4):
        wrong = api.post(VERIFY, {"user_id": login.user_id, "password": "nope"})
        expect.error(wrong, 400, "invalid_password")
    locked = api.post(VERIFY, {"user_id": login.user_id, "password": "nope"})
    expect.error(locked, 429, "too_many_attempts")
    right = api.post(VERIFY, {"user_id": login.user_id, "password": PASSWORD})
    expect.error(right, 429, "too_many_attempts")


@pytest.mark.rule("T7: a weak password is not set", source=sources.USERS_TOTP_PASSWORDS_DECISIONS)
def test_update_password_weak(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """``password`` → 400 ``weak_password``; the user still has no password."""
    login = flows.login()
    expect.error(api.post(SET, {"password": "password", "session_token": login.token}), 400)
    refused = api.post(VERIFY, {"user_id": login.user_id, "password": "password"})
    expect.error(refused, 400, "password_not_set")


@pytest.mark.rule(
    "T7: the session needs an OTP, magic-link or password factor",
    source=sources.UPDATE_PASSWORD_BY_SESSION,
)
@pytest.mark.needs_control("oauth")
def test_update_password_needs_factor(
    target: Target, flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """A session proven only by OAuth → 403 ``insufficient_factors``."""
    minted = target.control.mint_oauth_token("google", flows.email("pwoauth"))
    flows.remember(str(minted.get("user_id", "")))
    logged = api.post("/v1/auth/oauth/verify", {"token": minted["token"]})
    token = str(expect.field(logged, "session_token"))
    refused = api.post(SET, {"password": PASSWORD, "session_token": token})
    expect.error(refused, 403, "insufficient_factors")


@pytest.mark.rule(
    "D23, T8: passwords are never exported in plain text",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
@pytest.mark.needs_control("state")
def test_password_not_in_export(
    target: Target, flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """The state export does not contain the password."""
    login = flows.login()
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": login.token}))
    exported = json.dumps(target.control.export_state())
    expect.true(PASSWORD not in exported, "no plain-text password", "found in the export")


@pytest.mark.rule(
    "T10: the strength check ranks passwords 0..4", source=sources.PASSWORD_STRENGTH_CHECK
)
def test_password_strength_check(api: ApiClient, expect: Expect) -> None:
    """A common word scores lower and cracks faster than a long passphrase."""
    weak = api.post(STRENGTH, {"password": "password"})
    strong = api.post(STRENGTH, {"password": "correct horse battery staple orbit"})
    weak_body, strong_body = expect.ok(weak), expect.ok(strong)
    expect.true(weak_body.get("score", 9) <= 1, "'password' scores 0 or 1", repr(weak_body), weak)
    expect.equal("score of a long passphrase", 4, strong_body.get("score"), strong)
    expect.true(
        float(weak_body.get("crack_time", 0)) < float(strong_body.get("crack_time", 0)),
        "crack_time grows with strength",
        f"{weak_body.get('crack_time')} vs {strong_body.get('crack_time')}",
        strong,
    )
    expect.true(bool(strong_body.get("crack_time_display")), "a crack_time_display", "none")


@pytest.mark.rule(
    "VerifyPassword: the password with its case changed is refused",
    source=sources.VERIFY_PASSWORD,
)
def test_verify_password_is_case_sensitive(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """A password is compared exactly: the same letters with their case swapped → 400."""
    login = flows.login()
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": login.token}))
    for changed in (PASSWORD.swapcase(), PASSWORD.lower()):
        refused = api.post(VERIFY, {"user_id": login.user_id, "password": changed})
        expect.true(
            refused.status == 400,
            f"{changed!r} (the password's case changed) refused with 400",
            f"HTTP {refused.status}",
            refused,
        )
    expect.ok(api.post(VERIFY, {"user_id": login.user_id, "password": PASSWORD}))


@pytest.mark.rule(
    "T11 (the fake's choice): the User says has_password false, then true",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
@pytest.mark.decision("T11")
def test_user_has_password(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """GetUser's ``has_password`` follows UpdatePasswordBySession; no password object is shown."""
    login = flows.login()
    before = api.get(f"/v1/auth/users/{login.user_id}")
    expect.equal("has_password before", False, expect.field(before, "has_password"), before)
    expect.ok(api.post(SET, {"password": PASSWORD, "session_token": login.token}))
    after = api.get(f"/v1/auth/users/{login.user_id}")
    expect.equal("has_password after", True, expect.field(after, "has_password"), after)
    found = PASSWORD in json.dumps(after.body)
    expect.true(not found, "no password in the User", "the password is in it", after)
