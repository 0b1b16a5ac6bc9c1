"""One-time passcodes: send, login_or_create and verify by email and SMS (D2, D3, L2-L10)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from mock_server.clock import ControllableClock
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, latest_code, login

EMAIL_SEND = "/v1/auth/otps/email/send"
SMS_SEND = "/v1/auth/otps/sms/send"
EMAIL_LOC = "/v1/auth/otps/email/login_or_create"
SMS_LOC = "/v1/auth/otps/sms/login_or_create"
VERIFY = "/v1/auth/otps/verify"
SESSIONS = "/v1/auth/sessions/verify"
T0 = int(START.timestamp())
EMAIL = "ann@example.com"
PHONE = "+14155550123"


def _user(api: Api, **fields: Any) -> dict[str, Any]:
    reply = api.post("/v1/auth/users/create", fields)
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _send_email(api: Api, state: MockState, email: str = EMAIL, **extra: Any) -> str:
    assert api.post(EMAIL_LOC, {"email": email, **extra}).status_code == 200
    return latest_code(state, email)


def _wrong(code: str) -> str:
    return "".join(str((int(c) + 1) % 10) for c in code)


# --- send ------------------------------------------------------------------------------


def test_create_email_otp_sends_a_code_to_an_existing_user(api: Api, state: MockState) -> None:
    user = _user(api, email=EMAIL)
    reply = api.post(EMAIL_SEND, {"email": EMAIL})
    assert reply.status_code == 200
    assert reply.get_json() == {"email_id": user["email_id"], "user_id": user["user_id"]}
    message = state.outbox.latest(to=EMAIL)
    assert message is not None
    assert (message.kind, message.channel, message.to) == ("otp", "email", EMAIL)
    assert (message.user_id, message.method_id) == (user["user_id"], user["email_id"])
    assert len(message.code) == 6
    assert message.code.isdigit()
    assert (message.sent_at, message.expires_at) == (T0, T0 + 60)  # default 1 minute


def test_create_sms_otp_sends_a_code_with_its_expiry(api: Api, state: MockState) -> None:
    user = _user(api, phone_number=PHONE)
    reply = api.post(SMS_SEND, {"phone_number": PHONE, "expires_in": 10})
    assert reply.status_code == 200
    assert reply.get_json() == {
        "phone_number_id": user["phone_number_id"],
        "user_id": user["user_id"],
    }
    message = state.outbox.latest(to=PHONE)
    assert message is not None
    assert (message.channel, message.method_id) == ("sms", user["phone_number_id"])
    assert message.expires_at == T0 + 600


@pytest.mark.parametrize(
    ("path", "body", "what"),
    [(EMAIL_SEND, {"email": EMAIL}, EMAIL), (SMS_SEND, {"phone_number": PHONE}, PHONE)],
)
def test_create_otp_unknown_user_is_404(
    api: Api, state: MockState, path: str, body: dict[str, str], what: str
) -> None:
    assert_error(api.post(path, body), 404, "user_not_found", what)
    assert state.outbox.messages() == []


@pytest.mark.parametrize("expires_in", [0, 11, 1.5, "1"])
def test_create_email_otp_expires_in_out_of_range_is_400(
    api: Api, state: MockState, expires_in: Any
) -> None:
    _user(api, email=EMAIL)
    reply = api.post(EMAIL_SEND, {"email": EMAIL, "expires_in": expires_in})
    assert_error(reply, 400, "validation_error", "expires_in")


def test_create_sms_otp_not_e164_is_400(api: Api) -> None:
    reply = api.post(SMS_SEND, {"phone_number": "4155550123"})
    assert_error(reply, 400, "validation_error", "phone_number")


def test_login_or_create_user_by_email_otp_creates_then_logs_in(api: Api, state: MockState) -> None:
    first = api.post(EMAIL_LOC, {"email": EMAIL}).get_json()
    assert first["user_created"] is True
    assert first["status"] == "pending"
    second = api.post(EMAIL_LOC, {"email": "ANN@Example.com"}).get_json()
    assert second == {**first, "user_created": False}
    verified = api.post(VERIFY, {"email": EMAIL, "code": latest_code(state, EMAIL)})
    assert verified.status_code == 200
    user = api.get(f"/v1/auth/users/{first['user_id']}").get_json()
    assert user["status"] == "active"
    assert user["emails"][0]["verified"] is True
    assert api.post(EMAIL_LOC, {"email": EMAIL}).get_json()["status"] == "active"


@pytest.mark.parametrize("flag", ["requires_verification", "requies_verification"])
def test_login_or_create_user_by_email_otp_without_verification_is_active(
    api: Api, flag: str
) -> None:
    reply = api.post(EMAIL_LOC, {"email": EMAIL, flag: False})
    assert reply.get_json()["status"] == "active"


def test_login_or_create_user_by_sms_creates_then_logs_in(api: Api, state: MockState) -> None:
    first = api.post(SMS_LOC, {"phone_number": PHONE}).get_json()
    assert (first["user_created"], first["status"]) == (True, "pending")
    assert first["phone_number_id"].startswith("pn_")
    second = api.post(SMS_LOC, {"phone_number": PHONE}).get_json()
    assert second == {**first, "user_created": False}
    code = latest_code(state, PHONE)
    assert api.post(VERIFY, {"phone_number": PHONE, "code": code}).status_code == 200
    assert api.get(f"/v1/auth/users/{first['user_id']}").get_json()["status"] == "active"


# --- verify: the three input forms and the factors --------------------------------------


def test_verify_otp_by_method_id_and_otp_email_factor(api: Api, state: MockState) -> None:
    sent = api.post(EMAIL_LOC, {"email": EMAIL}).get_json()
    reply = api.post(VERIFY, {"method_id": sent["email_id"], "otp": latest_code(state, EMAIL)})
    assert reply.status_code == 200
    body = reply.get_json()
    assert (body["method_id"], body["method_type"]) == (sent["email_id"], "email")
    assert body["user_id"] == body["user"]["id"] == sent["user_id"]
    assert body["user"]["email"] == EMAIL
    assert body["session_token"] == body["session"]["session_token"]
    assert body["session"]["factors"] == [
        {
            "delivery_channel": "email",
            "type": "otp",
            "method": {
                "id": sent["email_id"],
                "method_id": sent["email_id"],
                "method_type": "email",
                "last_verified_at": T0,
                "email_id": sent["email_id"],
                "email": EMAIL,
            },
        }
    ]


def test_verify_otp_by_email_and_code(api: Api, state: MockState) -> None:
    code = _send_email(api, state)
    reply = api.post(VERIFY, {"email": "Ann@Example.COM", "code": code})
    assert reply.status_code == 200
    assert reply.get_json()["method_type"] == "email"


def test_verify_otp_by_phone_number_and_code_sms_factor(api: Api, state: MockState) -> None:
    sent = api.post(SMS_LOC, {"phone_number": PHONE}).get_json()
    reply = api.post(VERIFY, {"phone_number": PHONE, "code": latest_code(state, PHONE)})
    assert reply.status_code == 200
    body = reply.get_json()
    assert (body["method_id"], body["method_type"]) == (sent["phone_number_id"], "phone_number")
    [factor] = body["session"]["factors"]
    assert (factor["delivery_channel"], factor["type"]) == ("sms", "otp")
    method = factor["method"]
    assert method["method_id"] == method["phone_number_id"] == sent["phone_number_id"]
    assert (method["method_type"], method["phone_number"]) == ("phone_number", PHONE)
    assert body["user"]["email"] == ""


def test_verify_otp_device_fingerprint_is_stored_in_both_shapes(api: Api, state: MockState) -> None:
    code = _send_email(api, state)
    device = {"ip": "123.2.1.1", "user_agent": "Mozilla/5.0"}
    body = api.post(VERIFY, {"email": EMAIL, "code": code, "device_fingerprint": device}).get_json()
    assert body["session"]["device_fingerprint"] == device
    assert body["session"]["device_info"] == {
        "ip_address": "123.2.1.1",
        "user_agent": "Mozilla/5.0",
    }
    plain = login(api, state, "bob@example.com")["session"]
    assert plain["device_fingerprint"] == {"ip": "", "user_agent": ""}
    assert plain["device_info"] == {"ip_address": "", "user_agent": ""}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"method_id": "email_x", "email": EMAIL, "otp": "1"},
            "'method_id', 'email', 'phone_number'",
        ),
        (
            {"email": EMAIL, "phone_number": PHONE, "code": "1"},
            "'method_id', 'email', 'phone_number'",
        ),
        ({"otp": "123456"}, "'method_id', 'email', 'phone_number'"),
        ({"email": EMAIL, "otp": "1", "code": "1"}, "exactly one of 'otp', 'code'"),
        ({"email": EMAIL}, "exactly one of 'otp', 'code'"),
        ({"email": EMAIL, "code": ""}, "code"),
        ({"email": EMAIL, "code": 123456}, "expected a string, got 123456"),
        ({"email": EMAIL, "code": "1", "pin": "1"}, "Unknown body field 'pin'"),
    ],
)
def test_verify_otp_exactly_one_rules_and_types_are_400(
    api: Api, state: MockState, body: dict[str, Any], message: str
) -> None:
    code = _send_email(api, state)
    assert_error(api.post(VERIFY, body), 400, "validation_error", message)
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200  # not consumed


@pytest.mark.parametrize(
    "body",
    [{"method_id": "email_unknown"}, {"email": "nobody@example.com"}, {"phone_number": PHONE}],
)
def test_verify_otp_unknown_method_is_404(api: Api, body: dict[str, str]) -> None:
    assert_error(api.post(VERIFY, {**body, "otp": "123456"}), 404, "method_not_found", "No ")


# --- verify: wrong, expired, used, locked ----------------------------------------------


def test_verify_otp_wrong_code_is_400_with_attempts_left(api: Api, state: MockState) -> None:
    code = _send_email(api, state)
    reply = api.post(VERIFY, {"email": EMAIL, "code": _wrong(code)})
    assert_error(reply, 400, "invalid_otp", "4 attempts left")
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200


def test_verify_otp_without_pending_code_is_400(api: Api) -> None:
    _user(api, email=EMAIL)
    reply = api.post(VERIFY, {"email": EMAIL, "code": "123456"})
    assert_error(reply, 400, "invalid_otp", "No passcode is pending")


def test_verify_otp_is_single_use(api: Api, state: MockState) -> None:
    code = _send_email(api, state)
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200
    again = api.post(VERIFY, {"email": EMAIL, "code": code})
    assert_error(again, 400, "invalid_otp", "No passcode is pending")


@pytest.mark.parametrize(("expires_in", "seconds"), [(None, 60), (3, 180), (10, 600)])
def test_verify_otp_valid_until_expiry_then_otp_expired(
    api: Api, state: MockState, clock: ControllableClock, expires_in: int | None, seconds: int
) -> None:
    extra: dict[str, Any] = {} if expires_in is None else {"expires_in": expires_in}
    code = _send_email(api, state, **extra)
    clock.move_to(START + timedelta(seconds=seconds - 1))
    assert_error(
        api.post(VERIFY, {"email": EMAIL, "code": _wrong(code)}), 400, "invalid_otp", "left"
    )
    clock.move_to(START + timedelta(seconds=seconds))
    expired = api.post(VERIFY, {"email": EMAIL, "code": code})
    assert_error(expired, 400, "otp_expired", "expired")
    later = api.post(VERIFY, {"email": EMAIL, "code": code})  # an expired code is dropped
    assert_error(later, 400, "invalid_otp", "No passcode is pending")


def test_verify_otp_five_wrong_attempts_burn_the_code(api: Api, state: MockState) -> None:
    code = _send_email(api, state)
    for left in (4, 3, 2, 1):
        reply = api.post(VERIFY, {"email": EMAIL, "code": _wrong(code)})
        assert_error(reply, 400, "invalid_otp", f"({left} attempts left)")
    fifth = api.post(VERIFY, {"email": EMAIL, "code": _wrong(code)})
    assert_error(fifth, 429, "too_many_attempts", "Too many wrong passcodes")
    right = api.post(VERIFY, {"email": EMAIL, "code": code})
    assert_error(right, 429, "too_many_attempts", "send a new one")
    fresh = _send_email(api, state)
    assert api.post(VERIFY, {"email": EMAIL, "code": fresh}).status_code == 200


def test_verify_otp_new_send_replaces_the_pending_code(api: Api, state: MockState) -> None:
    first = _send_email(api, state)
    assert_error(api.post(VERIFY, {"email": EMAIL, "code": _wrong(first)}), 400, "invalid_otp", "4")
    second = _send_email(api, state)
    if first != second:
        old = api.post(VERIFY, {"email": EMAIL, "code": first})
        assert_error(old, 400, "invalid_otp", "4 attempts left")  # attempts were reset too
    assert api.post(VERIFY, {"email": EMAIL, "code": second}).status_code == 200


def test_verify_otp_other_methods_keep_their_pending_codes(api: Api, state: MockState) -> None:
    _user(api, email=EMAIL, phone_number=PHONE)
    assert api.post(EMAIL_SEND, {"email": EMAIL}).status_code == 200
    assert api.post(SMS_SEND, {"phone_number": PHONE}).status_code == 200
    sms_code = latest_code(state, PHONE)
    assert api.post(VERIFY, {"email": EMAIL, "code": latest_code(state, EMAIL)}).status_code == 200
    assert api.post(VERIFY, {"phone_number": PHONE, "code": sms_code}).status_code == 200


# --- verify: sessions (D2, L10) --------------------------------------------------------


@pytest.mark.parametrize(("minutes", "length"), [(None, 10080), (5, 5), (527040, 527040)])
def test_verify_otp_creates_a_session_of_the_requested_or_default_length(
    api: Api, state: MockState, minutes: int | None, length: int
) -> None:
    extra = {} if minutes is None else {"session_expires_in": minutes}
    body = login(api, state, EMAIL, **extra)
    session = body["session"]
    assert session["id"].startswith("sess_")
    assert len(body["session_token"]) == 64
    assert session["started_at"] == session["created_at"] == session["last_active_at"] == T0
    assert session["expires_at"] == T0 + length * 60


@pytest.mark.parametrize("minutes", [4, 527041, 10.5, "10"])
def test_verify_otp_session_expires_in_out_of_range_is_400_and_keeps_the_code(
    api: Api, state: MockState, minutes: Any
) -> None:
    code = _send_email(api, state)
    reply = api.post(VERIFY, {"email": EMAIL, "code": code, "session_expires_in": minutes})
    assert_error(reply, 400, "validation_error", "session_expires_in")
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200


def test_verify_otp_app_without_default_session_returns_no_session(
    api: Api, state: MockState
) -> None:
    state.store.put_app(dataclasses.replace(state.default_app(), default_session_minutes=None))
    body = login(api, state, EMAIL)
    assert (body["session"], body["session_token"], body["session_jwt"]) == (None, "", "")
    assert body["user"]["status"] == "active"
    assert api.get("/v1/auth/sessions/list", user_id=body["user_id"]).get_json()["sessions"] == []
    with_length = login(api, state, EMAIL, session_expires_in=60)
    assert with_length["session"]["expires_at"] == T0 + 3600


def test_verify_otp_with_session_token_extends_the_same_session(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    first = login(api, state, EMAIL, session_expires_in=60)
    clock.shift(timedelta(minutes=5))
    code = _send_email(api, state)
    body = {"email": EMAIL, "code": code, "session_token": first["session_token"]}
    reply = api.post(VERIFY, {**body, "session_expires_in": 120})
    assert reply.status_code == 200
    session = reply.get_json()["session"]
    assert session["id"] == first["session"]["id"]
    assert reply.get_json()["session_token"] == first["session_token"]  # known factor: same token
    assert session["expires_at"] == T0 + 300 + 120 * 60
    assert [f["method"]["last_verified_at"] for f in session["factors"]] == [T0 + 300]
    assert state.store.session_count() == 1


def test_verify_otp_with_session_jwt_and_a_new_factor_rotates_the_token(
    api: Api, state: MockState
) -> None:
    user = _user(api, email=EMAIL, phone_number=PHONE)
    first = login(api, state, EMAIL)
    assert api.post(SMS_SEND, {"phone_number": PHONE}).status_code == 200
    code = latest_code(state, PHONE)
    reply = api.post(
        VERIFY, {"phone_number": PHONE, "code": code, "session_jwt": first["session_jwt"]}
    )
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["user_id"] == user["user_id"]
    assert body["session"]["id"] == first["session"]["id"]
    assert body["session"]["expires_at"] == first["session"]["expires_at"]  # no session_expires_in
    assert body["session_token"] != first["session_token"]
    assert [f["delivery_channel"] for f in body["session"]["factors"]] == ["email", "sms"]
    stale = api.post(SESSIONS, {"session_token": first["session_token"]})
    assert_error(stale, 401, "invalid_session", "Session not found")
    assert api.post(SESSIONS, {"session_token": body["session_token"]}).status_code == 200


def test_verify_otp_with_session_of_another_user_is_400_and_keeps_the_code(
    api: Api, state: MockState
) -> None:
    bob = login(api, state, "bob@example.com")
    code = _send_email(api, state)
    reply = api.post(VERIFY, {"email": EMAIL, "code": code, "session_token": bob["session_token"]})
    assert_error(reply, 400, "session_user_mismatch", "different user")
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200
    bob_now = api.post(SESSIONS, {"session_token": bob["session_token"]}).get_json()
    assert bob_now["session"]["factors"] == bob["session"]["factors"]


@pytest.mark.parametrize("field", ["session_token", "session_jwt"])
def test_verify_otp_with_invalid_session_credential_is_401_and_keeps_the_code(
    api: Api, state: MockState, field: str
) -> None:
    code = _send_email(api, state)
    reply = api.post(VERIFY, {"email": EMAIL, "code": code, field: "x" * 64})
    assert_error(reply, 401, "invalid_session", "Session not found")
    assert api.post(VERIFY, {"email": EMAIL, "code": code}).status_code == 200


def test_verify_otp_with_deleted_session_token_is_401(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    deleted = api.delete("/v1/auth/sessions/delete", {"session_token": first["session_token"]})
    assert deleted.status_code == 200
    code = _send_email(api, state)
    reply = api.post(
        VERIFY, {"email": EMAIL, "code": code, "session_token": first["session_token"]}
    )
    assert_error(reply, 401, "invalid_session", "Session not found")
