"""The README's quick start, pasted verbatim into bash against a served fake, ends as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_cli import TIMEOUT, Server, _env

ROOT = Path(__file__).resolve().parents[2]


def quickstart_block() -> str:
    """The first ```sh block under the README's "Quick start" heading."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert match, "no sh block in the quick start"
    return match.group(1)


@pytest.fixture
def served(signing_key_file: str) -> Iterator[str]:
    """A ``moonkey-mock serve`` on a free loopback port; its base URL."""
    child = Server("--port", "0", env=_env(MOONKEY_MOCK_SIGNING_KEY=signing_key_file))
    try:
        yield child.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
    finally:
        child.stop()


NO_TOOLS = shutil.which("bash") is None or shutil.which("curl") is None


@pytest.mark.skipif(NO_TOOLS, reason="the quick start needs bash and curl")
def test_readme_quickstart_runs_verbatim_and_ends_in_invalid_session(served: str) -> None:
    result = subprocess.run(
        ["bash", "-c", quickstart_block()],
        env=_env(MOONKEY_URL=served),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # each answer ends with a newline: every output line is one JSON document
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 7, result.stdout
    login, verified, checked, extended, listed, deleted, gone = answers
    assert login["email_id"].startswith("email_")
    assert verified["session_token"]
    assert verified["user_id"].startswith("user_")
    assert checked["session"]["id"] == verified["session"]["id"]
    assert extended["session"]["expires_at"] > checked["session"]["expires_at"]
    assert [s["id"] for s in listed["sessions"]] == [verified["session"]["id"]]
    assert "error_type" not in deleted, deleted
    assert gone["status_code"] == 401
    assert gone["error_type"] == "invalid_session"
    assert gone["error_message"] == "Session not found or has expired"


def test_readme_quickstart_keeps_the_shell_user_variable() -> None:
    assert not re.search(r"^\s*USER=", quickstart_block(), flags=re.MULTILINE)
