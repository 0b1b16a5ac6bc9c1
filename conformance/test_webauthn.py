"""WebAuthn (passkeys): the ceremonies, driven by the suite's software authenticator.

The authenticator (:mod:`conformance.passkey`) answers the target's options as a browser on
``http://localhost:1234`` would (the published example's origin, rp id ``localhost``), so these
rules need no control API. Sources: the guide https://docs.streambird.io/methods/webauthn/webauthn-api,
the operation pages https://developers.streambird.io/operation/operation-beginwebauthnregistration
(and ``-createwebauthnregistration``, ``-beginwebauthnauthentication``,
``-deleteuserwebauthncredential``), https://docs.streambird.io/api-reference/webauthn/verify-webauthn-authentication-beta,
the WebAuthn spec https://www.w3.org/TR/webauthn-2/#sctn-verifying-assertion, and decisions D22
and A1-A8 in docs/decisions.md.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.passkey import Passkey, b64url, from_b64
from conformance.timing import TimeTravel

DOMAIN = "localhost"
ORIGIN = "http://localhost:1234"
CHALLENGE_SECONDS = 300
SETUP = Expect("setup: a WebAuthn registration (Begin and Create WebAuthn Registration)")


class Ceremonies:
    """Begin/create/verify calls for one user and one software authenticator."""

    def __init__(self, api: ApiClient, user_id: str, passkey: Passkey | None = None) -> None:
        self.api = api
        self.user_id = user_id
        self.passkey = passkey or Passkey(ORIGIN)

    def begin_registration(self) -> Exchange:
        body = {"user_id": self.user_id, "domain": DOMAIN}
        return self.api.post("/v1/auth/webauthn/registrations/begin", body)

    def register(self) -> str:
        """Begin and create; the new ``webauthn_credential_id``."""
        begun = SETUP.ok(self.begin_registration())
        credential = self.passkey.create(begun["public_key_credential_creation_options"])
        body = {"user_id": self.user_id, "public_key_credential": credential}
        created = self.api.post("/v1/auth/webauthn/registrations/create", body)
        SETUP.ok(created)
        return str(SETUP.field(created, "webauthn_credential_id"))

    def begin_authentication(self) -> Exchange:
        body = {"user_id": self.user_id, "domain": DOMAIN}
        return self.api.post("/v1/auth/webauthn/authentication/begin", body)

    def assertion(self, **options: Any) -> dict[str, Any]:
        """A fresh assertion over a new challenge."""
        begun = SETUP.ok(self.begin_authentication())
        return self.passkey.get(begun["public_key_credential_request_options"], **options)

    def verify(self, assertion: dict[str, Any], **extra: Any) -> Exchange:
        body = {"public_key_credential": assertion, **extra}
        return self.api.post("/v1/auth/webauthn/verify", body)


@pytest.fixture
def ceremonies(flows: Flows) -> Ceremonies:
    """A fresh user with a software authenticator (not yet registered)."""
    return Ceremonies(flows.api, flows.create_user())


@pytest.mark.rule(
    "A2: creation options carry a 32-byte standard-base64 challenge, rp.id = domain, "
    "user.id = base64(user id), ES256",
    source=sources.BEGIN_WEBAUTHN_REGISTRATION,
)
def test_webauthn_registration_options_shape(ceremonies: Ceremonies, expect: Expect) -> None:
    """The published creation options, as the browser must receive them."""
    begun = ceremonies.begin_registration()
    options = expect.field(begun, "public_key_credential_creation_options", "publicKey")
    challenge = base64.b64decode(str(options.get("challenge")), validate=True)
    expect.equal("len(challenge)", 32, len(challenge), begun)
    expect.equal("rp.id", DOMAIN, options.get("rp", {}).get("id"), begun)
    user_id = base64.b64encode(ceremonies.user_id.encode()).decode()
    expect.equal("user.id", user_id, options.get("user", {}).get("id"), begun)
    algs = [p.get("alg") for p in options.get("pubKeyCredParams", [])]
    expect.true(-7 in algs, "ES256 (-7) in pubKeyCredParams", f"{algs}", begun)


@pytest.mark.rule(
    "D19, A9: a registered passkey signs in; the session carries a webauthn factor naming "
    "the credential",
    source=sources.WEBAUTHN_GUIDE,
)
def test_webauthn_register_and_sign_in(ceremonies: Ceremonies, expect: Expect) -> None:
    """Register, list it on the user (A1), sign in with a session (D2)."""
    credential_id = ceremonies.register()
    expect.true(credential_id.startswith("webauthn_"), "a webauthn_… id", credential_id)
    user = ceremonies.api.get(f"/v1/auth/users/{ceremonies.user_id}")
    listed = [c.get("id") for c in expect.field(user, "webauthn_credentials")]
    expect.equal("User.webauthn_credentials ids (A1)", [credential_id], listed, user)
    verified = ceremonies.verify(ceremonies.assertion(), session_expires_in=30)
    body = expect.ok(verified)
    expect.equal("user_id", ceremonies.user_id, body.get("user_id"), verified)
    expect.equal("webauthn_credential_id", credential_id, body.get("webauthn_credential_id"))
    factors = expect.field(verified, "session", "factors")
    kinds = [(f.get("delivery_channel"), f.get("type")) for f in factors]
    expect.equal("factors", [("webauthn_credential", "webauthn")], kinds, verified)
    method_id = factors[0].get("method", {}).get("method_id")
    expect.equal("factor method_id", credential_id, method_id, verified)


@pytest.mark.rule(
    "D22 / A7: an assertion whose signature does not verify is refused "
    "(400 invalid_webauthn_authentication)",
    source=sources.WEBAUTHN_DECISIONS,
)
def test_webauthn_bad_signature_refused(ceremonies: Ceremonies, expect: Expect) -> None:
    """One flipped bit in the ES256 signature."""
    ceremonies.register()
    assertion = ceremonies.assertion()
    signature = bytearray(from_b64(assertion["response"]["signature"]))
    signature[-1] ^= 0x01
    assertion["response"]["signature"] = b64url(bytes(signature))
    expect.error(ceremonies.verify(assertion), 400, "invalid_webauthn_authentication")


@pytest.mark.rule(
    "D22 / A7: a challenge is single use, so a replayed assertion is refused "
    "(400 invalid_webauthn_challenge)",
    source=sources.WEBAUTHN_DECISIONS,
)
def test_webauthn_replayed_assertion_refused(ceremonies: Ceremonies, expect: Expect) -> None:
    """The same assertion twice: the second use is a replay."""
    ceremonies.register()
    assertion = ceremonies.assertion()
    expect.ok(ceremonies.verify(assertion))
    expect.error(ceremonies.verify(assertion), 400, "invalid_webauthn_challenge")


@pytest.mark.rule(
    "D22 / A7: client data from an origin outside the rp id is refused "
    "(400 webauthn_origin_mismatch)",
    source=sources.WEBAUTHN_DECISIONS,
)
def test_webauthn_foreign_origin_refused(ceremonies: Ceremonies, expect: Expect) -> None:
    """A phishing page's origin signs a valid assertion: still refused."""
    ceremonies.register()
    assertion = ceremonies.assertion(origin="https://evil.example")
    expect.error(ceremonies.verify(assertion), 400, "webauthn_origin_mismatch")


@pytest.mark.rule(
    "A7: a user needs a credential for the domain (400 no_webauthn_credentials)",
    source=sources.BEGIN_WEBAUTHN_AUTHENTICATION,
)
def test_webauthn_authentication_needs_a_credential(ceremonies: Ceremonies, expect: Expect) -> None:
    """Begin authentication for a user who registered nothing."""
    expect.error(ceremonies.begin_authentication(), 400, "no_webauthn_credentials")


@pytest.mark.rule(
    "A7, A8: the delete answers {user_id, message}; the credential no longer signs in "
    "(404 webauthn_credential_not_found)",
    source=sources.DELETE_USER_WEBAUTHN_CREDENTIAL,
)
def test_webauthn_delete_credential(ceremonies: Ceremonies, expect: Expect) -> None:
    """Delete, then an assertion of the deleted credential."""
    credential_id = ceremonies.register()
    assertion = ceremonies.assertion()
    path = f"/v1/auth/users/webauthn_credentials/{credential_id}/delete"
    deleted = ceremonies.api.delete(path)
    body = expect.ok(deleted)
    expect.equal("user_id", ceremonies.user_id, body.get("user_id"), deleted)
    expect.error(ceremonies.verify(assertion), 404, "webauthn_credential_not_found")


@pytest.mark.rule(
    "D22 / A2: a WebAuthn challenge expires 5 minutes after begin",
    source=sources.WEBAUTHN_DECISIONS,
)
@pytest.mark.time_dependent
def test_webauthn_challenge_expires(
    ceremonies: Ceremonies, travel: TimeTravel, expect: Expect
) -> None:
    """An assertion over a challenge issued 5 minutes ago is refused."""
    ceremonies.register()
    begun = ceremonies.begin_authentication()
    issued = begun.server_now() or travel.now()
    assertion = ceremonies.passkey.get(expect.field(begun, "public_key_credential_request_options"))
    travel.at(issued + CHALLENGE_SECONDS + 1)
    expect.error(ceremonies.verify(assertion), 400, "invalid_webauthn_challenge")
