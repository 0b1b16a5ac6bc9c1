"""freezegun in the test process moves the in-process fake too (across its server thread)."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_follows_freezegun(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import datetime as dt
        from freezegun import freeze_time

        START = dt.datetime(2031, 5, 1, 12, 0, tzinfo=dt.timezone.utc)

        def verify(mm, me):
            return mm.api("POST", "/v1/auth/sessions/verify", {"session_token": me.session_token})

        def test_freeze_time_context(moonkey_mock):
            with freeze_time(START) as frozen:
                me = moonkey_mock.login("ada@example.com", session_expires_in=60)
                assert me.session["started_at"] == START.timestamp()
                assert verify(moonkey_mock, me).headers["X-Moonkey-Mock-Now"] == "1935403200.000"
                frozen.tick(dt.timedelta(minutes=59))
                assert verify(moonkey_mock, me).status_code == 200
                frozen.tick(dt.timedelta(minutes=1))
                assert verify(moonkey_mock, me).status_code == 401

        @freeze_time(START, tick=True)
        def test_freeze_time_decorator_with_tick(moonkey_mock):
            me = moonkey_mock.session("ada@example.com")
            assert abs(me.session["started_at"] - START.timestamp()) < 5
            assert verify(moonkey_mock, me).status_code == 200

        def test_helpers_still_work_on_top(moonkey_mock):
            with freeze_time(START):
                me = moonkey_mock.login("ada@example.com", session_expires_in=60)
                moonkey_mock.advance(hours=1)  # an offset on top of freezegun's time
                assert verify(moonkey_mock, me).status_code == 401
                assert moonkey_mock.now() == START.timestamp() + 3600

        def test_real_time_again_after(moonkey_mock):
            me = moonkey_mock.session("ada@example.com")
            assert me.session["started_at"] > START.timestamp() - 10 * 365 * 86400
            assert me.session["started_at"] < START.timestamp()
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=4)


def test_moonkey_mock_follows_freezegun_even_with_an_ignore_list(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import datetime as dt
        from freezegun import freeze_time

        def test_ignored(moonkey_mock):
            # freezegun's ignore list only affects time.time() & co.; the fake reads
            # datetime.datetime.now, which freezegun replaces for everyone.
            with freeze_time("2031-05-01", ignore=["mock_server", "conformance"]):
                me = moonkey_mock.session("ada@example.com")
                assert me.session["started_at"] == dt.datetime(2031, 5, 1).timestamp()
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)
