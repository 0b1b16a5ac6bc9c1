"""Sessions issued by the verify endpoints (OTP, magic link, OAuth), with and without a length.

The Session Management guide: every verify endpoint takes ``session_expires_in`` (minutes from
now); without it the session lasts the default 10,080 minutes (D2); D2's per-app ``none``
setting is the API reference's behaviour (no session).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.target import Target

DEFAULT_MINUTES = 10_080
MINUTE = 60


def check_issued(expect: Expect, verified: Exchange, minutes: int) -> dict[str, Any]:
    """A session of ``minutes`` with both credentials (the guides' "both credentials")."""
    body = expect.ok(verified)
    expect.true(bool(body.get("session_token")), "a session_token", "none", verified)
    expect.true(bool(body.get("session_jwt")), "a session_jwt", "none", verified)
    session = expect.field(verified, "session")
    length = session.get("expires_at", 0) - session.get("created_at", 0)
    expect.equal("session.expires_at - session.created_at", minutes * MINUTE, length, verified)
    expect.equal("session.user_id", body.get("user_id"), session.get("user_id"), verified)
    return dict(session)


@pytest.mark.rule(
    "VerifyOtp with session_expires_in issues an N-minute session",
    source=sources.SESSION_MANAGEMENT,
)
def test_verify_otp_with_session_expires_in(flows: Flows, expect: Expect) -> None:
    """VerifyOtp + ``session_expires_in: 120`` gives a 120-minute session and both credentials."""
    check_issued(expect, flows.verify_otp(flows.email("otp"), minutes=120), 120)


@pytest.mark.rule(
    "D2: VerifyOtp without session_expires_in gives a 10,080-minute session",
    source=sources.SESSION_MANAGEMENT,
)
def test_verify_otp_without_session_expires_in(flows: Flows, expect: Expect) -> None:
    """VerifyOtp without a length: the seed's default 7 days (D2)."""
    check_issued(expect, flows.verify_otp(flows.email("otp"), minutes=None), DEFAULT_MINUTES)


@pytest.mark.rule(
    "D3: VerifyOtp accepts the guide's {email, code} form", source=sources.SESSION_MANAGEMENT
)
def test_verify_otp_seed_form(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The seed's curl body ``{code, email, session_expires_in}`` logs in like the reference's."""
    email = flows.email("seedform")
    flows.send_otp(email)
    code = flows.read(email, "otp")
    verified = api.post(
        "/v1/auth/otps/verify", {"code": code, "email": email, "session_expires_in": 30}
    )
    check_issued(expect, verified, 30)


@pytest.mark.rule(
    "VerifyMagicToken with session_expires_in issues an N-minute session",
    source=sources.SESSION_MANAGEMENT,
)
def test_verify_magic_token_with_session_expires_in(
    flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """A magic-link token + ``session_expires_in: 90`` gives a 90-minute session."""
    token = flows.magic_token(flows.create_user())
    verified = api.post("/v1/auth/magic_links/verify", {"token": token, "session_expires_in": 90})
    check_issued(expect, verified, 90)


@pytest.mark.rule(
    "D2: VerifyMagicToken without session_expires_in: 10,080 minutes",
    source=sources.SESSION_MANAGEMENT,
)
def test_verify_magic_token_without_session_expires_in(
    flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """A magic-link token without a length: the default 7 days (D2)."""
    token = flows.magic_token(flows.create_user())
    verified = api.post("/v1/auth/magic_links/verify", {"token": token})
    check_issued(expect, verified, DEFAULT_MINUTES)


def _oauth_token(target: Target, flows: Flows) -> str:
    minted = target.control.mint_oauth_token("google", flows.email("oauth"))
    flows.remember(str(minted.get("user_id", "")))
    return str(minted["token"])


@pytest.mark.rule(
    "VerifyOAuthToken with session_expires_in issues an N-minute session",
    source=sources.SESSION_MANAGEMENT,
)
@pytest.mark.needs_control("oauth")
def test_verify_oauth_token_with_session_expires_in(
    target: Target, flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """An OAuth token (reference field ``token``) + ``session_expires_in: 45``: 45 minutes."""
    token = _oauth_token(target, flows)
    verified = api.post("/v1/auth/oauth/verify", {"token": token, "session_expires_in": 45})
    check_issued(expect, verified, 45)


@pytest.mark.rule(
    "D2, D4: VerifyOAuthToken {code} without session_expires_in: 10,080 minutes",
    source=sources.DECISIONS,
)
@pytest.mark.needs_control("oauth")
def test_verify_oauth_token_without_session_expires_in(
    target: Target, flows: Flows, api: ApiClient, expect: Expect
) -> None:
    """The seed's ``code`` field (D4) and no length: the default 7 days (D2)."""
    token = _oauth_token(target, flows)
    verified = api.post("/v1/auth/oauth/verify", {"code": token})
    check_issued(expect, verified, DEFAULT_MINUTES)


@pytest.mark.rule(
    "D2: an app set to 'none' issues no session without a length", source=sources.DECISIONS
)
@pytest.mark.needs_control("apps", "outbox")
def test_verify_otp_reference_mode_issues_no_session(target: Target, expect: Expect) -> None:
    """With ``default_session_minutes: null``: ``session: null``, empty token and JWT."""
    app = target.control.create_app(default_session_minutes=None)
    client = target.client(app["secret_key"])
    try:
        email = "conformance-reference-mode@example.com"
        sent = expect.ok(client.post("/v1/auth/otps/email/login_or_create", {"email": email}))
        code = target.control.for_app(app["app_id"]).latest_code(email)
        verified = client.post("/v1/auth/otps/verify", {"method_id": sent["email_id"], "otp": code})
        body = expect.ok(verified)
        expect.equal("session", None, body.get("session"), verified)
        expect.equal("session_token", "", body.get("session_token"), verified)
        expect.equal("session_jwt", "", body.get("session_jwt"), verified)
    finally:
        client.close()
        target.control.delete_app(app["app_id"])


@pytest.mark.rule(
    "D6: an auth verify returns the session and the user", source=sources.SESSION_MANAGEMENT
)
def test_verify_otp_returns_session_and_user(flows: Flows, expect: Expect) -> None:
    """VerifyOtp's answer carries ``user`` (``id`` = ``user_id``, ``email``) and ``session``."""
    login = flows.login()
    body, exchange = login.body, login.exchange
    expect.equal("user.id", body.get("user_id"), expect.field(exchange, "user", "id"), exchange)
    expect.equal("user.email", login.email, expect.field(exchange, "user", "email"), exchange)
    expect.equal("user.user_id", body.get("user_id"), body["user"].get("user_id"), exchange)
    expect.true(
        str(login.session_id).startswith("sess_"), "session.id sess_… (D7)", login.session_id
    )
