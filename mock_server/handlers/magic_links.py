"""Handlers of the ``magic_links`` tag (Reference §7; D16)."""

from __future__ import annotations

from mock_server.call import Call, Reply, auth_verify_body
from mock_server.domain import magic_links
from mock_server.domain.magic_links import Sent


def _sent_body(sent: Sent) -> Reply:
    user = sent.user
    return Reply(
        {
            "user_id": user.user_id,
            "user_created": sent.created,
            "email_id": sent.email_id,
            "status": user.status,
            "created_at": user.created_at,
            "updated_at": user.updated_at,
        }
    )


def login_or_create_user_by_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/login_or_create."""
    return _sent_body(magic_links.login_or_create(call.state, call.app, call.body))


def invite_user_by_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/invite."""
    return _sent_body(magic_links.invite(call.state, call.app, call.body))


def invite_user_by_magic_link_node_sdk(call: Call) -> Reply:
    """POST /v1/auth/magic_links/invite: the Node SDK's path of the same operation (§11 #25)."""
    return invite_user_by_magic_link(call)


def create_embeddable_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/create."""
    magic = magic_links.create_embeddable(call.state, call.app, call.body)
    return Reply(
        {
            "user_id": magic.user_id,
            "token": magic.token,
            "email_id": magic.email_id,
            "request_origin_token": magic.request_origin_token,
        }
    )


def get_magic_link_login_status(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/login_status."""
    body = call.body
    found = magic_links.login_status(
        call.state, call.app, body["email_id"], body["request_origin_token"]
    )
    return Reply(
        {
            "user_id": found.user_id,
            "status": found.status,
            "session_token": found.session_token,
            "session_jwt": found.session_jwt,
        }
    )


def verify_magic_token(call: Call) -> Reply:
    """POST /v1/auth/magic_links/verify (D2, D6)."""
    user, email_id, issued = magic_links.verify(call.state, call.app, call.body)
    return Reply(auth_verify_body(user, email_id, "email", issued))
