"""Redirect URLs of magic links and OAuth: the fallback to the app default, and query building.

Reference §7.1 and §8.1: a redirect URL given in the request wins, then the app's default
redirect URL; with neither, the call fails with 400 ``missing_redirect_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mock_server.errors import MissingRedirectUrl
from mock_server.models import App


def target(app: App, *candidates: str | None) -> str:
    """The first non-empty candidate, else the app's default redirect URL.

    Raises:
        MissingRedirectUrl: no candidate and no default.
    """
    for url in (*candidates, app.default_redirect_url):
        if url:
            return url
    raise MissingRedirectUrl()


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to its query string (replacing parameters of those names).

    ``with_query("https://a.example/cb?x=1", {"token": "t"})`` is
    ``https://a.example/cb?x=1&token=t``.
    """
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*kept, *params.items()])))
