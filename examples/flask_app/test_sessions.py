"""The Flask example app's login, logout, "remember me" and device list against moonkey-mock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from app import REMEMBER_ME_MINUTES, SHORT_SESSION_MINUTES, create_app
from flask.testing import FlaskClient

from conformance.plugin import MoonkeyMock

EMAIL = "grace@example.com"
SignIn = Callable[..., dict[str, Any]]  # the conftest fixture: sign_in(email, remember_me=...)


def token_header(body: dict[str, object]) -> dict[str, str]:
    return {"session-token": str(body["session_token"])}


def test_login_by_passcode_opens_a_session(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    body = sign_in(EMAIL)
    profile = client.get("/api/profile", headers=token_header(body))
    assert profile.status_code == 200
    assert profile.json is not None
    assert profile.json["user"]["email"] == EMAIL
    assert moonkey_mock.request_count("LoginOrCreateUserByEmailOtp") == 1
    assert moonkey_mock.request_count("VerifyOtp") == 1


def test_login_with_a_wrong_passcode_is_refused(
    client: FlaskClient, moonkey_mock: MoonkeyMock
) -> None:
    client.post("/api/login/start", json={"email": EMAIL})
    wrong = "000000" if moonkey_mock.last_code(EMAIL) != "000000" else "111111"
    refused = client.post("/api/login/verify", json={"email": EMAIL, "code": wrong})
    assert refused.status_code == 400
    assert moonkey_mock.requests("VerifyOtp")[-1]["status"] == 400


@pytest.mark.parametrize(
    ("remember_me", "minutes"), [(True, REMEMBER_ME_MINUTES), (False, SHORT_SESSION_MINUTES)]
)
def test_remember_me_sets_the_session_length(
    client: FlaskClient, moonkey_mock: MoonkeyMock, remember_me: bool, minutes: int, sign_in: SignIn
) -> None:
    body = sign_in(EMAIL, remember_me=remember_me)
    assert moonkey_mock.requests("VerifyOtp")[-1]["body"]["session_expires_in"] == minutes
    moonkey_mock.advance(minutes=minutes - 1)
    assert client.get("/api/profile", headers=token_header(body)).status_code == 200
    moonkey_mock.advance(minutes=1)
    assert client.get("/api/profile", headers=token_header(body)).status_code == 401


def test_profile_without_a_valid_token_is_401(
    client: FlaskClient, moonkey_mock: MoonkeyMock
) -> None:
    assert client.get("/api/profile").status_code == 401
    assert client.get("/api/profile", headers={"session-token": "forged"}).status_code == 401
    assert moonkey_mock.request_count("VerifySession") == 1


def test_dropped_connection_is_the_error_path(
    client: FlaskClient, moonkey_mock: MoonkeyMock
) -> None:
    me = moonkey_mock.session(EMAIL)
    moonkey_mock.drop("VerifySession")
    failed = client.get("/api/profile", headers=me.headers)
    assert failed.status_code == 500
    assert failed.json == {"error": "Session verification failed"}


def test_slow_moonkey_times_out_to_the_error_path(moonkey_mock: MoonkeyMock) -> None:
    client = create_app({**moonkey_mock.env, "MOONKEY_TIMEOUT": 0.2}).test_client()
    me = moonkey_mock.session(EMAIL)
    moonkey_mock.delay("VerifySession", ms=600)
    assert client.get("/api/profile", headers=me.headers).status_code == 500


def test_app_reads_its_settings_from_the_environment(moonkey_mock: MoonkeyMock) -> None:
    moonkey_mock.monkeypatch_env()
    me = moonkey_mock.session(EMAIL)
    assert create_app().test_client().get("/api/profile", headers=me.headers).status_code == 200


def test_device_list_shows_each_session_without_tokens(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    phone = moonkey_mock.login(EMAIL, user_agent="iPhone Safari", ip="192.0.2.7")
    laptop = sign_in(EMAIL)
    listed = client.get("/api/sessions", headers=token_header(laptop))
    assert listed.status_code == 200
    assert listed.json is not None
    devices = {d["user_agent"]: d for d in listed.json["sessions"]}
    assert set(devices) == {"iPhone Safari", "Laptop browser"}
    assert devices["iPhone Safari"]["id"] == phone.session_id
    assert devices["Laptop browser"]["current"]
    assert not devices["iPhone Safari"]["current"]
    assert "session_token" not in devices["iPhone Safari"]


def test_revoking_another_device_ends_its_session(
    client: FlaskClient, moonkey_mock: MoonkeyMock, sign_in: SignIn
) -> None:
    phone = moonkey_mock.login(EMAIL, user_agent="iPhone Safari")
    laptop = sign_in(EMAIL)
    revoked = client.delete(f"/api/sessions/{phone.session_id}", headers=token_header(laptop))
    assert revoked.status_code == 200
    assert moonkey_mock.requests("DeleteSession")[-1]["body"] == {"session_id": phone.session_id}
    assert client.get("/api/profile", headers=phone.headers).status_code == 401
    assert client.get("/api/profile", headers=token_header(laptop)).status_code == 200


def test_revoking_someone_elses_session_is_refused(
    client: FlaskClient, moonkey_mock: MoonkeyMock
) -> None:
    stranger = moonkey_mock.session("mallory@example.com")
    me = moonkey_mock.session(EMAIL)
    refused = client.delete(f"/api/sessions/{stranger.session_id}", headers=me.headers)
    assert refused.status_code == 404
    assert moonkey_mock.request_count("DeleteSession") == 0
    assert client.get("/api/profile", headers=stranger.headers).status_code == 200
