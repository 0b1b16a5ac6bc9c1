"""Redirect URL fallback and query building shared by magic links and OAuth."""

from __future__ import annotations

import pytest

from mock_server.domain.redirects import target, with_query
from mock_server.errors import MissingRedirectUrl
from mock_server.models import App

APP = App(app_id="app_x", secret_keys=(), public_token="pk_x", default_redirect_url="https://d/")


def test_target_prefers_candidates_then_default() -> None:
    assert target(APP, None, "", "https://b/") == "https://b/"
    assert target(APP, None) == "https://d/"


def test_target_without_any_url() -> None:
    bare = App(app_id="app_y", secret_keys=(), public_token="pk_y")
    with pytest.raises(MissingRedirectUrl):
        target(bare, None, "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/cb", "https://a.example/cb?token=t"),
        ("https://a.example/cb?x=1", "https://a.example/cb?x=1&token=t"),
        ("https://a.example/cb?token=old&y=", "https://a.example/cb?y=&token=t"),
    ],
)
def test_with_query(url: str, expected: str) -> None:
    assert with_query(url, {"token": "t"}) == expected
