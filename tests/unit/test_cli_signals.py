"""``serve`` stops on SIGTERM and SIGINT with exit code 0, its durable store closed.

``docker stop`` sends SIGTERM, then SIGKILL after 10 s; as PID 1 of a container the kernel
applies no default action to a signal without a handler, so the fake must handle both itself
(docs/decisions.md I5). The last test runs it as PID 1 of a new PID namespace, as a container does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from mock_server.config import DEFAULT_SECRET_KEY
from tests.unit.test_cli import TIMEOUT, Server, _env

STOP_WITHIN = 3.0  # seconds: well inside docker's 10 s grace period
AUTH = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}


def _stop(process: subprocess.Popen[str], signum: int) -> float:
    """Send ``signum`` and return how long the process took to exit."""
    started = time.monotonic()
    process.send_signal(signum)
    process.wait(timeout=TIMEOUT)
    return time.monotonic() - started


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("server", ["native", "waitress", "workers"])
def test_a_signal_stops_serve_with_0_and_the_sqlite_store_keeps_its_state(
    signum: int, server: str, tmp_path: Path, signing_key_file: str
) -> None:
    store = f"sqlite:///{tmp_path / 'state.db'}"
    env = _env(MOONKEY_MOCK_SIGNING_KEY=signing_key_file, MOONKEY_MOCK_STORE=store)
    how = ("--workers", "2") if server == "workers" else ("--server", server)
    first = Server("--port", "0", *how, env=env)
    try:
        base = first.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
        created = requests.post(
            f"{base}/v1/auth/users/create",
            json={"email": "kept@example.com"},
            headers=AUTH,
            timeout=TIMEOUT,
        )
        assert created.status_code == 200, created.text
        took = _stop(first.process, signum)
    finally:
        first.stop()
    assert first.process.returncode == 0
    assert took < STOP_WITHIN
    second = Server("--port", "0", *how, env=env)
    try:
        base = second.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
        user_id = created.json()["user_id"]
        read = requests.get(f"{base}/v1/auth/users/{user_id}", headers=AUTH, timeout=TIMEOUT)
    finally:
        second.stop()
    assert read.status_code == 200, read.text
    assert read.json()["emails"][0]["email"] == "kept@example.com"


def _can_unshare() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "true"], capture_output=True, timeout=TIMEOUT, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare(1) for a PID namespace")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_as_pid_1_stops_on_a_signal(signum: int, signing_key_file: str) -> None:
    command = ["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-m", "mock_server"]
    process = subprocess.Popen(
        [*command, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(MOONKEY_MOCK_SIGNING_KEY=signing_key_file),
    )
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 1  # unshare's child: PID 1 of the new namespace
        status = Path(f"/proc/{children[0]}/status").read_text()
        nspid = [line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")]
        assert nspid
        assert nspid[0][-1] == "1"  # its PID in the innermost namespace
        started = time.monotonic()
        os.kill(int(children[0]), signum)
        process.wait(timeout=TIMEOUT)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0
    assert took < STOP_WITHIN
