"""Factors accumulate on one session: email OTP, then TOTP, then password (D19, T2, T9)."""

from __future__ import annotations

import jwt

from mock_server.state import MockState
from tests.api.test_totps import rfc6238
from tests.conftest import START
from tests.helpers import Api, login

T0 = int(START.timestamp())
PASSWORD = "correct-Horse-battery-9"


def test_email_otp_session_stepped_up_with_totp_then_password(api: Api, state: MockState) -> None:
    first = login(api, state, "ann@example.com")
    user_id, session_id = first["user_id"], first["session"]["id"]
    made = api.post("/v1/auth/totps/create", {"user_id": user_id}).get_json()
    totp = api.post(
        "/v1/auth/totps/verify",
        {
            "user_id": user_id,
            "totp": rfc6238(made["secret"], T0),
            "session_token": first["session_token"],
        },
    ).get_json()
    assert totp["session"]["id"] == session_id
    reply = api.post(
        "/v1/auth/passwords/session/update",
        {"password": PASSWORD, "session_jwt": totp["session_jwt"]},
    )
    assert reply.status_code == 200, reply.get_json()
    final = api.post(
        "/v1/auth/passwords/verify",
        {"password": PASSWORD, "session_token": totp["session_token"]},
    ).get_json()
    session = final["session"]
    assert session["id"] == session_id
    kinds = [(f["delivery_channel"], f["type"]) for f in session["factors"]]
    assert kinds == [("email", "otp"), ("totp_authenticator", "totp"), ("password", "password")]
    claims = jwt.decode(final["session_jwt"], options={"verify_signature": False})
    assert claims["jti"] == session_id
    assert claims["session"]["factors"] == session["factors"]
    listed = api.get("/v1/auth/sessions/list", user_id=user_id).get_json()["sessions"]
    assert [s["id"] for s in listed] == [session_id]
    assert len(listed[0]["factors"]) == 3
    user = final["user"]
    assert user["has_password"] is True
    assert [t["verified"] for t in user["totps"]] == [True]
