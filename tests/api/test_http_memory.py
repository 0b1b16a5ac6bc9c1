"""The default server's memory under large bad requests, as ``moonkey-mock serve`` runs it.

Each closed connection used to keep its last body alive: the connection and its httptools
parser refer to each other, and with the collector's thresholds of ``serve`` (``gc.freeze``,
50,000) such cycles were freed only every ~2,000 connections. docs/decisions.md N1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

KEY = "sk_test_" + "m" * 48
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs /proc (Linux)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(signing_key_file: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``moonkey-mock serve`` (the native server) in a child process on 127.0.0.1."""
    port = _free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port)]
    command += ["--secret-key", KEY, "--signing-key", signing_key_file]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/_mock/health", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)  # noqa: TID251 - waiting for another process to listen
    yield child, url
    child.terminate()
    child.wait(timeout=10)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _bad_request(port: int, index: int) -> bytes:
    """One ~1 MB bad request on a connection of its own; the status line of its answer."""
    if index % 2:
        body = b'{"email": "' + b"\\ud800" * 170_000 + b'@x.io"}'
        path = b"/v1/auth/otps/email/login_or_create"
    else:
        body = b'{"session_token": "' + b"t" * 1_000_000 + b'"}'
        path = b"/v1/auth/sessions/verify"
    head = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += f"Authorization: Bearer {KEY}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        return sock.recv(64).split(b"\r\n", 1)[0]


def test_serve_rss_stays_flat_over_1000_connections_with_a_megabyte_body_each(
    serve: tuple[subprocess.Popen[bytes], str],
) -> None:
    child, url = serve
    port = int(url.rsplit(":", 1)[1])
    for index in range(50):  # warm up: allocator arenas, caches
        _bad_request(port, index)
    before = _rss_mib(child.pid)
    statuses = {_bad_request(port, index) for index in range(1_000)}
    grown = _rss_mib(child.pid) - before
    assert statuses <= {b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 401 Unauthorized"}, statuses
    assert grown < 100, f"RSS grew {grown:.0f} MiB over 1,000 one-megabyte requests"
