"""Handlers of the ``magic_links`` tag (not implemented yet: 501 in the envelope)."""

from __future__ import annotations

from mock_server.errors import NotImplementedYet
from mock_server.reply import Call, Reply


def login_or_create_user_by_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/login_or_create."""
    raise NotImplementedYet()


def invite_user_by_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/invite."""
    raise NotImplementedYet()


def create_embeddable_magic_link(call: Call) -> Reply:
    """POST /v1/auth/magic_links/create."""
    raise NotImplementedYet()


def get_magic_link_login_status(call: Call) -> Reply:
    """POST /v1/auth/magic_links/email/login_status."""
    raise NotImplementedYet()


def verify_magic_token(call: Call) -> Reply:
    """POST /v1/auth/magic_links/verify."""
    raise NotImplementedYet()
