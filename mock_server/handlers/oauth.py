"""Handlers of the ``oauth`` tag (Reference §8; D4, D18).

Begin answers the fake provider's authorize URL (``mock_server.idp`` serves it); with
``redirect=true`` it answers 302 with the same URL in ``Location`` and in the body.
"""

from __future__ import annotations

from typing import Any

from mock_server.call import Call, Reply, session_fields
from mock_server.domain import oauth


def _begin(call: Call, provider: str) -> Reply:
    url = oauth.begin(call.state, call.app, provider, call.query, call.base_url)
    if call.query.get("redirect"):
        return Reply({"redirect_url": url}, status=302, headers={"Location": url})
    return Reply({"redirect_url": url})


def begin_google_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/google/begin."""
    return _begin(call, "google")


def begin_apple_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/apple/begin."""
    return _begin(call, "apple")


def begin_microsoft_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/microsoft/begin."""
    return _begin(call, "microsoft")


def begin_discord_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/discord/begin."""
    return _begin(call, "discord")


def begin_github_oauth(call: Call) -> Reply:
    """GET /v1/auth/oauth/github/begin."""
    return _begin(call, "github")


def verify_oauth_token(call: Call) -> Reply:
    """POST /v1/auth/oauth/verify (D2, D4, D6)."""
    user, token, issued = oauth.verify(call.state, call.app, call.body)
    body: dict[str, Any] = {
        "user_id": user.user_id,
        "provider": token.provider,
        "provider_subject": token.provider_subject,
        "method_id": token.idp_link_id,
        "method_type": "oauth",
    }
    if call.body.get("session_type") == "idp":
        tokens = {"access_token": token.access_token, "refresh_token": token.refresh_token}
        body["idp_session"] = {"idp": tokens}
    return Reply({**body, **session_fields(issued), "user": user.to_json()})
