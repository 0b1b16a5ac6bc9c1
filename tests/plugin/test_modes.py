"""How the plugin's fake runs: in-process (crash re-raise, port closed), external, xdist."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import mock_server.domain.sessions
from conformance.server import MockServer
from mock_server import MockConfig

ARGS = ("-p", "no:cacheprovider", "-q")

LOGIN_TEST = """
import os

def test_login(moonkey_mock, moonkey_mock_server):
    assert moonkey_mock_server.external_fake
    assert moonkey_mock.base_url == moonkey_mock_server.url == os.environ["OUTER_URL"]
    assert moonkey_mock.login("ada@example.com").session_token
"""


@pytest.fixture
def outer_fake(signing_key_file: str) -> Iterator[MockServer]:
    """A fake started by the outer test, as CI would start one as a service."""
    with MockServer(MockConfig(strict=True, signing_key_file=signing_key_file)) as server:
        yield server
        server.raise_crashes()


def test_moonkey_mock_server_closes_its_port_after_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_write_port(moonkey_mock_server, tmp_path_factory):
            assert not moonkey_mock_server.external_fake
            assert moonkey_mock_server.url.startswith("http://127.0.0.1:")
            port = moonkey_mock_server.server.port
            (tmp_path_factory.getbasetemp() / "port").write_text(str(port))
        """
    )
    pytester.runpytest(*ARGS, "--basetemp", str(pytester.path / "base")).assert_outcomes(passed=1)
    port = int((pytester.path / "base" / "port").read_text())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_moonkey_mock_reraises_a_crash_in_the_test_that_caused_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import mock_server.domain.sessions

        def explode(*args, **kwargs):
            raise RuntimeError("boom inside the fake")

        def test_crashes_the_fake(moonkey_mock, monkeypatch):
            me = moonkey_mock.session("ada@example.com")
            monkeypatch.setattr(mock_server.domain.sessions, "verify", explode)
            body = {"session_token": me.session_token}
            reply = moonkey_mock.api("POST", "/v1/auth/sessions/verify", body)
            assert reply.status_code == 500  # the app saw a 500; the test still fails below

        def test_next_test_is_unaffected(moonkey_mock):
            assert moonkey_mock.login("ada@example.com").session_token
        """
    )
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: boom inside the fake*", "*1 failed, 1 passed*"])


def test_moonkey_mock_external_url_option_uses_that_fake(
    pytester: pytest.Pytester, outer_fake: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTER_URL", outer_fake.url)
    pytester.makepyfile(LOGIN_TEST)
    result = pytester.runpytest(*ARGS, "--moonkey-mock-url", outer_fake.url)
    result.assert_outcomes(passed=1)
    # the test's own app is gone, with its users, sessions and journal
    assert [a.app_id for a in outer_fake.state.store.apps()] == [outer_fake.config.app_id]
    assert outer_fake.state.journal.entries() == []


def test_moonkey_mock_external_url_from_the_environment(
    pytester: pytest.Pytester, outer_fake: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOONKEY_MOCK_URL", outer_fake.url)
    monkeypatch.setenv("OUTER_URL", outer_fake.url)
    pytester.makepyfile(LOGIN_TEST)
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)


def test_moonkey_mock_reports_an_external_fakes_crash_at_teardown(
    pytester: pytest.Pytester, outer_fake: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom inside the external fake")

    monkeypatch.setattr(mock_server.domain.sessions, "verify", explode)
    pytester.makepyfile(
        """
        def test_crashes_the_fake(moonkey_mock):
            me = moonkey_mock.session("ada@example.com")
            body = {"session_token": me.session_token}
            assert moonkey_mock.api("POST", "/v1/auth/sessions/verify", body).status_code == 500
            moonkey_mock.fail_next("GetJWKs", status=500)  # an injected 500 is not a crash
            assert moonkey_mock.api("GET", "/v1/auth/jwks/default").status_code == 500
        """
    )
    result = pytester.runpytest(*ARGS, "--moonkey-mock-url", outer_fake.url)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*MoonkeyMockError: the external fake answered 500 internal_error to "
            "POST /v1/auth/sessions/verify during this test*"
        ]
    )
    assert [str(c) for c in outer_fake.state.take_crashes()] == ["boom inside the external fake"]


def test_moonkey_mock_external_url_without_a_fake_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pytester.makepyfile(LOGIN_TEST)
    result = pytester.runpytest(*ARGS, "--moonkey-mock-url", f"http://127.0.0.1:{port}/")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # one error before any test, not one each
    result.assert_outcomes()
    result.stderr.fnmatch_lines(
        [f"*no fake answers at http://127.0.0.1:{port}: Connection refused*"]
    )


def test_moonkey_mock_works_with_xdist(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        f"""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_same_email_everywhere(moonkey_mock, moonkey_mock_server, n):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            out = {str(tmp_path)!r} + "/" + worker
            with open(out, "a") as f:
                f.write(moonkey_mock_server.url + "\\n")
            moonkey_mock.advance(days=n)
            me = moonkey_mock.login("ada@example.com")
            assert me.user["status"] == "active"
            assert moonkey_mock.request_count("LoginOrCreateUserByEmailOtp") == 1
            assert moonkey_mock.requests("LoginOrCreateUserByEmailOtp")[0]["body"] == {{
                "email": "ada@example.com"
            }}
        """
    )
    result = pytester.runpytest_subprocess(*ARGS, "-n", "2")
    result.assert_outcomes(passed=6)
    urls = {p.name: set(p.read_text().split()) for p in tmp_path.iterdir()}
    assert len(urls) == 2  # two workers ...
    assert all(len(u) == 1 for u in urls.values())  # ... each with one fake ...
    assert len(set.union(*urls.values())) == 2  # ... of its own
