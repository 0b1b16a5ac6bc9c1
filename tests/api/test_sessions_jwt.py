"""Session JWTs checked by a standard client (PyJWT) against the served JWKS (D10, D11, D12)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from freezegun import freeze_time

from mock_server.clock import ControllableClock
from mock_server.state import MockState
from mock_server.tokens import SESSION_CLAIM_NS
from tests.conftest import START
from tests.helpers import Api, add_app, assert_error, login

VERIFY = "/v1/auth/sessions/verify"
DELETE = "/v1/auth/sessions/delete"
JWKS = "/v1/auth/jwks/default"
T0 = int(START.timestamp())
INVALID = "Session not found or has expired"


def _public_key(api: Api, token: str) -> Any:
    """The key of the served JWKS whose ``kid`` the token's header names."""
    kid = jwt.get_unverified_header(token)["kid"]
    keys = api.get(JWKS).get_json()["keys"]
    matching = [k for k in keys if k["kid"] == kid]
    assert len(matching) == 1, (kid, [k["kid"] for k in keys])
    return jwt.PyJWK(matching[0]).key


def _decode(api: Api, token: str, at: Any = START) -> dict[str, Any]:
    """Verify like a client would: signature, RS256, and exp/nbf/iat at time ``at``."""
    with freeze_time(at):
        claims: dict[str, Any] = jwt.decode(
            token,
            _public_key(api, token),
            algorithms=["RS256"],
            options={"require": ["exp", "iat", "nbf", "iss", "sub", "jti"]},
        )
    return claims


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_verify_otp_jwt_verifies_with_pyjwt_and_carries_d11_claims(
    api: Api, state: MockState
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=60)
    token = logged["session_jwt"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"].startswith("jwk_")
    claims = _decode(api, token)
    session = logged["session"]
    assert claims["iss"] == f"api.moonkey.fun/{state.default_app().app_id}"
    assert claims["sub"] == logged["user_id"]
    assert claims["iat"] == claims["nbf"] == T0
    assert claims["exp"] == T0 + 300
    assert claims["jti"] == session["id"]
    assert claims["session"] == claims[SESSION_CLAIM_NS]
    assert claims["session"]["id"] == session["id"]
    assert claims["session"]["expires_at"] == session["expires_at"]
    assert "session_token" not in claims["session"]  # the opaque token never leaks into a JWT


def test_verify_session_jwt_is_refused_by_pyjwt_after_exp(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    with pytest.raises(jwt.ExpiredSignatureError):
        _decode(api, logged["session_jwt"], START + timedelta(seconds=300))


def test_verify_session_jwt_exp_is_capped_at_session_expiry(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=5)
    clock.shift(timedelta(minutes=2))
    reply = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert reply.status_code == 200
    claims = _decode(api, reply.get_json()["session_jwt"], clock.now())
    assert claims["iat"] == T0 + 120
    assert claims["exp"] == T0 + 300 == logged["session"]["expires_at"]


def test_verify_session_jwt_reflects_the_extended_expiry(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=60)
    clock.shift(timedelta(minutes=1))
    reply = api.post(VERIFY, {"session_jwt": logged["session_jwt"], "session_expires_in": 120})
    claims = _decode(api, reply.get_json()["session_jwt"], clock.now())
    assert claims["session"]["expires_at"] == T0 + 60 + 120 * 60
    assert claims["exp"] == T0 + 60 + 300


def test_verify_session_jwt_of_deleted_session_is_401(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    assert api.delete(DELETE, {"session_token": logged["session_token"]}).status_code == 200
    _decode(api, logged["session_jwt"])  # still valid locally (reference §4) ...
    reply = api.post(VERIFY, {"session_jwt": logged["session_jwt"]})
    assert_error(reply, 401, "invalid_session", INVALID)  # ... but not for the fake


def test_verify_session_jwt_past_exp_is_401_while_session_lives(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=60)
    clock.shift(timedelta(seconds=299))
    assert api.post(VERIFY, {"session_jwt": logged["session_jwt"]}).status_code == 200
    clock.shift(timedelta(seconds=1))
    reply = api.post(VERIFY, {"session_jwt": logged["session_jwt"]})
    assert_error(reply, 401, "invalid_session", INVALID)
    assert api.post(VERIFY, {"session_token": logged["session_token"]}).status_code == 200


def test_verify_session_tampered_jwt_is_401(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    header, _, signature = logged["session_jwt"].split(".")
    claims = jwt.decode(logged["session_jwt"], options={"verify_signature": False})
    forged = f"{header}.{_b64({**claims, 'exp': claims['exp'] + 3600})}.{signature}"
    assert_error(api.post(VERIFY, {"session_jwt": forged}), 401, "invalid_session", INVALID)


def test_verify_session_jwt_signed_by_another_key_is_401(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    claims = jwt.decode(logged["session_jwt"], options={"verify_signature": False})
    kid = jwt.get_unverified_header(logged["session_jwt"])["kid"]
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": kid})
    assert_error(api.post(VERIFY, {"session_jwt": forged}), 401, "invalid_session", INVALID)


def test_verify_session_unsigned_jwt_is_401(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    claims = jwt.decode(logged["session_jwt"], options={"verify_signature": False})
    kid = jwt.get_unverified_header(logged["session_jwt"])["kid"]
    forged = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(claims)}."
    assert_error(api.post(VERIFY, {"session_jwt": forged}), 401, "invalid_session", INVALID)


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b.c", "e30.e30.e30"])
def test_verify_session_malformed_jwt_is_401(api: Api, garbage: str) -> None:
    assert_error(api.post(VERIFY, {"session_jwt": garbage}), 401, "invalid_session", INVALID)


def test_verify_session_credentials_of_another_app_are_401(api: Api, state: MockState) -> None:
    other = add_app(state)
    other_api = Api(api.client, other.secret_keys[0])
    logged = login(other_api, state, "ann@example.com")
    assert _decode(api, logged["session_jwt"])["iss"] == f"api.moonkey.fun/{other.app_id}"
    for body in (
        {"session_jwt": logged["session_jwt"]},
        {"session_token": logged["session_token"]},
    ):
        assert_error(api.post(VERIFY, body), 401, "invalid_session", INVALID)
        assert other_api.post(VERIFY, body).status_code == 200
    delete = api.delete(DELETE, {"session_id": logged["session"]["id"]})
    assert_error(delete, 404, "session_not_found", "not found")


def test_delete_session_by_expired_jwt_still_logs_out(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    logged = login(api, state, "ann@example.com", session_expires_in=60)
    clock.shift(timedelta(minutes=10))  # the 300 s JWT is stale, the session lives (L13)
    assert api.delete(DELETE, {"session_jwt": logged["session_jwt"]}).status_code == 200
    reply = api.post(VERIFY, {"session_token": logged["session_token"]})
    assert_error(reply, 401, "invalid_session", INVALID)


def test_delete_session_by_tampered_jwt_is_404(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    header, _, signature = logged["session_jwt"].split(".")
    claims = jwt.decode(logged["session_jwt"], options={"verify_signature": False})
    forged = f"{header}.{_b64({**claims, 'sub': 'user_x'})}.{signature}"
    assert_error(api.delete(DELETE, {"session_jwt": forged}), 404, "session_not_found", "not found")
    assert api.post(VERIFY, {"session_token": logged["session_token"]}).status_code == 200


# --- JWKS ------------------------------------------------------------------------------


def _check_jwks(body: dict[str, Any]) -> None:
    assert body["keys"]
    for key in body["keys"]:
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert key["kid"].startswith("jwk_")
        assert key["n"]
        assert key["e"] == "AQAB"
        assert isinstance(jwt.PyJWK(key).key, rsa.RSAPublicKey)


def test_get_jwks_by_bearer_key(api: Api) -> None:
    reply = api.get(JWKS)
    assert reply.status_code == 200
    _check_jwks(reply.get_json())


def test_get_jwks_by_api_key_query(api: Api) -> None:
    reply = api.client.get(JWKS, query_string={"api_key": api.key})
    assert reply.status_code == 200
    assert reply.get_json() == api.get(JWKS).get_json()


def test_get_jwks_without_key_is_401(api: Api) -> None:
    assert_error(api.client.get(JWKS), 401, "unauthorized", "Missing API key")


def test_get_jwks_unknown_api_key_is_401(api: Api) -> None:
    reply = api.client.get(JWKS, query_string={"api_key": "sk_test_" + "x" * 48})
    assert_error(reply, 401, "unauthorized", "Unknown or revoked API key")


def test_get_jwks_public_token_as_api_key_is_401(api: Api, state: MockState) -> None:
    reply = api.client.get(JWKS, query_string={"api_key": state.default_app().public_token})
    assert_error(reply, 401, "public_token_not_allowed", "public token")


def test_list_sessions_api_key_query_is_not_accepted(api: Api, state: MockState) -> None:
    logged = login(api, state, "ann@example.com")
    reply = api.client.get(
        "/v1/auth/sessions/list", query_string={"user_id": logged["user_id"], "api_key": api.key}
    )
    assert_error(reply, 401, "unauthorized", "Missing API key")


def test_get_jwks_by_app_own_app_is_200(api: Api, state: MockState) -> None:
    app_id = state.default_app().app_id
    for reply in (
        api.get(f"/v1/auth/jwks/{app_id}"),
        api.client.get(f"/v1/auth/jwks/{app_id}", query_string={"api_key": api.key}),
    ):
        assert reply.status_code == 200
        assert reply.get_json() == api.get(JWKS).get_json()


@pytest.mark.parametrize("which", ["unknown", "other"])
def test_get_jwks_by_app_other_app_is_404(api: Api, state: MockState, which: str) -> None:
    app_id = add_app(state).app_id if which == "other" else "app_unknown"
    reply = api.get(f"/v1/auth/jwks/{app_id}")
    assert_error(reply, 404, "app_not_found", app_id)
