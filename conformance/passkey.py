"""A software WebAuthn authenticator, so Python tests register and sign in without a browser.

:class:`Passkey` plays the browser and the authenticator together: given the options MoonKey's
begin operations return, it answers what ``navigator.credentials.create()`` / ``get()`` would,
as the JSON the create and verify operations take (base64url without padding, the
webauthn-json form). Keys are EC P-256 (ES256) made with ``cryptography``; the attestation
object and the COSE key are CBOR made with ``cbor2``. Example::

    passkey = moonkey_mock.passkey()
    begin = moonkey_mock.api("POST", "/v1/auth/webauthn/registrations/begin",
                             {"user_id": user_id, "domain": "localhost"}).json()
    credential = passkey.create(begin["public_key_credential_creation_options"])
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present / verified, attested
ES256 = -7
AAGUID = bytes(16)  # "none" attestation: an all-zero AAGUID is what browsers send


def b64url(raw: bytes) -> str:
    """base64url without padding (how browsers' JSON carries bytes)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def from_b64(text: str) -> bytes:
    """Bytes from standard base64 or base64url, padded or not (options use standard base64)."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _inner(options: dict[str, Any]) -> dict[str, Any]:
    """``options["publicKey"]`` when the response wrapper was passed."""
    inner = options.get("publicKey", options)
    return dict(inner)


@dataclass
class Credential:
    """One credential the authenticator holds."""

    credential_id: bytes
    rp_id: str
    user_handle: bytes
    key: ec.EllipticCurvePrivateKey
    sign_count: int = 0

    @property
    def id(self) -> str:
        """The credential id as the browser's JSON carries it (base64url)."""
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        """The public key as a COSE_Key (EC2, P-256, ES256)."""
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: ES256,  # alg
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def sign(self, data: bytes) -> bytes:
        """An ES256 (DER) signature of ``data``."""
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


class Passkey:
    """A software authenticator bound to one web origin.

    Args:
        origin: the page origin the "browser" reports in client data (``http://localhost``
            is a secure context, and matches the rp id ``localhost``).
        attestation: ``"none"`` (what the published example shows) or ``"packed"``
            (self-attestation: the credential key signs its own registration).
        user_verified: set the UV flag as well as UP.
        user_present: set the UP flag (False plays an authenticator that skipped the touch).
    """

    def __init__(
        self,
        origin: str = "http://localhost",
        *,
        attestation: str = "none",
        user_verified: bool = False,
        user_present: bool = True,
    ) -> None:
        if attestation not in {"none", "packed"}:
            raise ValueError("attestation must be 'none' or 'packed'")
        self.origin = origin
        self.attestation = attestation
        self.user_verified = user_verified
        self.user_present = user_present
        self.credentials: dict[str, Credential] = {}

    # --- ceremonies ------------------------------------------------------------------------
    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer creation options (``public_key_credential_creation_options``) with a new key.

        Returns the ``public_key_credential`` JSON CreateWebAuthnRegistration takes. Like a
        browser, refuses options whose ``excludeCredentials`` names a key it already holds.
        """
        public_key = _inner(options)
        rp_id = str(public_key["rp"]["id"])
        excluded = {b64url(from_b64(c["id"])) for c in public_key.get("excludeCredentials", [])}
        if excluded & set(self.credentials):
            raise ValueError("InvalidStateError: this authenticator already holds an excluded key")
        credential = Credential(
            credential_id=os.urandom(32),
            rp_id=rp_id,
            user_handle=from_b64(public_key["user"]["id"]),
            key=ec.generate_private_key(ec.SECP256R1()),
        )
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        cose = credential.cose_key()
        attested = AAGUID + struct.pack(">H", len(credential.credential_id))
        auth_data = self._auth_data(rp_id, AT, 0) + attested + credential.credential_id + cose
        statement: dict[str, Any] = {}
        if self.attestation == "packed":
            signed = auth_data + hashlib.sha256(client_data).digest()
            statement = {"alg": ES256, "sig": credential.sign(signed)}
        attestation = cbor2.dumps(
            {"fmt": self.attestation, "attStmt": statement, "authData": auth_data}
        )
        self.credentials[credential.id] = credential
        return {
            "type": "public-key",
            "id": credential.id,
            "rawId": credential.id,
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer request options (``public_key_credential_request_options``) with an assertion.

        Signs with the first held credential ``allowCredentials`` lists for the options'
        ``rpId``; each assertion increments that credential's sign counter.
        """
        public_key = _inner(options)
        rp_id = str(public_key["rpId"])
        allowed = [b64url(from_b64(c["id"])) for c in public_key.get("allowCredentials", [])]
        held = [
            self.credentials[i]
            for i in (allowed or list(self.credentials))
            if i in self.credentials and self.credentials[i].rp_id == rp_id
        ]
        if not held:
            raise ValueError(f"NotAllowedError: no credential for rp id '{rp_id}'")
        credential = held[0]
        credential.sign_count += 1
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        auth_data = self._auth_data(rp_id, 0, credential.sign_count)
        signature = credential.sign(auth_data + hashlib.sha256(client_data).digest())
        return {
            "type": "public-key",
            "id": credential.id,
            "rawId": credential.id,
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
        }

    # --- encodings -------------------------------------------------------------------------
    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {
            "type": kind,
            "challenge": b64url(from_b64(challenge)),
            "origin": origin or self.origin,
            "crossOrigin": False,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    def _auth_data(self, rp_id: str, extra_flags: int, sign_count: int) -> bytes:
        flags = (UP if self.user_present else 0) | (UV if self.user_verified else 0) | extra_flags
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", sign_count)
