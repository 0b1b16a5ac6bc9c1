"""The dashboard at /_mock/ui, driven in headless Chromium (Debian's ``chromium`` package).

The fake runs on 127.0.0.1 in a background thread with an admin token; the tests log in through
the form, then act as a downstream app would (real HTTP calls to the fake) and watch the pages
follow, waiting with Playwright's auto-retrying expectations (never a sleep). One test also
writes the README's screenshots to ``docs/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, FloatRect, Page, expect, sync_playwright

from conformance.server import MockServer
from mock_server import MockConfig
from mock_server.control.inprocess import Controls
from mock_server.errors import ApiError

CHROMIUM = shutil.which("chromium") or ""
if not CHROMIUM:
    pytest.skip(
        "no chromium on the PATH (Debian: apt-get install -y chromium; .ci/run does)",
        allow_module_level=True,
    )

TOKEN = "dashboard-admin-token"
VERIFY = "/v1/auth/sessions/verify"
LIVE_MS = 2_500  # "within two seconds", plus the time a busy CI machine takes to paint
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
# The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; a normal run writes them to
# reports/ so that `make test` leaves the checkout unchanged.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "reports") / "screenshots"
START = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def server(signing_key_file: str) -> Iterator[MockServer]:
    """The fake over HTTP, behind an admin token."""
    config = MockConfig(
        strict=True, random_seed="dashboard", admin_token=TOKEN, signing_key_file=signing_key_file
    )
    with MockServer(config) as served:
        yield served
        served.raise_crashes()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def mock(server: MockServer) -> Controls:
    """The served fake's control API, reset for each test, its clock frozen at ``START``."""
    controls = Controls(server.state)
    controls.reset()
    controls.set_time(START.isoformat(), freeze=True)
    return controls


@pytest.fixture
def page(browser: Browser, server: MockServer, mock: Controls) -> Iterator[Page]:
    """A fresh browser context, logged in to the dashboard through its form."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(5_000)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    tab.goto(f"{server.url}/_mock/ui/")
    tab.get_by_label("Admin token").fill(TOKEN)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Users", level=1)).to_be_visible()
    expect(tab.locator("body[data-ready]")).to_have_count(1)
    yield tab
    context.close()
    assert script_errors == [], "the dashboard's script failed"


def visit(page: Page, title: str) -> None:
    """Open a page from the tabs and wait until its script is listening."""
    page.get_by_role("navigation").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.locator("body[data-ready]")).to_have_count(1)


class Api:
    """A downstream app's calls to the fake (the default app's secret key)."""

    def __init__(self, server: MockServer) -> None:
        self.url = server.url
        self.key = server.state.default_app().secret_keys[0]

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return requests.post(self.url + path, json=body, headers=headers, timeout=10)

    def login(self, mock: Controls, email: str, minutes: int = 60) -> dict[str, Any]:
        """The email passcode flow; returns the verify answer."""
        assert self.post("/v1/auth/otps/email/login_or_create", {"email": email}).ok
        code = mock.outbox(email)[0]["code"]
        body = {"email": email, "code": code, "session_expires_in": minutes}
        reply = self.post("/v1/auth/otps/verify", body)
        assert reply.status_code == 200, reply.text
        verified: dict[str, Any] = reply.json()
        return verified

    def verify(self, token: str) -> requests.Response:
        return self.post(VERIFY, {"session_token": token})


def test_login_form_refuses_a_wrong_token(browser: Browser, server: MockServer) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{server.url}/_mock/ui/sessions")
    tab.get_by_label("Admin token").fill("not-the-token")
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("alert")).to_have_text("Wrong token")
    assert requests.get(f"{server.url}/_mock/sessions", timeout=10).status_code == 401
    context.close()


def test_session_appears_live_then_revoke_makes_verify_401(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    visit(page, "Sessions")
    expect(page.get_by_text("No live sessions.")).to_be_visible()
    verified = api.login(mock, "ann@example.com")
    row = page.get_by_role("row").filter(has_text="ann@example.com")
    expect(row).to_be_visible(timeout=LIVE_MS)
    expect(row).to_contain_text("in 1h 0m 0s")  # the fake's clock is frozen
    row.get_by_role("spinbutton").fill("120")
    row.get_by_role("button", name="Extend").click()
    expect(row).to_contain_text("in 2h 0m 0s")
    assert mock.sessions()["sessions"][0]["expires_at"] == int(START.timestamp()) + 7200
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_count(0)
    refused = api.verify(verified["session_token"])
    assert refused.status_code == 401
    assert refused.json()["error_type"] == "invalid_session"


def test_fault_added_from_the_form_fails_the_next_call(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    token = api.login(mock, "ann@example.com")["session_token"]
    visit(page, "Faults")
    form = page.locator("#fault-form")
    form.get_by_label("Operation").select_option("VerifySession")
    form.get_by_label("Status").fill("418")
    form.get_by_role("button", name="Add fault").click()
    with pytest.raises(ApiError) as refused:
        mock.add_fault("VerifySession", status=418)
    message = refused.value.body()["error_message"]
    expect(form.get_by_role("alert")).to_have_text(message)  # the fake's refusal, shown
    form.get_by_label("Status").fill("503")
    form.get_by_label("Times").fill("1")
    form.get_by_role("button", name="Add fault").click()
    expect(form.get_by_role("status")).to_contain_text("Armed fault_")
    row = page.get_by_role("row").filter(has_text="VerifySession")
    expect(row).to_contain_text("503")
    failed = api.verify(token)
    assert failed.status_code == 503
    assert failed.json()["error_type"] == "service_unavailable"
    expect(row).to_have_count(0, timeout=LIVE_MS)  # fired once: gone from the armed rules
    assert api.verify(token).status_code == 200


def test_rate_limit_from_the_form_then_removed(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    token = api.login(mock, "ann@example.com")["session_token"]
    visit(page, "Faults")
    form = page.locator("#fault-form")
    form.get_by_label("Operation").select_option("VerifySession")
    form.get_by_label("Action").select_option("rate_limit")
    expect(form.get_by_label("Status")).to_be_hidden()
    form.get_by_label("Limit (calls)").fill("1")
    form.get_by_label("Window (s)").fill("60")
    form.get_by_role("button", name="Add fault").click()
    row = page.get_by_role("row").filter(has_text="429 after 1 / 60 s")
    expect(row).to_be_visible()
    assert api.verify(token).status_code == 200
    assert api.verify(token).status_code == 429
    expect(row.locator("[data-col=fired]")).to_have_text("1", timeout=LIVE_MS)
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No fault armed")).to_be_visible()
    assert api.verify(token).status_code == 200


def test_journal_filters_and_expands_an_injected_entry(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    token = api.login(mock, "ann@example.com")["session_token"]
    mock.add_fault("VerifySession", status=503, times=1)
    assert api.verify(token).status_code == 503
    visit(page, "Journal")
    entries = page.locator("#journal-list > li")
    expect(entries).to_have_count(3)
    page.get_by_label("Injected").select_option("true")
    expect(entries).to_have_count(1)
    entries.first.locator("summary").click()
    expect(entries.first).to_contain_text(f'"session_token": "{token}"')  # the request body
    expect(entries.first).to_contain_text('"error_type": "service_unavailable"')
    expect(entries.first).to_contain_text("Response body")
    expect(entries.first).to_contain_text('"error_message": "Service Unavailable"')  # the answer
    page.get_by_label("Injected").select_option("")
    page.get_by_label("Operation").select_option("VerifyOtp")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("POST /v1/auth/otps/verify")
    page.get_by_label("Operation").select_option("")
    page.get_by_label("Status").fill("503")
    expect(entries).to_have_count(1)
    api.verify(token)
    page.get_by_label("Status").fill("200")
    expect(entries).to_have_count(3, timeout=LIVE_MS)  # the live tail keeps the filter


def test_advancing_the_clock_expires_a_session(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    token = mock.mint_session(email="bob@example.com", session_expires_in=5)["session_token"]
    visit(page, "Sessions")
    row = page.get_by_role("row").filter(has_text="bob@example.com")
    expect(row).to_contain_text("in 5m 0s")
    visit(page, "Clock")
    expect(page.locator("#clock-mode")).to_have_text("frozen")
    page.get_by_role("button", name="+5 minutes").click()
    expect(page.locator("#clock-now")).to_have_text("2026-03-01 09:35:00 UTC")
    visit(page, "Sessions")
    expect(page.get_by_text("No live sessions.")).to_be_visible()
    assert api.verify(token).status_code == 401


class _Downstream(BaseHTTPRequestHandler):
    """A downstream app's /authenticate page: redeems the magic token at the fake."""

    api: Api

    def do_GET(self) -> None:
        token = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        reply = self.api.post("/v1/auth/magic_links/verify", {"token": token})
        text = f"Signed in as {reply.json()['user']['email']}" if reply.ok else reply.text
        self.send_response(reply.status_code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(f"<h1>{text}</h1>".encode())

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return


@pytest.fixture
def downstream(server: MockServer) -> Iterator[str]:
    """The downstream app on 127.0.0.1 (its base URL)."""
    handler = type("Handler", (_Downstream,), {"api": Api(server)})
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_address[1]}"
    http.shutdown()
    http.server_close()


def test_magic_link_in_the_outbox_signs_in(
    page: Page, server: MockServer, mock: Controls, downstream: str
) -> None:
    api = Api(server)
    visit(page, "Outbox")
    expect(page.get_by_text("Nothing sent yet.")).to_be_visible()
    url = f"{downstream}/authenticate"
    body = {"email": "cat@example.com", "login_redirect_url": url, "registration_redirect_url": url}
    assert api.post("/v1/auth/magic_links/email/login_or_create", body).ok
    link = page.get_by_role("link", name="Open magic link")
    expect(link).to_be_visible(timeout=LIVE_MS)
    link.click()
    expect(page.get_by_role("heading")).to_have_text("Signed in as cat@example.com")


def test_screenshots_of_the_seed_flow(page: Page, server: MockServer, mock: Controls) -> None:
    """The seed flow (login, verify, extend, list, logout) as the dashboard shows it."""
    api = Api(server)
    auth = {"Authorization": f"Bearer {api.key}"}
    ann = api.login(mock, "ann@example.com", minutes=43_200)
    mock.advance(seconds=4)
    bob = api.login(mock, "bob@example.com", minutes=1_440)
    mock.advance(minutes=2)
    api.verify(ann["session_token"])
    api.post(VERIFY, {"session_token": ann["session_token"], "session_expires_in": 60})
    mock.advance(seconds=9)
    listed = f"{server.url}/v1/auth/sessions/list"
    requests.get(listed, params={"user_id": ann["user_id"]}, headers=auth, timeout=10)
    gone = {"session_token": bob["session_token"]}
    requests.delete(f"{server.url}/v1/auth/sessions/delete", json=gone, headers=auth, timeout=10)
    mock.advance(seconds=13)
    api.login(mock, "dan@example.com", minutes=30)
    mock.add_fault("VerifySession", status=503, times=2)
    assert api.verify(ann["session_token"]).status_code == 503
    mock.advance(seconds=6)
    api.post("/v1/auth/otps/email/login_or_create", {"email": "eve@example.com"})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    now = page.locator("#fake-now")

    visit(page, "Sessions")
    expect(page.get_by_role("row").filter(has_text="dan@example.com")).to_contain_text("in 29m 54s")
    expect(now).to_have_text("2026-03-01 09:32:32 UTC")
    top: FloatRect = {"x": 0, "y": 0, "width": 1280, "height": 460}
    page.screenshot(path=str(SCREENSHOTS / "sessions.png"), clip=top)

    visit(page, "Journal")
    injected = page.locator("#journal-list summary").filter(has_text="injected")
    injected.click()
    expect(page.locator("#journal-list details[open]")).to_contain_text("fault_")
    expect(now).to_have_text("2026-03-01 09:32:32 UTC")
    stable = ".duration { visibility: hidden; }"  # the only part that differs between runs
    page.screenshot(path=str(SCREENSHOTS / "journal.png"), style=stable)

    page.set_viewport_size({"width": 420, "height": 860})
    visit(page, "Outbox")
    expect(page.locator("output.code").first).to_be_visible()
    expect(now).to_have_text("2026-03-01 09:32:32 UTC")
    page.screenshot(path=str(SCREENSHOTS / "outbox-narrow.png"))


def test_user_search_detail_and_delete(page: Page, server: MockServer, mock: Controls) -> None:
    api = Api(server)
    ann = api.login(mock, "ann@example.com")
    api.login(mock, "bob@example.com")
    expect(page.locator("#users-body tr")).to_have_count(2, timeout=LIVE_MS)
    page.get_by_label("Search users").fill("ANN")
    expect(page.locator("#users-body tr")).to_have_count(1)
    page.get_by_role("button", name="ann@example.com").click()
    detail = page.locator("#user-detail")
    expect(detail).to_contain_text("verified")
    expect(detail).to_contain_text(ann["session"]["id"])
    detail.get_by_role("button", name="Delete user").click()
    detail.get_by_role("button", name="Really delete?").click()
    expect(page.get_by_text("No user matches.")).to_be_visible()
    assert api.verify(ann["session_token"]).status_code == 401


def test_user_detail_lists_wallets_with_kind_and_balances(
    page: Page, server: MockServer, mock: Controls
) -> None:
    api = Api(server)
    made = api.post("/v1/auth/users/create", {"email": "cat@example.com", "wallet_type": "ETH"})
    user_id = made.json()["user_id"]
    sol = api.post("/v1/wallets/create", {"user_id": user_id, "wallet_type": "SOL"}).json()
    eth = mock.user(user_id)["wallets"][0]
    mock.set_balance(eth["id"], "ETH", "1.25")
    mock.set_balance(eth["id"], "USDC", "10")
    expect(page.locator("#users-body tr")).to_have_count(1, timeout=LIVE_MS)
    page.get_by_role("button", name="cat@example.com").click()
    detail = page.locator("#user-detail")
    expect(detail.get_by_role("heading", name="Wallets (2)")).to_be_visible()
    first = detail.locator(f"[data-wallet='{eth['id']}']")
    expect(first).to_contain_text(eth["public_address"])
    expect(first).to_contain_text("managed")
    expect(first.locator("[data-col=balances]")).to_have_text("1.25 ETH, 10 USDC")
    second = detail.locator(f"[data-wallet='{sol['id']}']")
    expect(second).to_contain_text(sol["public_address"])
    expect(second.locator("[data-col=balances]")).to_have_text("no balance set")


def test_user_detail_lists_transfers(page: Page, server: MockServer, mock: Controls) -> None:
    api = Api(server)
    made = api.post("/v1/auth/users/create", {"email": "dan@example.com", "wallet_type": "ETH"})
    user_id = made.json()["user_id"]
    wallet = mock.user(user_id)["wallets"][0]
    mock.set_balance(wallet["id"], "ETH", "10")
    body = {"source": wallet["id"], "dest": "0x" + "ab" * 20, "dest_currency": "ETH"}
    sent = api.post("/v1/transfers/create", {**body, "source_amount": "5.0"}).json()
    assert api.post(f"/v1/transfers/{sent['id']}/confirm", {}).status_code == 200
    open_one = api.post("/v1/transfers/create", {**body, "source_amount": "1"}).json()
    expect(page.locator("#users-body tr")).to_have_count(1, timeout=LIVE_MS)
    page.get_by_role("button", name="dan@example.com").click()
    detail = page.locator("#user-detail")
    expect(detail.get_by_role("heading", name="Transfers (2)")).to_be_visible()
    confirmed = detail.locator(f"[data-transfer='{sent['id']}']")
    expect(confirmed).to_contain_text("5.1 ETH")
    expect(confirmed.locator("[data-col=status]")).to_have_text("pending")
    expect(detail.locator(f"[data-transfer='{open_one['id']}'] [data-col=status]")).to_have_text(
        "unconfirmed"
    )
    mock.fail_transfer(sent["id"], reason="node down")
    expect(confirmed.locator("[data-col=status]")).to_have_text("failed", timeout=LIVE_MS)
    expect(confirmed).to_contain_text("node down")


def test_clock_form_shows_the_fakes_refusal_then_sets(page: Page, mock: Controls) -> None:
    visit(page, "Clock")
    form = page.locator("#set-form")
    form.get_by_label("At", exact=True).fill("next tuesday")
    form.get_by_role("button", name="Set the clock").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Invalid body field 'at': 'next tuesday' is not an ISO-8601 instant"
    )
    form.get_by_label("At", exact=True).fill("2030-01-01T09:00:00Z")
    form.get_by_label("Then").select_option("freeze")
    form.get_by_role("button", name="Set the clock").click()
    expect(page.locator("#clock-now")).to_have_text("2030-01-01 09:00:00 UTC")
    expect(form.get_by_role("alert")).to_be_hidden()
    assert mock.clock()["now_iso"] == "2030-01-01T09:00:00.000Z"


def test_state_export_then_import(page: Page, server: MockServer, mock: Controls) -> None:
    mock.mint_session(email="ann@example.com")
    visit(page, "State")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download export").click()
    saved = download.value.path()
    mock.reset(keep_clock=True)
    assert mock.users()["total"] == 0
    form = page.locator("#import-form")
    form.get_by_label("Export file").set_input_files(saved)
    form.get_by_role("button", name="Import").click()
    expect(form.get_by_role("status")).to_contain_text("1 users")
    assert mock.users()["users"][0]["email"] == "ann@example.com"


def test_new_app_and_reset_from_the_pages(page: Page, server: MockServer, mock: Controls) -> None:
    visit(page, "Apps & keys")
    form = page.locator("#app-form")
    form.get_by_label("Default session (minutes)").fill("3")
    form.get_by_role("button", name="Create app").click()
    expect(form.get_by_role("alert")).to_contain_text("default_session_minutes")
    form.get_by_label("Default session (minutes)").fill("")
    form.get_by_label("Name").fill("Second app")
    form.get_by_role("button", name="Create app").click()
    expect(page.get_by_role("heading", name="Second app")).to_be_visible()
    second = next(a for a in mock.apps() if a["name"] == "Second app")
    page.get_by_label("App", exact=True).select_option(second["app_id"])
    expect(page).to_have_url(f"{server.url}/_mock/ui/apps?app={second['app_id']}")
    mock.mint_session(email="zed@example.com", app_id=second["app_id"])
    visit(page, "State")
    reset = page.locator("#reset-form")
    reset.get_by_role("button", name="Reset…").click()
    reset.get_by_role("button", name="Yes, reset").click()
    expect(reset.get_by_role("status")).to_have_text(f"Reset app {second['app_id']}")
    assert mock.sessions(app_id=second["app_id"])["total"] == 0
