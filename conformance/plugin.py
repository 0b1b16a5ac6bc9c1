"""moonkey-mock's pytest plugin: the fake MoonKey API as fixtures for your app's tests.

Registered through the ``pytest11`` entry point ``moonkey_mock``, so installing moonkey-mock is
enough. Fixtures:

- ``moonkey_mock_server`` (session): the fake in a background thread on ``127.0.0.1`` and a free
  port, or an external fake given by ``--moonkey-mock-url URL`` / ``MOONKEY_MOCK_URL``.
- ``moonkey_mock`` (per test): a :class:`MoonkeyMock` bound to an app of its own (fresh keys,
  users, sessions, outbox, journal and faults), deleted after the test.

An exception raised inside the in-process fake is re-raised in the test that caused it. Markers:
``moonkey_mock_only`` (the test needs the fake, not a real MoonKey deployment) and
``moonkey_mock_app(**settings)`` (settings of the test's own app). Only light imports happen
here: the fake and its HTTP client load when a fixture is first used.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from conformance.fake import MoonkeyMock, MoonkeyMockError, MoonkeyMockServer, SessionTokens

__all__ = ["MoonkeyMock", "MoonkeyMockError", "MoonkeyMockServer", "SessionTokens"]

URL_ENV = "MOONKEY_MOCK_URL"
SERVER_KEY = pytest.StashKey["MoonkeyMockServer"]()
EXTERNAL_KEY = pytest.StashKey["MoonkeyMockServer"]()  # the external fake, checked up front


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--moonkey-mock-url`` and ``--moonkey-mock-admin-token``."""
    group = parser.getgroup("moonkey-mock", "moonkey-mock (fake MoonKey API)")
    group.addoption(
        "--moonkey-mock-url",
        dest="moonkey_mock_url",
        default=None,
        metavar="URL",
        help=f"use a running fake at URL instead of one in-process (env {URL_ENV})",
    )
    group.addoption(
        "--moonkey-mock-admin-token",
        dest="moonkey_mock_admin_token",
        default=None,
        metavar="TOKEN",
        help="the external fake's --admin-token (env MOONKEY_MOCK_ADMIN_TOKEN)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers."""
    config.addinivalue_line(
        "markers",
        "moonkey_mock_only: the test needs moonkey-mock's control API (not a real MoonKey "
        "deployment)",
    )
    config.addinivalue_line(
        "markers",
        "moonkey_mock_app(**settings): settings of the test's own moonkey-mock app "
        "(e.g. default_session_minutes=None, jwt_ttl_seconds=60)",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which fake the run uses when it is an external one."""
    url = external_url(config)
    return f"moonkey-mock: external fake at {url}" if url else None


def external_url(config: pytest.Config) -> str | None:
    """The external fake's URL from the option or the environment, or None (in-process)."""
    value = config.getoption("moonkey_mock_url", default=None) or os.environ.get(URL_ENV)
    return str(value).rstrip("/") if value else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail the test with any exception the in-process fake raised while it ran."""
    handle = item.config.stash.get(SERVER_KEY, None)
    try:
        result = yield
    except BaseException:
        if handle is not None:
            handle.raise_crashes()  # raised while handling: the test's own failure is kept
        raise
    if handle is not None:
        handle.raise_crashes()
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Check an external fake once, before any test runs, when a test will use it."""
    config = session.config
    url = external_url(config)
    if url is None or config.option.collectonly:
        return
    if any("moonkey_mock_server" in getattr(i, "fixturenames", ()) for i in session.items):
        token = config.getoption("moonkey_mock_admin_token", default=None)
        config.stash[EXTERNAL_KEY] = MoonkeyMockServer.external(url, token)


@pytest.fixture(scope="session")
def moonkey_mock_server(pytestconfig: pytest.Config) -> Iterator[MoonkeyMockServer]:
    """The fake every test of this process shares (started once, stopped at the end).

    In-process by default: the fake in a thread on ``127.0.0.1:<free port>`` (strict mode);
    with ``--moonkey-mock-url`` / ``MOONKEY_MOCK_URL``, an external fake driven over HTTP.
    With pytest-xdist each worker starts its own. No port stays open after the session.
    """
    url = external_url(pytestconfig)
    token = pytestconfig.getoption("moonkey_mock_admin_token", default=None)
    handle = pytestconfig.stash.get(EXTERNAL_KEY, None)
    if handle is None:
        handle = MoonkeyMockServer.external(url, token) if url else MoonkeyMockServer.in_process()
    pytestconfig.stash[SERVER_KEY] = handle
    try:
        yield handle
    finally:
        del pytestconfig.stash[SERVER_KEY]
        handle.close()


@pytest.fixture
def moonkey_mock(
    request: pytest.FixtureRequest, moonkey_mock_server: MoonkeyMockServer
) -> Iterator[MoonkeyMock]:
    """This test's own app on the fake: its keys, env vars, login, time, faults and journal.

    The app is deleted after the test, and a clock the test moved is put back. The clock is
    shared by every app of the fake: with an external fake shared by parallel runs, a test that
    moves time affects the others.
    """
    marker = request.node.get_closest_marker("moonkey_mock_app")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    mock = moonkey_mock_server.new_app(request, settings)
    try:
        yield mock
    finally:
        mock.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close an external fake's connections when no test used it."""
    handle = config.stash.get(EXTERNAL_KEY, None)
    if handle is not None:
        handle.close()
