"""The Flask example's step-up: a page that needs a TOTP factor on the session."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from conformance import totp
from conformance.plugin import MoonkeyMock

EMAIL = "ada@example.com"
SignIn = Callable[..., dict[str, Any]]


def token_header(token: str) -> dict[str, str]:
    return {"session-token": token}


def test_billing_needs_a_totp_factor(client: FlaskClient, sign_in: SignIn) -> None:
    body = sign_in(EMAIL)
    refused = client.get("/api/billing", headers=token_header(body["session_token"]))
    assert refused.status_code == 403
    assert refused.json == {"error": "Step-up required", "step_up": "totp"}


def test_totp_setup_then_step_up_opens_billing(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    body = sign_in(EMAIL)
    old = body["session_token"]
    setup = client.post("/api/mfa/totp/setup", headers=token_header(old))
    assert setup.status_code == 200, setup.json
    assert setup.json is not None
    assert base64.b64decode(setup.json["qr_base64"])[:4] == b"\x89PNG"
    assert len(setup.json["recovery_codes"]) == 16
    code = moonkey_mock.totp_code(body["user"]["id"])
    stepped = client.post("/api/mfa/totp/verify", json={"code": code}, headers=token_header(old))
    assert stepped.status_code == 200, stepped.json
    assert stepped.json is not None
    new = stepped.json["session_token"]
    assert new != old
    billing = client.get("/api/billing", headers=token_header(new))
    assert billing.status_code == 200, billing.json
    assert billing.json == {"user_id": body["user"]["id"], "plan": "pro"}
    # A factor added rotates the token: the old one no longer verifies.
    assert client.get("/api/profile", headers=token_header(old)).status_code == 401
    assert moonkey_mock.request_count("VerifyTOTP") == 1


def test_step_up_with_a_wrong_code_is_refused(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    body = sign_in(EMAIL)
    token = body["session_token"]
    created = moonkey_mock.enroll_totp(EMAIL)
    wrong = totp.wrong_code(created["secret"], moonkey_mock.now())
    refused = client.post("/api/mfa/totp/verify", json={"code": wrong}, headers=token_header(token))
    assert refused.status_code == 400
    assert moonkey_mock.requests("VerifyTOTP")[-1]["status"] == 400
    assert client.get("/api/billing", headers=token_header(token)).status_code == 403


def test_step_up_survives_time_travel(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    body = sign_in(EMAIL, remember_me=True)
    moonkey_mock.enroll_totp(body["user"]["id"])
    moonkey_mock.advance(days=2)
    code = moonkey_mock.totp_code(EMAIL)  # the authenticator's code two days later
    stepped = client.post(
        "/api/mfa/totp/verify", json={"code": code}, headers=token_header(body["session_token"])
    )
    assert stepped.status_code == 200, stepped.json
    assert stepped.json is not None
    billing = client.get("/api/billing", headers=token_header(stepped.json["session_token"]))
    assert billing.status_code == 200
