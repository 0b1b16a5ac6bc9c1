"""Fixtures of the Flask example's tests: the app wired to this test's moonkey-mock app."""

from __future__ import annotations

from typing import Any, Protocol

import pytest
from app import create_app
from flask.testing import FlaskClient

from conformance.plugin import MoonkeyMock


@pytest.fixture
def client(moonkey_mock: MoonkeyMock) -> FlaskClient:
    """A test client of the example app, configured with the fake's URL and this test's key."""
    return create_app(moonkey_mock.env).test_client()


class SignIn(Protocol):
    """Log in through the app's own endpoints; returns the app's login answer."""

    def __call__(
        self, email: str, *, remember_me: bool = False, user_agent: str = "Laptop browser"
    ) -> dict[str, Any]: ...


@pytest.fixture
def sign_in(client: FlaskClient, moonkey_mock: MoonkeyMock) -> SignIn:
    """Log in through the app (start, passcode from the fake's outbox, verify)."""

    def run(
        email: str, *, remember_me: bool = False, user_agent: str = "Laptop browser"
    ) -> dict[str, Any]:
        started = client.post("/api/login/start", json={"email": email})
        assert started.status_code == 200, started.json
        code = moonkey_mock.last_code(email)
        form = {"email": email, "code": code, "remember_me": remember_me}
        verified = client.post("/api/login/verify", json=form, headers={"User-Agent": user_agent})
        assert verified.status_code == 200, verified.json
        body: dict[str, Any] = verified.get_json()
        return body

    return run
