"""WebAuthn: registration and sign-in ceremonies with the plugin's software authenticator."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from conformance.passkey import Passkey, b64url, from_b64
from mock_server import ControllableClock
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

REG_BEGIN = "/v1/auth/webauthn/registrations/begin"
REG_CREATE = "/v1/auth/webauthn/registrations/create"
AUTH_BEGIN = "/v1/auth/webauthn/authentication/begin"
VERIFY = "/v1/auth/webauthn/verify"
DELETE = "/v1/auth/users/webauthn_credentials/{}/delete"


def _user(api: Api, email: str = "jane@example.com", **names: str) -> str:
    reply = api.post("/v1/auth/users/create", {"email": email, **names})
    assert reply.status_code == 200, reply.get_json()
    return str(reply.get_json()["user_id"])


def _creation(api: Api, user_id: str, domain: str = "localhost", **extra: Any) -> Any:
    reply = api.post(REG_BEGIN, {"user_id": user_id, "domain": domain, **extra})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["public_key_credential_creation_options"]


def _request(api: Api, user_id: str, domain: str = "localhost") -> Any:
    reply = api.post(AUTH_BEGIN, {"user_id": user_id, "domain": domain})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["public_key_credential_request_options"]


def _register(api: Api, passkey: Passkey, user_id: str, domain: str = "localhost") -> str:
    credential = passkey.create(_creation(api, user_id, domain))
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert reply.status_code == 200, reply.get_json()
    return str(reply.get_json()["webauthn_credential_id"])


def _client_data(credential: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``credential`` with fields of its clientDataJSON changed (not re-signed)."""
    data = json.loads(from_b64(credential["response"]["clientDataJSON"]))
    data.update(changes)
    response = {**credential["response"], "clientDataJSON": b64url(json.dumps(data).encode())}
    return {**credential, "response": response}


@pytest.fixture
def passkey() -> Passkey:
    return Passkey("http://localhost:3000")


# --- BeginWebAuthnRegistration ---------------------------------------------------------------


def test_begin_web_authn_registration_options(api: Api, state: MockState) -> None:
    user_id = _user(api, first_name="Jane", last_name="Doe")
    reply = api.post(REG_BEGIN, {"user_id": user_id, "domain": "localhost"})
    body = reply.get_json()
    assert body["user_id"] == user_id
    options = body["public_key_credential_creation_options"]["publicKey"]
    assert len(base64.b64decode(options["challenge"], validate=True)) == 32
    assert options["rp"] == {"name": state.default_app().name, "id": "localhost"}
    assert options["user"] == {
        "id": base64.b64encode(user_id.encode()).decode(),
        "name": "Jane Doe",
        "displayName": "Jane",
    }
    assert options["pubKeyCredParams"] == [{"type": "public-key", "alg": -7}]
    assert options["authenticatorSelection"] == {
        "authenticatorAttachment": "platform",
        "userVerification": "discouraged",
    }
    assert options["timeout"] == 60000
    assert options["excludeCredentials"] == []


def test_begin_web_authn_registration_excludes_registered_keys(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    options = _creation(api, user_id, authenticator_type="cross-platform")["publicKey"]
    (registered,) = passkey.credentials.values()
    assert options["excludeCredentials"] == [
        {"type": "public-key", "id": base64.b64encode(registered.credential_id).decode()}
    ]
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    assert options["user"]["name"] == "jane@example.com"  # no name: the email (A3)
    assert _creation(api, user_id, "example.com")["publicKey"]["excludeCredentials"] == []


def test_begin_web_authn_registration_unknown_user(api: Api) -> None:
    reply = api.post(REG_BEGIN, {"user_id": "user_nobody", "domain": "localhost"})
    assert_error(reply, 404, "user_not_found", "user_nobody")


def test_begin_web_authn_registration_requires_domain(api: Api) -> None:
    reply = api.post(REG_BEGIN, {"user_id": _user(api)})
    assert_error(reply, 400, "validation_error", "domain")


# --- CreateWebAuthnRegistration --------------------------------------------------------------


@pytest.mark.parametrize("attestation", ["none", "packed"])
def test_create_web_authn_registration_stores_the_key(api: Api, attestation: str) -> None:
    user_id = _user(api)
    passkey = Passkey("http://localhost:3000", attestation=attestation)
    credential_id = _register(api, passkey, user_id)
    assert credential_id.startswith("webauthn_")
    user = api.get(f"/v1/auth/users/{user_id}").get_json()
    (listed,) = user["webauthn_credentials"]
    assert listed["id"] == credential_id
    assert listed["credential_id"] == next(iter(passkey.credentials))
    assert listed["domain"] == "localhost"
    assert listed["authenticator_type"] == "platform"


def test_create_web_authn_registration_challenge_is_single_use(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    credential = passkey.create(_creation(api, user_id))
    body = {"user_id": user_id, "public_key_credential": credential}
    assert api.post(REG_CREATE, body).status_code == 200
    assert_error(api.post(REG_CREATE, body), 400, "invalid_webauthn_challenge", "already used")


def test_create_web_authn_registration_challenge_expires(
    api: Api, passkey: Passkey, clock: ControllableClock
) -> None:
    user_id = _user(api)
    credential = passkey.create(_creation(api, user_id))
    clock.shift(timedelta(minutes=5))
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_challenge", "expired")


@pytest.mark.parametrize(
    ("domain", "origin", "ok"),
    [
        ("localhost", "http://localhost:5173", True),
        ("localhost", "https://localhost", True),
        ("example.com", "https://login.example.com", True),
        ("example.com", "http://example.com", False),
        ("example.com", "https://example.com.evil.test", False),
        ("localhost", "https://evil.example", False),
    ],
)
def test_create_web_authn_registration_origin_must_match_the_rp_id(
    api: Api, domain: str, origin: str, ok: bool
) -> None:
    user_id = _user(api)
    credential = Passkey(origin).create(_creation(api, user_id, domain))
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    if ok:
        assert reply.status_code == 200, reply.get_json()
    else:
        assert_error(reply, 400, "webauthn_origin_mismatch", origin)


def test_create_web_authn_registration_rp_id_hash_must_match(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    options = _creation(api, user_id)
    options["publicKey"]["rp"]["id"] = "evil.example"
    credential = passkey.create(options)
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_registration", "RP ID hash")


def test_create_web_authn_registration_bad_packed_signature(api: Api) -> None:
    user_id = _user(api)
    passkey = Passkey("http://localhost", attestation="packed")
    first = passkey.create(_creation(api, user_id))
    second = passkey.create(_creation(api, user_id))
    # The second ceremony's client data under the first's (signed) attestation.
    forged = {
        **first,
        "response": {**first["response"], "clientDataJSON": second["response"]["clientDataJSON"]},
    }
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": forged})
    assert_error(reply, 400, "invalid_webauthn_registration", "attestation statement signature")


def test_create_web_authn_registration_wrong_ceremony_type(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    credential = _client_data(passkey.create(_creation(api, user_id)), type="webauthn.get")
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_registration", "client data type")


def test_create_web_authn_registration_for_another_user(api: Api, passkey: Passkey) -> None:
    jane, john = _user(api), _user(api, "john@example.com")
    credential = passkey.create(_creation(api, jane))
    reply = api.post(REG_CREATE, {"user_id": john, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_challenge", "another user")


def test_create_web_authn_registration_duplicate_key(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    first = passkey.create(_creation(api, user_id))
    assert api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": first}).is_json
    challenge = _creation(api, user_id)["publicKey"]["challenge"]
    again = _client_data(first, challenge=b64url(from_b64(challenge)))
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": again})
    assert_error(reply, 409, "duplicate_webauthn_credential", "already registered")


def test_create_web_authn_registration_malformed_client_data(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    credential = passkey.create(_creation(api, user_id))
    credential["response"]["clientDataJSON"] = "bm90IGpzb24"
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_registration", "clientDataJSON")


def test_create_web_authn_registration_missing_attestation(api: Api) -> None:
    body = {"user_id": _user(api), "public_key_credential": {"type": "public-key", "id": "x"}}
    assert_error(api.post(REG_CREATE, body), 400, "validation_error", "rawId")


# --- BeginWebAuthnAuthentication -------------------------------------------------------------


def test_begin_web_authn_authentication_options(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    _register(api, Passkey(), user_id)
    options = _request(api, user_id)["publicKey"]
    assert len(base64.b64decode(options["challenge"], validate=True)) == 32
    assert options["rpId"] == "localhost"
    assert options["timeout"] == 60000
    assert options["userVerification"] == "discouraged"
    assert len(options["allowCredentials"]) == 2
    assert {"type": "public-key", "id": b64(passkey)} in options["allowCredentials"]


def b64(passkey: Passkey) -> str:
    (credential,) = passkey.credentials.values()
    return base64.b64encode(credential.credential_id).decode()


def test_begin_web_authn_authentication_without_credentials(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    reply = api.post(AUTH_BEGIN, {"user_id": user_id, "domain": "localhost"})
    assert_error(reply, 400, "no_webauthn_credentials", "localhost")
    _register(api, passkey, user_id)
    reply = api.post(AUTH_BEGIN, {"user_id": user_id, "domain": "example.com"})
    assert_error(reply, 400, "no_webauthn_credentials", "example.com")


def test_begin_web_authn_authentication_unknown_user(api: Api) -> None:
    reply = api.post(AUTH_BEGIN, {"user_id": "user_nobody", "domain": "localhost"})
    assert_error(reply, 404, "user_not_found")


# --- VerifyWebAuthnAuthentication ------------------------------------------------------------


def test_verify_web_authn_authentication_creates_a_session(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    credential_id = _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    reply = api.post(VERIFY, {"public_key_credential": assertion, "session_expires_in": 60})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["user_id"] == user_id
    assert body["webauthn_credential_id"] == credential_id
    assert body["session"]["expires_at"] - body["session"]["started_at"] == 3600
    (factor,) = body["session"]["factors"]
    assert factor["delivery_channel"] == "webauthn_credential"
    assert factor["type"] == "webauthn"
    assert factor["method"]["method_id"] == credential_id
    assert factor["method"]["method_type"] == "webauthn"
    verified = api.post("/v1/auth/sessions/verify", {"session_token": body["session_token"]})
    assert verified.get_json()["session"]["factors"] == [factor]


def test_verify_web_authn_authentication_without_session_in_none_mode(
    api: Api, state: MockState, passkey: Passkey
) -> None:
    state.store.put_app(replace(state.default_app(), default_session_minutes=None))
    user_id = _user(api)
    credential_id = _register(api, passkey, user_id)
    reply = api.post(VERIFY, {"public_key_credential": passkey.get(_request(api, user_id))})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert (body["session_token"], body["session_jwt"], body["session"]) == ("", "", None)
    assert body["webauthn_credential_id"] == credential_id  # the published example's shape


def test_verify_web_authn_authentication_steps_up_a_session(
    api: Api, state: MockState, passkey: Passkey
) -> None:
    first = login(api, state, "jane@example.com")
    user_id = first["user_id"]
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    reply = api.post(
        VERIFY, {"public_key_credential": assertion, "session_token": first["session_token"]}
    )
    session = reply.get_json()["session"]
    assert session["id"] == first["session"]["id"]
    assert [f["type"] for f in session["factors"]] == ["otp", "webauthn"]


def test_verify_web_authn_authentication_session_of_another_user(
    api: Api, state: MockState, passkey: Passkey
) -> None:
    other = login(api, state, "john@example.com")
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    body = {"public_key_credential": assertion, "session_token": other["session_token"]}
    assert_error(api.post(VERIFY, body), 400, "session_user_mismatch")
    # Refused before the challenge was spent: the same assertion still signs in.
    assert api.post(VERIFY, {"public_key_credential": assertion}).status_code == 200


def test_verify_web_authn_authentication_replay(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    body = {"public_key_credential": passkey.get(_request(api, user_id))}
    assert api.post(VERIFY, body).status_code == 200
    assert_error(api.post(VERIFY, body), 400, "invalid_webauthn_challenge", "already used")


def test_verify_web_authn_authentication_bad_signature(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    signature = bytearray(from_b64(assertion["response"]["signature"]))
    signature[-1] ^= 0x01
    assertion["response"]["signature"] = b64url(bytes(signature))
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert_error(reply, 400, "invalid_webauthn_authentication", "signature")


def test_verify_web_authn_authentication_foreign_key(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    impostor = Passkey("http://localhost:3000")
    options = _request(api, user_id)
    impostor.create(_creation(api, _user(api, "eve@example.com")))
    (key,) = impostor.credentials.values()
    (real,) = passkey.credentials.values()
    key.credential_id = real.credential_id  # the victim's credential id, another private key
    key.user_handle = real.user_handle
    impostor.credentials = {real.id: key}
    reply = api.post(VERIFY, {"public_key_credential": impostor.get(options)})
    assert_error(reply, 400, "invalid_webauthn_authentication", "signature")


def test_verify_web_authn_authentication_unknown_credential(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    unknown = b64url(b"\x00" * 32)
    assertion.update(id=unknown, rawId=unknown)
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert_error(reply, 404, "webauthn_credential_not_found", unknown)


def test_verify_web_authn_authentication_wrong_origin(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id), origin="https://evil.example")
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert_error(reply, 400, "webauthn_origin_mismatch", "evil.example")


def test_verify_web_authn_authentication_user_presence_required(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    passkey.user_present = False
    reply = api.post(VERIFY, {"public_key_credential": passkey.get(_request(api, user_id))})
    assert_error(reply, 400, "invalid_webauthn_authentication", "not present")


def test_create_web_authn_registration_user_presence_required(api: Api) -> None:
    user_id = _user(api)
    credential = Passkey(user_present=False).create(_creation(api, user_id))
    reply = api.post(REG_CREATE, {"user_id": user_id, "public_key_credential": credential})
    assert_error(reply, 400, "invalid_webauthn_registration", "presence")


def test_verify_web_authn_authentication_sign_count_must_increase(
    api: Api, passkey: Passkey
) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assert api.post(VERIFY, {"public_key_credential": passkey.get(_request(api, user_id))}).is_json
    (credential,) = passkey.credentials.values()
    credential.sign_count = 0  # a cloned authenticator replays an old counter
    reply = api.post(VERIFY, {"public_key_credential": passkey.get(_request(api, user_id))})
    assert_error(reply, 400, "invalid_webauthn_authentication", "sign count")


def test_verify_web_authn_authentication_challenge_expires(
    api: Api, passkey: Passkey, clock: ControllableClock
) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    clock.shift(timedelta(seconds=301))
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert_error(reply, 400, "invalid_webauthn_challenge", "expired")


def test_verify_web_authn_authentication_challenge_of_another_user(
    api: Api, passkey: Passkey
) -> None:
    jane, john = _user(api), _user(api, "john@example.com")
    _register(api, passkey, jane)
    _register(api, Passkey(), john)
    options = _request(api, john)
    options["publicKey"]["allowCredentials"] = [{"type": "public-key", "id": b64(passkey)}]
    reply = api.post(VERIFY, {"public_key_credential": passkey.get(options)})
    assert_error(reply, 400, "invalid_webauthn_challenge", "another user")


def test_verify_web_authn_authentication_registration_challenge(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    options = _request(api, user_id)
    options["publicKey"]["challenge"] = _creation(api, user_id)["publicKey"]["challenge"]
    reply = api.post(VERIFY, {"public_key_credential": passkey.get(options)})
    assert_error(reply, 400, "invalid_webauthn_challenge")


@pytest.mark.parametrize("handle", [None, "", "__other__"])
def test_verify_web_authn_authentication_user_handle(
    api: Api, passkey: Passkey, handle: str | None
) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))
    if handle == "__other__":
        assertion["response"]["userHandle"] = b64url(b"user_someoneelse")
        reply = api.post(VERIFY, {"public_key_credential": assertion})
        assert_error(reply, 400, "invalid_webauthn_authentication", "userHandle")
        return
    assertion["response"]["userHandle"] = handle
    assert api.post(VERIFY, {"public_key_credential": assertion}).status_code == 200


# --- DeleteUserWebAuthnCredential ------------------------------------------------------------


def test_delete_user_web_authn_credential(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    credential_id = _register(api, passkey, user_id)
    reply = api.delete(DELETE.format(credential_id))
    assert reply.status_code == 200
    assert reply.get_json() == {
        "user_id": user_id,
        "message": "Successfully deleted user WebAuthn credential",
    }
    assert api.get(f"/v1/auth/users/{user_id}").get_json()["webauthn_credentials"] == []
    assert_error(
        api.post(AUTH_BEGIN, {"user_id": user_id, "domain": "localhost"}),
        400,
        "no_webauthn_credentials",
    )
    assert_error(api.delete(DELETE.format(credential_id)), 404, "webauthn_credential_not_found")


def test_delete_user_web_authn_credential_then_sign_in(api: Api, passkey: Passkey) -> None:
    user_id = _user(api)
    _register(api, passkey, user_id)
    other = Passkey()
    credential_id = _register(api, other, user_id)
    assertion = other.get(_request(api, user_id))
    assert api.delete(DELETE.format(credential_id)).status_code == 200
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert_error(reply, 404, "webauthn_credential_not_found")


# --- state export / import -------------------------------------------------------------------


def test_verify_web_authn_authentication_after_state_export_and_import(
    api: Api, client: FlaskClient, passkey: Passkey
) -> None:
    user_id = _user(api)
    credential_id = _register(api, passkey, user_id)
    assertion = passkey.get(_request(api, user_id))  # a pending challenge
    exported = client.get("/_mock/state").get_json()
    client.post("/_mock/reset", json={"keep_clock": True})
    imported = client.post("/_mock/state", json=exported)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["counts"]["webauthn_challenges"] == 1
    reply = api.post(VERIFY, {"public_key_credential": assertion})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["webauthn_credential_id"] == credential_id
