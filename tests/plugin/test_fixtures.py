"""The plugin's per-test handle: isolation, login, shortcuts, time, faults, journal (pytester)."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_login_goes_through_the_otp_flow(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_login(moonkey_mock):
            me = moonkey_mock.login("ada@example.com", session_expires_in=60, user_agent="Phone")
            assert me.session_token and me.session_jwt.count(".") == 2
            assert me.user_id.startswith("user_") and me.user["email"] == "ada@example.com"
            assert me.session["expires_at"] - me.session["started_at"] == 3600
            assert me.session["device_info"]["user_agent"] == "Phone"
            assert me.headers == {"session-token": me.session_token}
            assert moonkey_mock.request_count("LoginOrCreateUserByEmailOtp") == 1
            assert moonkey_mock.request_count("VerifyOtp") == 1
            assert moonkey_mock.outbox("ada@example.com")[0]["kind"] == "otp"
            verified = requests.post(
                moonkey_mock.base_url + "/v1/auth/sessions/verify",
                headers=moonkey_mock.headers,
                json={"session_token": me.session_token},
                timeout=5,
            )
            assert verified.status_code == 200

        def test_session_shortcut(moonkey_mock):
            me = moonkey_mock.session("bob@example.com", session_expires_in=30)
            assert me.session_id.startswith("sess_")
            body = {"session_token": me.session_token}
            reply = moonkey_mock.api("POST", "/v1/auth/sessions/verify", body)
            assert reply.json()["user"]["email"] == "bob@example.com"
            assert moonkey_mock.request_count() == 1  # the shortcut itself is not an API call
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_moonkey_mock_env_points_at_the_tests_own_app(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os

        def test_env(moonkey_mock):
            env = moonkey_mock.env
            assert env["MOONKEY_API_URL"] == env["MOONKEY_BASE_URL"] == moonkey_mock.base_url
            assert env["MOONKEY_SECRET_KEY"] == moonkey_mock.secret_key
            assert env["MOONKEY_SECRET_KEY"].startswith("sk_test_")
            assert env["MOONKEY_PUBLIC_TOKEN"] == moonkey_mock.public_token
            assert env["MOONKEY_APP_ID"] == moonkey_mock.app_id
            assert "MOONKEY_SECRET_KEY" not in os.environ
            moonkey_mock.monkeypatch_env()
            assert os.environ["MOONKEY_SECRET_KEY"] == moonkey_mock.secret_key

        def test_env_is_undone(moonkey_mock):
            assert "MOONKEY_SECRET_KEY" not in os.environ
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_moonkey_mock_isolates_tests_by_app(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        seen = {}

        def test_first(moonkey_mock):
            seen["user_id"] = moonkey_mock.login("ada@example.com").user_id
            seen["app_id"] = moonkey_mock.app_id
            seen["key"] = moonkey_mock.secret_key

        def test_second_sees_nothing_of_the_first(moonkey_mock, moonkey_mock_server):
            assert moonkey_mock.app_id != seen["app_id"]
            assert moonkey_mock.secret_key != seen["key"]
            assert moonkey_mock.outbox() == [] and moonkey_mock.requests() == []
            listed = moonkey_mock.api("GET", "/v1/auth/sessions/list", user_id=seen["user_id"])
            assert listed.status_code == 404
            assert listed.json()["error_type"] == "user_not_found"
            old_key = {"Authorization": "Bearer " + seen["key"]}  # the first app is gone
            gone = moonkey_mock_server.http.get(
                moonkey_mock.base_url + "/v1/auth/jwks/default", headers=old_key, timeout=5
            )
            assert gone.status_code == 401
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_moonkey_mock_app_marker_sets_the_apps_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.moonkey_mock_app(default_session_minutes=None)
        def test_reference_behaviour(moonkey_mock):
            assert moonkey_mock.login("ada@example.com").session_token == ""
        """
    )
    pytester.runpytest(*ARGS, "--strict-markers").assert_outcomes(passed=1)


def test_moonkey_mock_time_helpers_move_the_fake_and_are_undone(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import time

        def verify(mm, me):
            return mm.api("POST", "/v1/auth/sessions/verify", {"session_token": me.session_token})

        def test_expiry(moonkey_mock):
            me = moonkey_mock.login("ada@example.com", session_expires_in=60)
            start = moonkey_mock.freeze()
            assert moonkey_mock.advance(minutes=59) == start + 59 * 60
            assert verify(moonkey_mock, me).status_code == 200
            moonkey_mock.advance(minutes=1)
            assert verify(moonkey_mock, me).status_code == 401
            assert abs(moonkey_mock.set_time("2040-01-01T00:00:00Z") - 2208988800) < 5

        def test_clock_is_back_to_real_time(moonkey_mock):
            assert abs(moonkey_mock.now() - time.time()) < 60
            assert moonkey_mock.control.health()["frozen"] is False
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_moonkey_mock_faults_hit_only_the_named_operation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests

        def test_faults(moonkey_mock):
            me = moonkey_mock.session("ada@example.com")
            body = {"session_token": me.session_token}
            moonkey_mock.fail_next("VerifySession", status=503, times=2)
            assert moonkey_mock.api("GET", "/v1/auth/jwks/default").status_code == 200
            for _ in range(2):
                failed = moonkey_mock.api("POST", "/v1/auth/sessions/verify", body)
                assert failed.status_code == 503
            assert moonkey_mock.api("POST", "/v1/auth/sessions/verify", body).status_code == 200
            moonkey_mock.drop("VerifySession")
            with pytest.raises(requests.ConnectionError):
                moonkey_mock.api("POST", "/v1/auth/sessions/verify", body)
            moonkey_mock.delay("VerifySession", ms=300)
            slow = moonkey_mock.api("POST", "/v1/auth/sessions/verify", body)
            assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.3
            assert moonkey_mock.request_count("VerifySession") == 5
            assert moonkey_mock.request_count("VerifySession", status=503) == 2
            assert [e["injected"] for e in moonkey_mock.requests("VerifySession")] == [
                True, True, False, True, True
            ]
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)


def test_moonkey_mock_login_error_names_the_failing_call(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from conformance.fake import MoonkeyMockError

        def test_login_during_an_outage(moonkey_mock):
            moonkey_mock.fail_next("VerifyOtp", status=503)
            with pytest.raises(MoonkeyMockError, match="otps/verify answered 503"):
                moonkey_mock.login("ada@example.com")
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)
