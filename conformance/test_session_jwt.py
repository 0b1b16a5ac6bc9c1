"""Session JWTs: signed by a key of the JWKS, with the documented claims; revocation.

The "Session Token vs JWT" guide (RS256, local verification), the official Node SDK (JWKS at
/v1/auth/jwks/default, ``?api_key=``), decisions D11, D12, D17 and D10, C8.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance import sources
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.flows import Flows, Login
from conformance.target import Target

JWT_TTL_SECONDS = 300
SESSION_CLAIM = "https://streambird.io/jwt/session"


def verified_claims(target: Target, expect: Expect, login: Login) -> dict[str, Any]:
    """The JWT's claims after checking its RS256 signature with the target's JWKS (D12)."""
    url = f"{target.base_url}/v1/auth/jwks/default?api_key={target.api_key}"
    client = jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False)
    try:
        key = client.get_signing_key_from_jwt(login.jwt)
        claims: dict[str, Any] = jwt.decode(
            login.jwt,
            key.key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as error:
        expect.fail(
            "session_jwt verifies with a key of /v1/auth/jwks/default",
            f"{type(error).__name__}: {error}",
            login.exchange,
        )
        raise  # pragma: no cover - fail() raises
    expect.true(
        isinstance(key.key, rsa.RSAPublicKey) and key.key.key_size == 2048,
        "a 2048-bit RSA key (D11)",
        f"{type(key.key).__name__} {getattr(key.key, 'key_size', '?')} bits",
    )
    return claims


@pytest.mark.rule(
    "D11, D12: the session JWT verifies against the JWKS (RS256)", source=sources.TOKEN_VS_JWT
)
def test_session_jwt_verifies_against_jwks(target: Target, flows: Flows, expect: Expect) -> None:
    """PyJWT's JWKS client fetches the key named by ``kid`` and the signature holds."""
    login = flows.login()
    header = jwt.get_unverified_header(login.jwt)
    expect.equal("JWT header alg", "RS256", header.get("alg"), login.exchange)
    kid = str(header.get("kid", ""))
    expect.true(kid.startswith("jwk_"), "a kid jwk_… (D11)", f"kid {kid!r}", login.exchange)
    verified_claims(target, expect, login)


@pytest.mark.rule("D11, D17: the JWT carries the documented claims", source=sources.TOKEN_VS_JWT)
def test_session_jwt_claims(target: Target, flows: Flows, expect: Expect) -> None:
    """``sub`` user, ``jti`` session, both session claims, ``iat`` = ``nbf``, 300 s lifetime."""
    login = flows.login(minutes=60)
    claims = verified_claims(target, expect, login)
    for name in ("iss", "sub", "iat", "nbf", "exp", "jti", "session", SESSION_CLAIM):
        expect.true(name in claims, f"claim {name!r}", f"claims {sorted(claims)}")
    expect.equal("sub", login.user_id, claims["sub"])
    expect.equal("jti", login.session_id, claims["jti"])
    expect.equal("session.id", login.session_id, claims["session"].get("id"))
    expect.equal(SESSION_CLAIM, claims["session"], claims[SESSION_CLAIM])
    expect.equal("nbf", claims["iat"], claims["nbf"])
    lifetime = min(JWT_TTL_SECONDS, login.session["expires_at"] - claims["iat"])
    expect.equal(
        "exp - iat (D17: 300 s, capped at the session)", lifetime, claims["exp"] - claims["iat"]
    )


@pytest.mark.rule("D12: the JWKS answers with the Bearer key too", source=sources.NODE_SDK)
def test_jwks_with_bearer_key(api: ApiClient, expect: Expect) -> None:
    """RSA keys with ``kid``, ``alg``, ``use: sig``, ``n`` and ``e``."""
    answered = api.get("/v1/auth/jwks/default")
    expect.ok(answered)
    keys = expect.field(answered, "keys")
    expect.true(bool(keys), "at least one key", repr(keys), answered)
    for key in keys:
        missing = [f for f in ("kid", "alg", "use", "n", "e", "kty") if f not in key]
        expect.equal("missing JWK fields", [], missing, answered)
        expect.equal("use", "sig", key.get("use"), answered)


@pytest.mark.rule(
    "D10: a deleted session's JWT is refused by VerifySession", source=sources.TOKEN_VS_JWT
)
def test_revoked_session_jwt_refused(flows: Flows, expect: Expect) -> None:
    """The JWT may still pass local checks, but the server knows the session is gone."""
    login = flows.login()
    expect.ok(flows.delete_session(session_token=login.token))
    expect.error(flows.verify_session(session_jwt=login.jwt), 401, "invalid_session")


@pytest.mark.rule(
    "D12: after a key rotation the JWKS still verifies JWTs signed before it",
    source=sources.DECISIONS,
)
@pytest.mark.needs_control("keys")
def test_jwks_keeps_rotated_key(target: Target, flows: Flows, expect: Expect) -> None:
    """A JWT from before the rotation and one from after both verify; their ``kid`` differ."""
    before = flows.login()
    target.control.rotate_keys()
    after = flows.login()
    verified_claims(target, expect, before)
    verified_claims(target, expect, after)
    kids = {jwt.get_unverified_header(x.jwt).get("kid") for x in (before, after)}
    expect.equal("distinct kids before/after rotation", 2, len(kids))
