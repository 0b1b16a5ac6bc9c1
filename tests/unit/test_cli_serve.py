"""``moonkey-mock serve``'s banner and ``moonkey-mock wait``."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server import MockConfig, create_app, state_of
from mock_server.cli import banner
from tests.unit.test_cli import TIMEOUT, Server, _env

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed.yaml"
BASE = "http://127.0.0.1:8080"


def test_banner_lists_the_default_app_and_where_things_are(config: MockConfig) -> None:
    lines = banner(state_of(create_app(config)), BASE)
    assert lines == [
        f"moonkey-mock listening on {BASE}",
        f"  app_id:       {config.app_id}",
        f"  secret key:   {config.secret_key}",
        f"  public token: {config.public_token}",
        f"  control API:  {BASE}/_mock/",
        f"  dashboard:    {BASE}/_mock/ui",
        f"  index:        {BASE}/ (links to the API spec, control spec and docs)",
    ]


def test_banner_confirms_the_seed_file_and_lists_its_apps_keys(config: MockConfig) -> None:
    lines = banner(state_of(create_app(config.with_(seed_file=str(SEED)))), BASE)
    assert (
        f"  seed file:    {SEED} loaded: 3 users and 2 sessions in the default app, 1 more apps"
    ) in lines
    assert (
        "  seeded app:   app_seedSecondApp00000000000001 (Second tenant) "
        "secret key sk_test_seedSecondAppSecretKey000000000000000000000001 "
        "public token pk_test_seedSecondAppPublicToken0000000000000000001"
    ) in lines


def test_banner_says_when_the_control_api_is_off_or_guarded(config: MockConfig) -> None:
    off = banner(state_of(create_app(config.with_(control=False))), BASE)
    assert "  control API:  off (--control to serve it on a non-loopback address)" in off
    guarded = banner(state_of(create_app(config.with_(admin_token="t"))), BASE)
    assert f"  control API:  {BASE}/_mock/ (admin token required)" in guarded


# --- moonkey-mock wait -------------------------------------------------------------------


def _wait(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "wait", url, *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(params=[[], ["--no-control"]], ids=["control", "no-control"])
def served(request: pytest.FixtureRequest, signing_key_file: str) -> Iterator[tuple[str, str]]:
    """A served fake's URL and the path ``wait`` should find it by."""
    child = Server(
        "--port", "0", *request.param, env=_env(MOONKEY_MOCK_SIGNING_KEY=signing_key_file)
    )
    try:
        url = child.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
        yield url, "/" if request.param else "/_mock/health"
    finally:
        child.stop()


def test_wait_exits_0_once_the_fake_answers(served: tuple[str, str]) -> None:
    url, path = served
    result = _wait(url + "/", "--timeout", "20")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"moonkey-mock: {url} is up ({path} answered 200)\n"


def test_wait_times_out_with_a_message_when_nothing_listens() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = _wait(url, "--timeout", "0.5")
    assert result.returncode == 1
    assert result.stderr.startswith(f"moonkey-mock wait: {url} did not answer within 0.5 s")
    assert "nothing answered: ConnectionError" in result.stderr
