"""The README's quick start, pasted verbatim into bash against a served fake, ends as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mock_server.cli import build_parser
from tests.unit.test_cli import TIMEOUT, Server, _env

ROOT = Path(__file__).resolve().parents[2]


def sh_block(heading: str) -> str:
    """The first ```sh block under the README's ``heading``."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert match, f"no sh block under {heading}"
    return match.group(1)


def quickstart_block() -> str:
    """The quick start's block."""
    return sh_block("## Quick start")


def _bash(script: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        env=_env(MOONKEY_URL=url),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


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
    result = _bash(quickstart_block(), served)
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


@pytest.mark.skipif(NO_TOOLS, reason="the README's blocks need bash and curl")
def test_readme_magic_link_and_oauth_block_runs_after_the_quickstart(served: str) -> None:
    script = quickstart_block() + sh_block("### Magic-link and OAuth logins")
    result = _bash(script, served)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    magic_login, magic_verify, url, landing, oauth = lines[7:]
    assert json.loads(magic_login)["email_id"].startswith("email_")
    assert json.loads(magic_verify)["session_token"]
    assert url.startswith(f"{served}/idp/google/o/oauth2/auth?")
    assert landing.startswith("http://localhost:3000/authenticate?token=")
    verified = json.loads(oauth)
    assert verified["provider"] == "google"
    assert verified["session_token"]


def test_readme_ci_jobs_wait_for_the_fake_without_sleep() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use it in CI", 1)[1].split("\n## ", 1)[0]
    # the two job recipes come before the service-container ones (their own test checks those)
    section = section.split("\n### A service container", 1)[0]
    jobs = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    github, gitlab = jobs
    github_steps = " ".join(str(step.get("run", "")) for step in github["jobs"]["test"]["steps"])
    gitlab_steps = " ".join(gitlab["test"]["before_script"])
    for script in (github_steps, gitlab_steps):
        assert "sleep" not in script
        assert "moonkey-mock serve --port 8080" in script
        wait = re.search(r"moonkey-mock (wait \S+ --timeout \d+)", script)
        assert wait, script
        args = build_parser().parse_args(wait.group(1).split())
        assert (args.url, args.timeout) == ("http://127.0.0.1:8080", 60.0)
    assert github["jobs"]["test"]["env"]["MOONKEY_MOCK_URL"] == "http://127.0.0.1:8080"
    assert gitlab["test"]["variables"]["MOONKEY_MOCK_URL"] == "http://127.0.0.1:8080"
