"""WebAuthn (passkeys): registration and authentication ceremonies (reference-more §7; A1-A8).

The cryptographic checks (client data, attestation, rp id hash, flags, signature, sign counter)
are py_webauthn's; this module owns what the library leaves to the relying party: challenges
(single use, expiring on the fake's clock), the origin rule, the accepted attestation formats,
credential storage and the session. The library reads real time only for certificate chains
and SafetyNet timestamps, which the accepted formats never reach (A4).
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from webauthn.helpers.structs import CollectedClientData

from mock_server.domain import sessions, users
from mock_server.domain.sessions import Issued
from mock_server.errors import (
    ApiError,
    DuplicateWebauthnCredential,
    InvalidWebauthnAuthentication,
    InvalidWebauthnChallenge,
    InvalidWebauthnRegistration,
    NoWebauthnCredentials,
    WebauthnCredentialNotFound,
    WebauthnOriginMismatch,
)
from mock_server.models import App, Factor, User, WebauthnChallenge, WebauthnCredential
from mock_server.state import MockState

CHALLENGE_BYTES = 32
CHALLENGE_SECONDS = 300  # D22: a challenge lives 5 minutes
TIMEOUT_MS = 60_000  # the published options' timeout
ES256 = -7  # COSE's ECDSA w/ SHA-256 (https://www.iana.org/assignments/cose/cose.xhtml)
# Exceptions py_webauthn lets through on malformed input besides its own.


@functools.cache
def _lib() -> SimpleNamespace:
    """py_webauthn, imported on the first ceremony (it takes ~40 ms: kept off start-up)."""
    import webauthn
    from webauthn import helpers
    from webauthn.helpers.cose import COSEAlgorithmIdentifier
    from webauthn.helpers.exceptions import WebAuthnException
    from webauthn.helpers.structs import AttestationFormat

    return SimpleNamespace(
        verify_registration_response=webauthn.verify_registration_response,
        verify_authentication_response=webauthn.verify_authentication_response,
        parse_attestation_object=helpers.parse_attestation_object,
        parse_client_data_json=helpers.parse_client_data_json,
        es256=COSEAlgorithmIdentifier(ES256),
        formats={AttestationFormat.NONE, AttestationFormat.PACKED},
        malformed=(WebAuthnException, ValueError, TypeError, KeyError, binascii.Error),
    )


def base64url_to_bytes(text: str) -> bytes:
    """RFC 4648 base64url, padding optional (what WebAuthn's JSON carries)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def bytes_to_base64url(data: bytes) -> str:
    """RFC 4648 base64url without padding."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64(raw: bytes) -> str:
    """Standard base64 with padding, the published options' encoding."""
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class Verified:
    """A successful authentication: the user, the credential used and the session."""

    user: User
    credential: WebauthnCredential
    issued: Issued


# --- begin ---------------------------------------------------------------------------------


def _challenge(state: MockState, app: App, user: User, domain: str, kind: str, attach: str) -> str:
    raw = bytes.fromhex(state.ids.chars(CHALLENGE_BYTES * 2, "0123456789abcdef"))
    now = state.now_ts()
    pending = WebauthnChallenge(
        challenge=bytes_to_base64url(raw),
        app_id=app.app_id,
        user_id=user.user_id,
        domain=domain,
        kind=kind,
        created_at=now,
        expires_at=now + CHALLENGE_SECONDS,
        authenticator_type=attach,
    )
    state.store.put_webauthn_challenge(pending)
    return b64(raw)


def _names(user: User) -> tuple[str, str]:
    """``user.name`` and ``displayName``: full and first name, else email, phone or id (A3)."""
    full = " ".join(n for n in (user.first_name, user.middle_name, user.last_name) if n)
    email, phone = user.primary_email, user.primary_phone
    fallback = (email.email if email else "") or (phone.phone_number if phone else "")
    fallback = fallback or user.user_id
    return full or fallback, user.first_name or full or fallback


def _descriptors(user: User, domain: str) -> list[dict[str, str]]:
    return [
        {"type": "public-key", "id": b64(base64url_to_bytes(c.credential_id))}
        for c in user.webauthn_credentials
        if c.domain == domain
    ]


def begin_registration(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Any]:
    """Creation options for an existing user and the rp id ``domain`` (published shape)."""
    user = users.get(state, app, body["user_id"])
    domain, attach = body["domain"], body.get("authenticator_type", "platform")
    challenge = _challenge(state, app, user, domain, "create", attach)
    name, display = _names(user)
    options = {
        "challenge": challenge,
        "rp": {"name": app.name, "id": domain},
        "user": {"id": b64(user.user_id.encode()), "name": name, "displayName": display},
        "pubKeyCredParams": [{"type": "public-key", "alg": ES256}],
        "authenticatorSelection": {
            "authenticatorAttachment": attach,
            "userVerification": "discouraged",
        },
        "timeout": TIMEOUT_MS,
        "excludeCredentials": _descriptors(user, domain),
    }
    return user, {"publicKey": options}


def begin_authentication(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Any]:
    """Request options listing the user's credentials for ``domain`` (400 when none)."""
    user = users.get(state, app, body["user_id"])
    domain = body["domain"]
    allowed = _descriptors(user, domain)
    if not allowed:
        raise NoWebauthnCredentials(
            f"User '{user.user_id}' has no WebAuthn credential for domain '{domain}'"
        )
    options = {
        "challenge": _challenge(state, app, user, domain, "get", ""),
        "timeout": TIMEOUT_MS,
        "rpId": domain,
        "allowCredentials": allowed,
        "userVerification": "discouraged",
    }
    return user, {"publicKey": options}


# --- shared checks -------------------------------------------------------------------------


def _client_data(credential: dict[str, Any], error: type[ApiError]) -> CollectedClientData:
    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        parsed: CollectedClientData = _lib().parse_client_data_json(raw)
        return parsed
    except _lib().malformed as exc:
        raise error(f"clientDataJSON is not valid: {exc}") from None


def _take(state: MockState, app: App, client: CollectedClientData, kind: str) -> WebauthnChallenge:
    """The pending challenge the client data names, spent now whatever follows (single use)."""
    pending = state.store.take_webauthn_challenge(app.app_id, bytes_to_base64url(client.challenge))
    if pending is None or pending.kind != kind:
        raise InvalidWebauthnChallenge()
    if pending.expires_at <= state.now():
        raise InvalidWebauthnChallenge("The WebAuthn challenge has expired; begin again")
    return pending


def check_origin(origin: str, rp_id: str) -> str:
    """``origin`` when it may use ``rp_id``: https (http only on localhost), same or sub host."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host == "localhost")
    if not secure or not (host == rp_id or host.endswith("." + rp_id)):
        raise WebauthnOriginMismatch(
            f"Client data origin '{origin}' does not match the relying-party id '{rp_id}'"
        )
    return origin


def _format(credential: dict[str, Any]) -> str:
    """The attestation format, refused unless ``none`` or self-attested ``packed`` (A4)."""
    try:
        raw = base64url_to_bytes(credential["response"]["attestationObject"])
        attestation = _lib().parse_attestation_object(raw)
    except _lib().malformed as exc:
        raise InvalidWebauthnRegistration(f"attestationObject is not valid: {exc}") from None
    fmt = attestation.fmt
    if fmt not in _lib().formats or attestation.att_stmt.x5c:
        raise InvalidWebauthnRegistration(
            f"Attestation format '{fmt}' is not accepted: use 'none' or self-attested 'packed'"
        )
    return str(getattr(fmt, "value", fmt))


# --- registration --------------------------------------------------------------------------


def create_registration(
    state: MockState, app: App, body: dict[str, Any]
) -> tuple[User, WebauthnCredential]:
    """Verify a ``navigator.credentials.create()`` result and store its public key."""
    credential = body["public_key_credential"]
    with state.store.atomic():
        user = users.get(state, app, body["user_id"])
        client = _client_data(credential, InvalidWebauthnRegistration)
        pending = _take(state, app, client, "create")
        if pending.user_id != user.user_id:
            raise InvalidWebauthnChallenge("The WebAuthn challenge was issued for another user")
        origin = check_origin(client.origin, pending.domain)
        fmt = _format(credential)
        try:
            verified = _lib().verify_registration_response(
                credential=credential,
                expected_challenge=client.challenge,
                expected_rp_id=pending.domain,
                expected_origin=origin,
                supported_pub_key_algs=[_lib().es256],
            )
        except _lib().malformed as exc:
            raise InvalidWebauthnRegistration(f"Registration refused: {exc}") from None
        credential_id = bytes_to_base64url(verified.credential_id)
        if state.store.user_by_webauthn_credential(app.app_id, credential_id) is not None:
            raise DuplicateWebauthnCredential()
        now = state.now_ts()
        record = WebauthnCredential(
            id=state.ids.new("webauthn_"),
            credential_id=credential_id,
            public_key=bytes_to_base64url(verified.credential_public_key),
            domain=pending.domain,
            authenticator_type=pending.authenticator_type,
            sign_count=verified.sign_count,
            created_at=now,
            updated_at=now,
            attestation_format=fmt,
        )
        user = replace(user, webauthn_credentials=(*user.webauthn_credentials, record))
        state.store.put_user(replace(user, updated_at=now))
    return user, record


# --- authentication ------------------------------------------------------------------------


def _owner(state: MockState, app: App, credential_id: str) -> tuple[User, WebauthnCredential]:
    user = state.store.user_by_webauthn_credential(app.app_id, credential_id)
    held = user.webauthn_credentials if user else ()
    record = next((c for c in held if c.credential_id == credential_id), None)
    if user is None or record is None:
        raise WebauthnCredentialNotFound(f"No WebAuthn credential with id '{credential_id}'")
    return user, record


def _check_user_handle(credential: dict[str, Any], user: User) -> None:
    handle = credential["response"].get("userHandle")
    if not handle:
        return  # null for non-discoverable credentials (A5)
    try:
        ok = base64url_to_bytes(handle) == user.user_id.encode()
    except _lib().malformed:
        ok = False
    if not ok:
        raise InvalidWebauthnAuthentication("userHandle does not name the credential's user")


def verify(state: MockState, app: App, body: dict[str, Any]) -> Verified:
    """Verify a ``navigator.credentials.get()`` result; create or step up a session."""
    credential = body["public_key_credential"]
    with state.store.atomic():
        user, record = _owner(state, app, credential["id"])
        existing = sessions.credential(state, app, body, owner_id=user.user_id)
        client = _client_data(credential, InvalidWebauthnAuthentication)
        pending = _take(state, app, client, "get")
        if pending.user_id != user.user_id or pending.domain != record.domain:
            raise InvalidWebauthnChallenge(
                "The WebAuthn challenge was issued for another user or domain"
            )
        origin = check_origin(client.origin, record.domain)
        _check_user_handle(credential, user)
        try:
            verified = _lib().verify_authentication_response(
                credential=credential,
                expected_challenge=client.challenge,
                expected_rp_id=record.domain,
                expected_origin=origin,
                credential_public_key=base64url_to_bytes(record.public_key),
                credential_current_sign_count=record.sign_count,
            )
        except _lib().malformed as exc:
            raise InvalidWebauthnAuthentication(f"Assertion refused: {exc}") from None
        now = state.now_ts()
        record = replace(
            record, sign_count=verified.new_sign_count, last_used_at=now, updated_at=now
        )
        kept = tuple(record if c.id == record.id else c for c in user.webauthn_credentials)
        user = replace(user, webauthn_credentials=kept)
        state.store.put_user(user)
        factor = Factor(
            delivery_channel="webauthn_credential",
            type="webauthn",
            method_id=record.id,
            method_type="webauthn",
            last_verified_at=now,
            details=(("webauthn_credential_id", record.id), ("domain", record.domain)),
        )
        issued = sessions.authenticate_request(state, app, user, factor, body, existing)
    return Verified(user, record, issued)


# --- delete --------------------------------------------------------------------------------


def delete_credential(state: MockState, app: App, credential: str) -> User:
    """Remove a credential by its ``webauthn_…`` id (or its browser id); 404 when unknown."""
    with state.store.atomic():
        for user in state.store.users(app.app_id):
            kept = tuple(
                c for c in user.webauthn_credentials if credential not in (c.id, c.credential_id)
            )
            if len(kept) != len(user.webauthn_credentials):
                now = state.now_ts()
                state.store.put_user(replace(user, webauthn_credentials=kept, updated_at=now))
                return user
    raise WebauthnCredentialNotFound(f"No WebAuthn credential with id '{credential}'")
