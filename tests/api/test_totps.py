"""TOTP: CreateTOTP, VerifyTOTP, GetTOTPRecoveryCodes, VerifyTOTPRecovery (more reference §6; D20).

Codes are computed here with ``cryptography``'s RFC 6238 implementation, independent of the
``pyotp`` the fake uses.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import jwt
import pytest
import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from mock_server.clock import ControllableClock
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, login

CREATE = "/v1/auth/totps/create"
VERIFY = "/v1/auth/totps/verify"
CODES = "/v1/auth/totps/recovery_codes"
RECOVERY = "/v1/auth/totps/recovery"
T0 = int(START.timestamp())
EMAIL = "ann@example.com"


def rfc6238(secret: str, at: float) -> str:
    """The 6-digit SHA-1 30-second code of a base32 secret (independent implementation)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(at).decode()


def _user(api: Api, email: str = EMAIL) -> str:
    reply = api.post("/v1/auth/users/create", {"email": email})
    assert reply.status_code == 200, reply.get_json()
    user_id: str = reply.get_json()["user_id"]
    return user_id


def _create(api: Api, user_id: str, **extra: Any) -> dict[str, Any]:
    reply = api.post(CREATE, {"user_id": user_id, **extra})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _active(api: Api, user_id: str, *, at: float = T0) -> dict[str, Any]:
    """A verified TOTP (verified with the code of the step before ``at``'s)."""
    made = _create(api, user_id)
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], at - 30)})
    assert reply.status_code == 200, reply.get_json()
    return made


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert (
        zlib.crc32(data[12 : 16 + length])
        == struct.unpack(">I", data[16 + length : 20 + length])[0]
    )
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- CreateTOTP --------------------------------------------------------------------------


def test_create_totp_returns_secret_codes_and_png_qr(api: Api) -> None:
    user_id = _user(api)
    body = _create(api, user_id)
    assert body["user_id"] == user_id
    assert body["totp_id"].startswith("totp_")
    assert len(base64.b32decode(body["secret"])) == 20
    assert len(body["recovery_codes"]) == 16
    assert len(set(body["recovery_codes"])) == 16
    assert all(len(c) == 11 and c[5] == "-" for c in body["recovery_codes"])
    width, height = _png_size(base64.b64decode(body["qr_base64"]))
    assert width == height > 100
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Default app:{EMAIL}"
    assert parse_qs(uri.query) == {"secret": [body["secret"]], "issuer": ["Default app"]}
    assert body["expires_at"] == T0 + 30 * 60


def test_create_totp_qr_is_the_otpauth_uri(api: Api) -> None:
    body = _create(api, _user(api))
    out = io.BytesIO()
    segno.make(body["otpauth_uri"], error="m").save(out, kind="png", scale=4, border=4)
    assert base64.b64decode(body["qr_base64"]) == out.getvalue()


def test_create_totp_lists_pending_totp_on_user(api: Api) -> None:
    user_id = _user(api)
    body = _create(api, user_id)
    user = api.get(f"/v1/auth/users/{user_id}").get_json()
    assert user["totps"] == [
        {
            "id": body["totp_id"],
            "user_id": user_id,
            "verified": False,
            "created_at": T0,
            "updated_at": T0,
        }
    ]


@pytest.mark.parametrize("expires_in", ["5", 5, "2160", 2160])
def test_create_totp_accepts_expires_in_as_string_or_number(api: Api, expires_in: Any) -> None:
    body = _create(api, _user(api), expires_in=expires_in)
    assert body["expires_at"] == T0 + int(expires_in) * 60


@pytest.mark.parametrize("expires_in", ["4", 4, "2161", 2161, "abc", "", 30.5, True])
def test_create_totp_bad_expires_in(api: Api, expires_in: Any) -> None:
    reply = api.post(CREATE, {"user_id": _user(api), "expires_in": expires_in})
    assert_error(reply, 400, "validation_error", "expires_in")


def test_create_totp_without_user_id(api: Api) -> None:
    assert_error(api.post(CREATE, {}), 400, "validation_error", "user_id")


def test_create_totp_unknown_field(api: Api) -> None:
    reply = api.post(CREATE, {"user_id": _user(api), "digits": 8})
    assert_error(reply, 400, "validation_error", "digits")


def test_create_totp_unknown_user(api: Api) -> None:
    reply = api.post(CREATE, {"user_id": "user_nope"})
    assert_error(reply, 404, "user_not_found", "user_nope")


def test_create_totp_replaces_a_pending_one(api: Api) -> None:
    user_id = _user(api)
    first = _create(api, user_id)
    second = _create(api, user_id)
    assert first["totp_id"] != second["totp_id"]
    totps = api.get(f"/v1/auth/users/{user_id}").get_json()["totps"]
    assert [t["id"] for t in totps] == [second["totp_id"]]


def test_create_totp_refused_while_a_verified_one_exists(api: Api) -> None:
    user_id = _user(api)
    _active(api, user_id)
    reply = api.post(CREATE, {"user_id": user_id})
    assert_error(reply, 409, "duplicate_totp", "delete it first")


# --- VerifyTOTP --------------------------------------------------------------------------


def test_verify_totp_activates_and_creates_session(api: Api, state: MockState) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    reply = api.post(
        VERIFY,
        {"user_id": user_id, "totp": rfc6238(made["secret"], T0), "session_expires_in": 100},
    )
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert (body["totp_id"], body["user_id"]) == (made["totp_id"], user_id)
    session = body["session"]
    assert session["expires_at"] - session["started_at"] == 6000
    assert session["factors"] == [
        {
            "delivery_channel": "totp_authenticator",
            "type": "totp",
            "method": {
                "id": made["totp_id"],
                "method_id": made["totp_id"],
                "method_type": "totp",
                "totp_id": made["totp_id"],
                "last_verified_at": T0,
            },
        }
    ]
    assert body["user"]["totps"][0]["verified"] is True


@pytest.mark.parametrize("offset", [-30, 0, 30])
def test_verify_totp_accepts_previous_current_and_next_step(api: Api, offset: int) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], T0 + offset)})
    assert reply.status_code == 200, reply.get_json()


@pytest.mark.parametrize("offset", [-60, 60, 3600])
def test_verify_totp_refuses_codes_outside_the_window(api: Api, offset: int) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], T0 + offset)})
    assert_error(reply, 400, "invalid_totp", "not valid")


def test_verify_totp_code_works_once_per_step(api: Api) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    code = rfc6238(made["secret"], T0)
    assert api.post(VERIFY, {"user_id": user_id, "totp": code}).status_code == 200
    assert_error(api.post(VERIFY, {"user_id": user_id, "totp": code}), 400, "invalid_totp")
    # An earlier step's code after a later one was used is refused too.
    earlier = rfc6238(made["secret"], T0 - 30)
    assert_error(api.post(VERIFY, {"user_id": user_id, "totp": earlier}), 400, "invalid_totp")
    later = rfc6238(made["secret"], T0 + 30)
    assert api.post(VERIFY, {"user_id": user_id, "totp": later}).status_code == 200


def test_verify_totp_follows_the_fake_clock(api: Api, clock: ControllableClock) -> None:
    user_id = _user(api)
    made = _active(api, user_id)
    clock.shift(timedelta(hours=5))
    at = clock.now().timestamp()
    assert_error(
        api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], T0)}),
        400,
        "invalid_totp",
    )
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], at)})
    assert reply.status_code == 200, reply.get_json()


def test_verify_totp_pending_expires_after_expires_in(api: Api, clock: ControllableClock) -> None:
    user_id = _user(api)
    made = _create(api, user_id, expires_in=5)
    clock.shift(timedelta(minutes=5))
    at = clock.now().timestamp()
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], at)})
    assert_error(reply, 404, "totp_not_found", user_id)
    assert api.get(f"/v1/auth/users/{user_id}").get_json()["totps"] == []


def test_get_user_drops_pending_totp_after_its_window(api: Api, clock: ControllableClock) -> None:
    user_id = _user(api)
    _create(api, user_id, expires_in=5)
    clock.shift(timedelta(minutes=5))
    assert api.get(f"/v1/auth/users/{user_id}").get_json()["totps"] == []


def test_verify_totp_pending_still_activates_just_before_expiry(
    api: Api, clock: ControllableClock
) -> None:
    user_id = _user(api)
    made = _create(api, user_id, expires_in=5)
    clock.shift(timedelta(minutes=5) - timedelta(seconds=1))
    at = clock.now().timestamp()
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], at)})
    assert reply.status_code == 200, reply.get_json()
    clock.shift(timedelta(days=30))
    at = clock.now().timestamp()
    reply = api.post(VERIFY, {"user_id": user_id, "totp": rfc6238(made["secret"], at)})
    assert reply.status_code == 200, reply.get_json()


def test_verify_totp_steps_up_email_otp_session(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    user_id = first["user_id"]
    made = _create(api, user_id)
    reply = api.post(
        VERIFY,
        {
            "user_id": user_id,
            "totp": rfc6238(made["secret"], T0),
            "session_token": first["session_token"],
        },
    )
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["session"]["id"] == first["session"]["id"]
    assert [f["type"] for f in body["session"]["factors"]] == ["otp", "totp"]
    assert body["session_token"] != first["session_token"]
    claims = jwt.decode(body["session_jwt"], options={"verify_signature": False})
    assert claims["jti"] == first["session"]["id"]
    assert [f["type"] for f in claims["session"]["factors"]] == ["otp", "totp"]


def test_verify_totp_by_session_jwt(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    made = _create(api, first["user_id"])
    reply = api.post(
        VERIFY,
        {
            "user_id": first["user_id"],
            "totp": rfc6238(made["secret"], T0),
            "session_jwt": first["session_jwt"],
        },
    )
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["session"]["id"] == first["session"]["id"]


def test_verify_totp_session_of_another_user_keeps_the_code(api: Api, state: MockState) -> None:
    other = login(api, state, "bob@example.com")
    user_id = _user(api)
    made = _create(api, user_id)
    code = rfc6238(made["secret"], T0)
    body = {"user_id": user_id, "totp": code, "session_token": other["session_token"]}
    assert_error(api.post(VERIFY, body), 400, "session_user_mismatch")
    assert api.post(VERIFY, {"user_id": user_id, "totp": code}).status_code == 200


def test_verify_totp_invalid_session(api: Api) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    body = {"user_id": user_id, "totp": rfc6238(made["secret"], T0), "session_token": "x" * 64}
    assert_error(api.post(VERIFY, body), 401, "invalid_session")


def test_verify_totp_without_totp(api: Api) -> None:
    user_id = _user(api)
    reply = api.post(VERIFY, {"user_id": user_id, "totp": "123456"})
    assert_error(reply, 404, "totp_not_found", user_id)


def test_verify_totp_unknown_user(api: Api) -> None:
    reply = api.post(VERIFY, {"user_id": "user_nope", "totp": "123456"})
    assert_error(reply, 404, "user_not_found", "user_nope")


@pytest.mark.parametrize("totp", ["12345", "1234567", "abcdef", "", 123456])
def test_verify_totp_bad_code_format(api: Api, totp: Any) -> None:
    reply = api.post(VERIFY, {"user_id": _user(api), "totp": totp})
    assert_error(reply, 400, "validation_error", "totp")


@pytest.mark.parametrize("minutes", [4, 527041, "10"])
def test_verify_totp_bad_session_expires_in(api: Api, minutes: Any) -> None:
    body = {"user_id": "user_x", "totp": "123456", "session_expires_in": minutes}
    assert_error(api.post(VERIFY, body), 400, "validation_error", "session_expires_in")


# --- GetTOTPRecoveryCodes ----------------------------------------------------------------


def test_get_totp_recovery_codes_lists_the_codes(api: Api) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    reply = api.post(CODES, {"user_id": user_id})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {
        "user_id": user_id,
        "totps": [
            {"id": made["totp_id"], "verified": False, "recovery_codes": made["recovery_codes"]}
        ],
    }


def test_get_totp_recovery_codes_without_totp(api: Api) -> None:
    user_id = _user(api)
    assert_error(api.post(CODES, {"user_id": user_id}), 404, "totp_not_found", user_id)


def test_get_totp_recovery_codes_unknown_user(api: Api) -> None:
    assert_error(api.post(CODES, {"user_id": "user_nope"}), 404, "user_not_found")


def test_get_totp_recovery_codes_bad_input(api: Api) -> None:
    assert_error(api.post(CODES, {"user_id": ""}), 400, "validation_error", "user_id")


# --- VerifyTOTPRecovery ------------------------------------------------------------------


def test_verify_totp_recovery_each_code_works_once(api: Api) -> None:
    user_id = _user(api)
    made = _active(api, user_id)
    codes = made["recovery_codes"]
    for code in codes[:3]:
        reply = api.post(RECOVERY, {"user_id": user_id, "recovery_code": code})
        body = reply.get_json()
        assert reply.status_code == 200, body
        assert body["session"]["factors"][0]["delivery_channel"] == "totp_recovery_code"
        again = api.post(RECOVERY, {"user_id": user_id, "recovery_code": code})
        assert_error(again, 400, "invalid_recovery_code", "already used")
    left = api.post(CODES, {"user_id": user_id}).get_json()["totps"][0]["recovery_codes"]
    assert left == codes[3:]


def test_verify_totp_recovery_accepts_totp_field(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    user_id = first["user_id"]
    made = _active(api, user_id)
    reply = api.post(
        RECOVERY,
        {
            "user_id": user_id,
            "totp": made["recovery_codes"][0].upper(),
            "session_token": first["session_token"],
        },
    )
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["session"]["id"] == first["session"]["id"]
    assert [f["delivery_channel"] for f in body["session"]["factors"]] == [
        "email",
        "totp_recovery_code",
    ]


def test_verify_totp_recovery_wrong_code(api: Api) -> None:
    user_id = _user(api)
    _active(api, user_id)
    reply = api.post(RECOVERY, {"user_id": user_id, "recovery_code": "aaaaa-aaaaa"})
    assert_error(reply, 400, "invalid_recovery_code")


def test_verify_totp_recovery_needs_a_verified_totp(api: Api) -> None:
    user_id = _user(api)
    made = _create(api, user_id)
    reply = api.post(RECOVERY, {"user_id": user_id, "recovery_code": made["recovery_codes"][0]})
    assert_error(reply, 404, "totp_not_found", "verified")


def test_verify_totp_recovery_session_of_another_user_keeps_the_code(
    api: Api, state: MockState
) -> None:
    other = login(api, state, "bob@example.com")
    user_id = _user(api)
    code = _active(api, user_id)["recovery_codes"][0]
    body = {"user_id": user_id, "recovery_code": code, "session_token": other["session_token"]}
    assert_error(api.post(RECOVERY, body), 400, "session_user_mismatch")
    assert api.post(RECOVERY, {"user_id": user_id, "recovery_code": code}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "user_x"},
        {"user_id": "user_x", "recovery_code": "aaaaa-aaaaa", "totp": "aaaaa-aaaaa"},
        {"user_id": "user_x", "recovery_code": "aaaaaaaaaa"},
    ],
)
def test_verify_totp_recovery_bad_input(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post(RECOVERY, body), 400, "validation_error")


# --- DeleteUserTOTP ----------------------------------------------------------------------


def test_delete_user_totp(api: Api) -> None:
    user_id = _user(api)
    made = _active(api, user_id)
    reply = api.delete(f"/v1/auth/users/totps/{made['totp_id']}/delete")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {"message": "Successfully deleted user totp", "user_id": user_id}
    assert api.get(f"/v1/auth/users/{user_id}").get_json()["totps"] == []
    assert _create(api, user_id)["totp_id"] != made["totp_id"]


def test_delete_user_totp_unknown(api: Api) -> None:
    reply = api.delete("/v1/auth/users/totps/totp_nope/delete")
    assert_error(reply, 404, "totp_not_found", "totp_nope")


def test_delete_user_totp_twice(api: Api) -> None:
    made = _create(api, _user(api))
    path = f"/v1/auth/users/totps/{made['totp_id']}/delete"
    assert api.delete(path).status_code == 200
    assert_error(api.delete(path), 404, "totp_not_found")


def test_verify_totp_recovery_after_time_travel(api: Api, clock: ControllableClock) -> None:
    user_id = _user(api)
    made = _active(api, user_id)
    code = made["recovery_codes"][5]
    assert api.post(RECOVERY, {"user_id": user_id, "recovery_code": code}).status_code == 200
    clock.shift(timedelta(days=400))
    again = api.post(RECOVERY, {"user_id": user_id, "recovery_code": code})
    assert_error(again, 400, "invalid_recovery_code")
    other = {"user_id": user_id, "recovery_code": made["recovery_codes"][6]}
    reply = api.post(RECOVERY, other)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["session"]["created_at"] == T0 + 400 * 86400
