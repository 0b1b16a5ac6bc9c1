"""The plugin handle's TOTP and password helpers: totp_code, enroll_totp, set_password."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_totp_and_password_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from conformance.plugin import MoonkeyMockError

        def test_totp(moonkey_mock):
            me = moonkey_mock.login("ada@example.com")
            created = moonkey_mock.enroll_totp("ada@example.com")
            assert len(created["recovery_codes"]) == 16
            code = moonkey_mock.totp_code(me.user_id)
            body = {"user_id": me.user_id, "totp": code, "session_token": me.session_token}
            stepped = moonkey_mock.api("POST", "/v1/auth/totps/verify", body).json()
            assert [f["type"] for f in stepped["session"]["factors"]] == ["otp", "totp"]
            moonkey_mock.advance(hours=1)
            later = moonkey_mock.totp_code("ada@example.com")
            body = {"user_id": me.user_id, "totp": later}
            assert moonkey_mock.api("POST", "/v1/auth/totps/verify", body).status_code == 200

        def test_totp_unknown_user(moonkey_mock):
            with pytest.raises(MoonkeyMockError, match="no user"):
                moonkey_mock.enroll_totp("nobody@example.com")

        def test_password(moonkey_mock):
            me = moonkey_mock.session("bob@example.com")
            moonkey_mock.set_password("bob@example.com", "hunter2")
            body = {"password": "hunter2", "session_token": me.session_token}
            reply = moonkey_mock.api("POST", "/v1/auth/passwords/verify", body)
            assert reply.status_code == 200
            assert reply.json()["session"]["id"] == me.session_id
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=3)
