"""The dashboard's pages and login cookie (/_mock/ui), without a browser.

The browser tests (tests/browser/) drive the pages; these check what the server promises: the
pages exist exactly when the control API does, the login form, and that the cookie it sets
opens the control API only to same-origin requests.
"""

from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from mock_server import ControllableClock, MockConfig, create_app
from mock_server.control.dashboard import COOKIE, PAGES
from tests.helpers import assert_error

TOKEN = "ui-admin-token"


@pytest.fixture
def guarded(config: MockConfig, clock: ControllableClock) -> Flask:
    """A fake started with ``--admin-token``."""
    return create_app(config.with_(admin_token=TOKEN), clock=clock)


def _logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    reply = client.post("/_mock/ui/login", data={"token": TOKEN, "next": "faults"})
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/_mock/ui/faults"
    return client


@pytest.mark.parametrize("name", sorted(PAGES))
def test_dashboard_page_renders(client: FlaskClient, name: str) -> None:
    reply = client.get(f"/_mock/ui/{name}?app=app_x")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert f'data-page="{name}"' in html
    assert "/_mock/ui/static/dashboard.js" in html
    assert f"/_mock/ui/static/pages/{name}.js" in html
    with client.get(f"/_mock/ui/static/pages/{name}.js") as script:
        assert script.status_code == 200
        assert "start(() => {" in script.get_data(as_text=True)
    assert not re.search(r'(src|href|action)="(https?:)?//', html)  # nothing from elsewhere


def test_dashboard_home_goes_to_users(client: FlaskClient) -> None:
    reply = client.get("/_mock/ui?app=app_x")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/_mock/ui/users?app=app_x"


def test_dashboard_unknown_page(client: FlaskClient) -> None:
    assert client.get("/_mock/ui/nope").status_code == 404


def test_dashboard_static_files(client: FlaskClient) -> None:
    with client.get("/_mock/ui/static/dashboard.js") as script:
        assert script.status_code == 200
        assert "X-Moonkey-Mock-Now" in script.get_data(as_text=True)
    with client.get("/_mock/ui/static/dashboard.css") as style:
        assert style.status_code == 200


def test_dashboard_absent_without_the_control_api(
    config: MockConfig, clock: ControllableClock
) -> None:
    app = create_app(config.with_(control=False), clock=clock)
    assert app.test_client().get("/_mock/ui/users").status_code == 404


def test_dashboard_without_a_token_needs_no_login(client: FlaskClient) -> None:
    reply = client.get("/_mock/ui/login?next=clock")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/_mock/ui/clock"


def test_dashboard_page_with_a_token_asks_to_log_in(guarded: Flask) -> None:
    reply = guarded.test_client().get("/_mock/ui/sessions")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/_mock/ui/login?next=sessions"
    form = guarded.test_client().get("/_mock/ui/login?next=sessions")
    assert form.status_code == 200
    assert 'name="token"' in form.get_data(as_text=True)


def test_dashboard_login_with_a_wrong_token(guarded: Flask) -> None:
    client = guarded.test_client()
    reply = client.post("/_mock/ui/login", data={"token": "nope", "next": "users"})
    assert reply.status_code == 401
    assert "Wrong token" in reply.get_data(as_text=True)
    assert "Set-Cookie" not in reply.headers


def test_dashboard_login_sets_a_strict_http_only_cookie(guarded: Flask) -> None:
    reply = guarded.test_client().post("/_mock/ui/login", data={"token": TOKEN})
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert TOKEN not in cookie  # a digest, not the token
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/_mock" in cookie


def test_control_api_accepts_the_dashboard_cookie(guarded: Flask) -> None:
    client = _logged_in(guarded)
    assert client.get("/_mock/ui/faults").status_code == 200
    assert client.get("/_mock/clock").status_code == 200
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    reply = client.post("/_mock/clock/advance", json={"minutes": 1}, headers=same)
    assert reply.status_code == 200, reply.get_json()


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["foreign-origin", "cross-site"],
)
def test_control_api_refuses_the_cookie_from_another_site(
    guarded: Flask, headers: dict[str, str]
) -> None:
    client = _logged_in(guarded)
    reply = client.post("/_mock/clock/advance", json={"minutes": 1}, headers=headers)
    assert_error(reply, 403, "cross_site_request")  # the control guard, before any cookie


def test_control_api_refuses_a_forged_cookie(guarded: Flask) -> None:
    client = guarded.test_client()
    client.set_cookie(COOKIE, "0" * 64, path="/_mock")
    assert_error(client.get("/_mock/clock"), 401, "unauthorized", "admin token")
    assert client.get("/_mock/ui/users").status_code == 302


def test_dashboard_logout_forgets_the_cookie(guarded: Flask) -> None:
    client = _logged_in(guarded)
    reply = client.post("/_mock/ui/logout")
    assert reply.status_code == 302
    assert_error(client.get("/_mock/clock"), 401, "unauthorized", "admin token")


def test_control_api_still_takes_the_bearer_token(guarded: Flask) -> None:
    reply = guarded.test_client().get("/_mock/clock", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200


def test_dashboard_extend_bounds_come_from_the_served_control_document(
    client: FlaskClient,
) -> None:
    document = yaml.safe_load(client.get("/_mock/openapi.yaml").data)
    minutes = document["components"]["schemas"]["ExtendSessionRequest"]["properties"]["minutes"]
    page = client.get("/_mock/ui/sessions").get_data(as_text=True)
    assert f'data-extend-min="{minutes["minimum"]}"' in page
    assert f'data-extend-max="{minutes["maximum"]}"' in page
    reply = client.get("/_mock/ui/static/pages/sessions.js")
    script = reply.get_data(as_text=True)
    reply.close()
    assert str(minutes["maximum"]) not in script  # not restated in the JavaScript


def test_dashboard_logout_allows_only_its_own_methods(client: FlaskClient) -> None:
    reply = client.options("/_mock/ui/logout")
    assert set(reply.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
