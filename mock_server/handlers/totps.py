"""Handlers of the ``totps`` tag."""

from __future__ import annotations

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import totps


def create_totp(call: Call) -> Reply:
    """POST /v1/auth/totps/create: the secret and recovery codes are shown once here."""
    made = totps.create(call.state, call.app, call.body)
    return Reply(
        {
            "user_id": made.user.user_id,
            "totp_id": made.totp.id,
            "secret": made.totp.secret,
            "recovery_codes": list(made.totp.recovery_codes),
            "qr_base64": made.qr_base64,
            "otpauth_uri": made.uri,
            "expires_at": made.totp.expires_at,
        }
    )


def verify_totp(call: Call) -> Reply:
    """POST /v1/auth/totps/verify (T2, D19)."""
    user, totp, issued = totps.verify(call.state, call.app, call.body)
    return Reply(
        {
            "totp_id": totp.id,
            "user_id": user.user_id,
            **session_fields(issued),
            "user": user.to_json(),
        }
    )


def get_totp_recovery_codes(call: Call) -> Reply:
    """POST /v1/auth/totps/recovery_codes: the codes not used yet (T5)."""
    user, found = totps.recovery_codes(call.state, call.app, call.body["user_id"])
    return Reply(
        {
            "user_id": user.user_id,
            "totps": [
                {"id": t.id, "verified": t.verified, "recovery_codes": totps.unused_codes(t)}
                for t in found
            ],
        }
    )


def verify_totp_recovery(call: Call) -> Reply:
    """POST /v1/auth/totps/recovery: ``recovery_code`` or ``totp`` (T4)."""
    user, totp, issued = totps.recover(call.state, call.app, call.body)
    return Reply(
        {
            "totp_id": totp.id,
            "user_id": user.user_id,
            **session_fields(issued),
            "user": user.to_json(),
        }
    )
