"""``GET /``, ``GET /_mock/``, ``GET /openapi.yaml`` and ``GET /README.md``: where things are."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from mock_server import ControllableClock, MockConfig, __version__, create_app
from tests.helpers import assert_error

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Accept": "application/json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CURL = {"Accept": "*/*"}


def _expected(config: MockConfig, dashboard: str | None = "/_mock/ui") -> dict[str, object]:
    return {
        "service": "moonkey-mock",
        "version": __version__,
        "description": "A fake of the MoonKey auth API for tests",
        "api_spec": "/openapi.yaml",
        "docs": "/README.md",
        "default_app_id": config.app_id,
        "control": {
            "enabled": True,
            "index": "/_mock/",
            "spec": "/_mock/openapi.yaml",
            "health": "/_mock/health",
            "dashboard": dashboard,
            "admin_token_required": False,
        },
    }


@pytest.mark.parametrize("path", ["/", "/_mock/"])
@pytest.mark.parametrize("accept", [JSON, CURL], ids=["json", "curl"])
def test_index_answers_json_links(
    app: Flask, config: MockConfig, path: str, accept: dict[str, str]
) -> None:
    reply = app.test_client().get(path, headers=accept)
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    assert reply.get_json() == _expected(config)
    assert reply.get_data(as_text=True).endswith("}\n")


@pytest.mark.parametrize("path", ["/", "/_mock/"])
def test_index_answers_a_browser_in_html(app: Flask, path: str) -> None:
    reply = app.test_client().get(path, headers=BROWSER)
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    html = reply.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    for href in ("/openapi.yaml", "/README.md", "/_mock/openapi.yaml", "/_mock/health"):
        assert f'<a href="{href}">' in html
    assert '<a href="/_mock/ui">Dashboard</a>' in html


def test_index_dashboard_link_is_served(app: Flask) -> None:
    client = app.test_client()
    link = client.get("/", headers=JSON).get_json()["control"]["dashboard"]
    assert client.get(link + "/", follow_redirects=True).status_code == 200


def test_index_without_control_api_says_so_and_has_no_mock_index(
    config: MockConfig, clock: ControllableClock
) -> None:
    client = create_app(config.with_(control=False), clock=clock).test_client()
    body = client.get("/", headers=JSON).get_json()
    assert body["control"] == {
        "enabled": False,
        "why": "off: the fake is not bound to loopback or was started with --no-control "
        "(serve --control turns it on)",
    }
    assert "Control API: off" in client.get("/", headers=BROWSER).text
    assert_error(client.get("/_mock/", headers=JSON), 404, "not_found", "No endpoint GET /_mock/")


def test_mock_index_needs_the_admin_token_when_one_is_set(
    config: MockConfig, clock: ControllableClock
) -> None:
    client = create_app(config.with_(admin_token="t0ken"), clock=clock).test_client()
    refused = client.get("/_mock/", headers=JSON)
    assert_error(refused, 401, "unauthorized", "Authorization: Bearer <admin token>")
    allowed = client.get("/_mock/", headers={**JSON, "Authorization": "Bearer t0ken"})
    assert allowed.status_code == 200
    assert allowed.get_json()["control"]["admin_token_required"] is True


def test_openapi_yaml_serves_the_api_spec(app: Flask) -> None:
    reply = app.test_client().get("/openapi.yaml")
    assert reply.status_code == 200
    assert reply.mimetype == "application/yaml"
    assert reply.data == (ROOT / "openapi.yaml").read_bytes()


def test_readme_is_served_as_the_docs(app: Flask) -> None:
    reply = app.test_client().get("/README.md")
    assert reply.status_code == 200
    assert reply.mimetype == "text/markdown"
    assert reply.get_data(as_text=True).startswith("# moonkey-mock\n")


def test_index_is_get_only(app: Flask) -> None:
    reply = app.test_client().post("/")
    assert_error(reply, 405, "method_not_allowed", "POST is not allowed on /")
    assert reply.headers["Allow"] == "GET, HEAD, OPTIONS"
