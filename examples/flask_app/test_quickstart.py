"""The Flask example's sessions against moonkey-mock: the complete file the docs show."""

from app import create_app

from conformance.plugin import MoonkeyMock


def test_profile_needs_a_live_session(moonkey_mock: MoonkeyMock) -> None:
    client = create_app(moonkey_mock.env).test_client()  # the app talks to the fake
    me = moonkey_mock.login("ada@example.com")  # the real OTP flow: a 7-day session
    assert client.get("/api/profile", headers=me.headers).status_code == 200
    moonkey_mock.advance(days=7)  # the fake's clock (put back after the test)
    assert client.get("/api/profile", headers=me.headers).status_code == 401


def test_moonkey_outage_is_not_a_logout(moonkey_mock: MoonkeyMock) -> None:
    client = create_app(moonkey_mock.env).test_client()
    me = moonkey_mock.session("ada@example.com")  # shortcut: no login flow
    moonkey_mock.fail_next("VerifySession", status=503)
    assert client.get("/api/profile", headers=me.headers).status_code == 500
    assert client.get("/api/profile", headers=me.headers).status_code == 200


def test_logout_calls_delete_session_once(moonkey_mock: MoonkeyMock) -> None:
    client = create_app(moonkey_mock.env).test_client()
    me = moonkey_mock.login("ada@example.com")
    assert client.post("/api/logout", headers=me.headers).status_code == 200
    assert moonkey_mock.request_count("DeleteSession") == 1
    assert client.get("/api/profile", headers=me.headers).status_code == 401
