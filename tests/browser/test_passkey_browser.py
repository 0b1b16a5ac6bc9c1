"""A real browser registers a passkey and signs in with it against the fake.

Headless Chromium (Debian's ``chromium``, driven by Playwright's Python package without any
downloaded browser) opens the fake's ``/_mock/passkey`` page at ``http://localhost:<port>`` (a
secure context, rp id ``localhost``). Chromium's virtual authenticator, added over the DevTools
protocol (``WebAuthn.addVirtualAuthenticator``), answers ``navigator.credentials.create()`` and
``get()``, so the fake verifies exactly what a browser sends.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from conformance.server import MockServer
from mock_server import MockConfig

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "no chromium on PATH: install it with 'apt-get install -y chromium' (CI does)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def server(signing_key_file: str) -> Iterator[MockServer]:
    """The fake over HTTP (strict), for the browser."""
    config = MockConfig(strict=True, random_seed="browser", signing_key_file=signing_key_file)
    with MockServer(config) as served:
        yield served
        served.raise_crashes()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system package (never a Playwright-downloaded one)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _virtual_authenticator(page: Any) -> tuple[Any, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",  # a platform authenticator, as the options ask
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(added["authenticatorId"])


def _run(page: Any, button: str, done: str) -> dict[str, Any]:
    page.click(f"#{button}")
    page.wait_for_function(
        "(done) => ['error', done].includes(document.getElementById('status').dataset.state)",
        arg=done,
        timeout=WAIT_MS,
    )
    text = page.inner_text("#result")
    assert page.get_attribute("#status", "data-state") == done, text
    body: dict[str, Any] = json.loads(text)
    return body


def test_chromium_virtual_authenticator_registers_and_signs_in(
    server: MockServer, browser: Any
) -> None:
    key = server.state.default_app().secret_keys[0]
    headers = {"Authorization": f"Bearer {key}"}
    created = requests.post(
        f"{server.url}/v1/auth/users/create",
        json={"email": "browser@example.com", "first_name": "Brow"},
        headers=headers,
        timeout=10,
    ).json()
    user_id = created["user_id"]
    page = browser.new_page()
    try:
        cdp, authenticator = _virtual_authenticator(page)
        page.goto(
            f"http://localhost:{server.port}/_mock/passkey"
            f"?key={key}&user_id={user_id}&domain=localhost"
        )
        registered = _run(page, "register", "registered")
        assert registered["user_id"] == user_id
        assert registered["webauthn_credential_id"].startswith("webauthn_")

        signed_in = _run(page, "sign_in", "signed-in")
        assert signed_in["user_id"] == user_id
        assert signed_in["webauthn_credential_id"] == registered["webauthn_credential_id"]
        (factor,) = signed_in["session"]["factors"]
        assert factor["delivery_channel"] == "webauthn_credential"
        assert factor["method"]["method_id"] == registered["webauthn_credential_id"]

        again = _run(page, "sign_in", "signed-in")  # the sign counter moves on
        assert again["session"]["id"] != signed_in["session"]["id"]
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        (credential,) = held["credentials"]
        assert credential["rpId"] == "localhost"
        assert credential["signCount"] >= 2  # Chromium also counts the registration
    finally:
        page.close()

    user = requests.get(f"{server.url}/v1/auth/users/{user_id}", headers=headers, timeout=10)
    (listed,) = user.json()["webauthn_credentials"]
    assert listed["id"] == registered["webauthn_credential_id"]
    verified = requests.post(
        f"{server.url}/v1/auth/sessions/verify",
        json={"session_token": again["session_token"]},
        headers=headers,
        timeout=10,
    )
    assert verified.json()["session"]["factors"][0]["type"] == "webauthn"
