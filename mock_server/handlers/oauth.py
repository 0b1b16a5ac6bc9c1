"""Handlers of the ``oauth`` tag (not implemented yet: 501 in the envelope)."""

from __future__ import annotations

from mock_server.errors import NotImplementedYet
from mock_server.reply import Call, Reply


def begin_google_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/google/begin."""
    raise NotImplementedYet()


def begin_apple_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/apple/begin."""
    raise NotImplementedYet()


def begin_microsoft_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/microsoft/begin."""
    raise NotImplementedYet()


def begin_discord_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/discord/begin."""
    raise NotImplementedYet()


def begin_github_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/github/begin."""
    raise NotImplementedYet()


def verify_oauth_token(call: Call) -> Reply:
    """POST /v1/auth/oauth/verify."""
    raise NotImplementedYet()
