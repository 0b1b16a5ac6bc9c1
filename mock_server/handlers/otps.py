"""Handlers of the ``otps`` tag."""

from __future__ import annotations

from mock_server.call import Call, Reply, auth_verify_body
from mock_server.domain import otps


def create_email_otp(call: Call) -> Reply:
    """POST /v1/auth/otps/email/send: the user must exist."""
    sent = otps.send(call.state, call.app, otps.EMAIL, call.body, create=False)
    return Reply({"email_id": sent.method_id, "user_id": sent.user.user_id})


def create_sms_otp(call: Call) -> Reply:
    """POST /v1/auth/otps/sms/send: the user must exist."""
    sent = otps.send(call.state, call.app, otps.SMS, call.body, create=False)
    return Reply({"phone_number_id": sent.method_id, "user_id": sent.user.user_id})


def login_or_create_user_by_email_otp(call: Call) -> Reply:
    """POST /v1/auth/otps/email/login_or_create."""
    sent = otps.send(call.state, call.app, otps.EMAIL, call.body, create=True)
    user = sent.user
    return Reply(
        {
            "user_id": user.user_id,
            "email_id": sent.method_id,
            "status": user.status,
            "user_created": sent.created,
        }
    )


def login_or_create_user_by_sms(call: Call) -> Reply:
    """POST /v1/auth/otps/sms/login_or_create."""
    sent = otps.send(call.state, call.app, otps.SMS, call.body, create=True)
    user = sent.user
    return Reply(
        {
            "user_id": user.user_id,
            "phone_number_id": sent.method_id,
            "status": user.status,
            "user_created": sent.created,
        }
    )


def verify_otp(call: Call) -> Reply:
    """POST /v1/auth/otps/verify (D3, D6)."""
    user, method_id, channel, issued = otps.verify(call.state, call.app, call.body)
    return Reply(auth_verify_body(user, method_id, channel.method_type, issued))
