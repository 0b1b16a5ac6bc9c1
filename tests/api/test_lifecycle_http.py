"""The seed's session lifecycle over real HTTP (each server on 127.0.0.1), as the README walks it.

Request bodies are the seed guide's curl bodies verbatim (only the code and token filled in).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from conformance.server import MockServer
from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import latest_code

T0 = int(START.timestamp())
README = Path(__file__).resolve().parents[2] / "README.md"

# The seed guide's curl bodies (shared/seed/session-management.md), byte for byte.
SEED_VERIFY_OTP = """{
      "code": "123456",
      "email": "user@example.com",
      "session_expires_in": 10080
    }"""
SEED_VERIFY = """{
      "session_token": "vy9YGpubKjVn98cw1nT25Msj7jaIpHBinUfD45KLdAOgn9NqEuE4qGHOEchEG5Ue"
    }"""
SEED_EXTEND = """{
      "session_token": "vy9YGpubKjVn98cw1nT25Msj7jaIpHBinUfD45KLdAOgn9NqEuE4qGHOEchEG5Ue",
      "session_expires_in": 10080
    }"""
SEED_DELETE = SEED_VERIFY
SEED_DELETE_BY_ID = """{
    "session_id": "session_xyz789"
  }"""
SEED_TOKEN = "vy9YGpubKjVn98cw1nT25Msj7jaIpHBinUfD45KLdAOgn9NqEuE4qGHOEchEG5Ue"


@pytest.fixture(params=["waitress", "native"])
def base_url(app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    """The fake served by each server in a daemon thread; closed at teardown."""
    with MockServer(app=app, threads=4, server=request.param) as server:
        yield server.url


@pytest.fixture
def http(state: MockState) -> Iterator[requests.Session]:
    """A requests session with the README's key (the default app's stable secret key)."""
    key = re.search(r"^KEY=(\S+)$", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert key is not None, "the README quick start defines KEY="
    assert key.group(1) == state.default_app().secret_keys[0]
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key.group(1)}"
        yield session


def _post(http: requests.Session, url: str, body: str, method: str = "POST") -> Any:
    return http.request(method, url, data=body, headers={"Content-Type": "application/json"})


def test_session_lifecycle_over_http_as_in_the_readme(
    base_url: str, http: requests.Session, state: MockState
) -> None:
    api = f"{base_url}/v1/auth"
    sent = http.post(f"{api}/otps/email/login_or_create", json={"email": "user@example.com"})
    assert sent.status_code == 200, sent.text
    code = latest_code(state, "user@example.com")

    verified = _post(http, f"{api}/otps/verify", SEED_VERIFY_OTP.replace("123456", code))
    assert verified.status_code == 200, verified.text
    body = verified.json()
    token, user_id = body["session_token"], body["user_id"]
    assert body["session"]["expires_at"] == T0 + 10080 * 60
    assert body["user"]["id"] == user_id
    assert body["user"]["email"] == "user@example.com"
    assert verified.headers["X-Moonkey-Mock-Now"] == f"{T0:.3f}"

    again = _post(http, f"{api}/sessions/verify", SEED_VERIFY.replace(SEED_TOKEN, token))
    assert again.status_code == 200, again.text
    assert again.json()["session"]["id"] == body["session"]["id"]
    assert again.json()["user"]["id"] == user_id

    extend = SEED_EXTEND.replace(SEED_TOKEN, token).replace("10080", "43200")
    extended = _post(http, f"{api}/sessions/verify", extend)
    assert extended.status_code == 200, extended.text
    assert extended.json()["session"]["expires_at"] == T0 + 43200 * 60

    listed = http.get(f"{api}/sessions/list", params={"user_id": user_id})
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["sessions"]] == [body["session"]["id"]]

    deleted = _post(
        http, f"{api}/sessions/delete", SEED_DELETE.replace(SEED_TOKEN, token), "DELETE"
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"message": "Successfully deleted session"}

    gone = _post(http, f"{api}/sessions/verify", SEED_VERIFY.replace(SEED_TOKEN, token))
    assert gone.status_code == 401
    message = "Session not found or has expired"
    assert gone.json() == {
        "status_code": 401,
        "error_type": "invalid_session",
        "error_message": message,
        "error": {"code": "invalid_session", "message": message},
    }


def test_delete_session_by_id_over_http_with_the_seed_body(
    base_url: str, http: requests.Session, state: MockState
) -> None:
    api = f"{base_url}/v1/auth"
    assert http.post(f"{api}/otps/email/login_or_create", json={"email": "user@example.com"}).ok
    code = latest_code(state, "user@example.com")
    session_id = _post(http, f"{api}/otps/verify", SEED_VERIFY_OTP.replace("123456", code)).json()[
        "session"
    ]["id"]
    by_id = SEED_DELETE_BY_ID.replace("session_xyz789", session_id)
    assert _post(http, f"{api}/sessions/delete", by_id, "DELETE").status_code == 200
    unknown = _post(http, f"{api}/sessions/delete", SEED_DELETE_BY_ID, "DELETE")
    assert unknown.status_code == 404
    assert unknown.json()["error_type"] == "session_not_found"


def test_verify_session_over_http_bad_input_gets_the_envelope(
    base_url: str, http: requests.Session
) -> None:
    url = f"{base_url}/v1/auth/sessions/verify"
    cases = [
        (_post(http, url, "{nope"), 400, "invalid_json"),
        (
            http.post(url, data="x", headers={"Content-Type": "text/plain"}),
            415,
            "unsupported_media_type",
        ),
        (http.get(url), 405, "method_not_allowed"),
        (http.get(f"{base_url}/v1/auth/nowhere"), 404, "not_found"),
        (requests.post(url, json={"session_token": "x"}, timeout=10), 401, "unauthorized"),
    ]
    for reply, status, error_type in cases:
        assert reply.status_code == status
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.json()["error_type"] == error_type
        assert reply.json()["error"]["code"] == error_type
