"""Handlers of the ``webauthn`` tag (reference-more §7, §3.2; A1-A8)."""

from __future__ import annotations

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import webauthn


def begin_web_authn_registration(call: Call) -> Reply:
    """POST /v1/auth/webauthn/registrations/begin."""
    user, options = webauthn.begin_registration(call.state, call.app, call.body)
    return Reply({"user_id": user.user_id, "public_key_credential_creation_options": options})


def create_web_authn_registration(call: Call) -> Reply:
    """POST /v1/auth/webauthn/registrations/create."""
    user, credential = webauthn.create_registration(call.state, call.app, call.body)
    return Reply({"user_id": user.user_id, "webauthn_credential_id": credential.id})


def begin_web_authn_authentication(call: Call) -> Reply:
    """POST /v1/auth/webauthn/authentication/begin."""
    user, options = webauthn.begin_authentication(call.state, call.app, call.body)
    return Reply({"user_id": user.user_id, "public_key_credential_request_options": options})


def verify_web_authn_authentication(call: Call) -> Reply:
    """POST /v1/auth/webauthn/verify (D2, D19)."""
    done = webauthn.verify(call.state, call.app, call.body)
    return Reply(
        {
            "user_id": done.user.user_id,
            "webauthn_credential_id": done.credential.id,
            **session_fields(done.issued),
            "user": done.user.to_json(),
        }
    )


def delete_user_web_authn_credential(call: Call) -> Reply:
    """DELETE /v1/auth/users/webauthn_credentials/{webauthn_credential_id}/delete."""
    user = webauthn.delete_credential(call.state, call.app, call.path["webauthn_credential_id"])
    message = "Successfully deleted user WebAuthn credential"
    return Reply({"user_id": user.user_id, "message": message})
