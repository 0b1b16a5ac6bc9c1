"""The default server's edges under load: 10,000 idle connections, and a soak of bad traffic.

Both run against ``moonkey-mock serve`` (the native server) in its own process on 127.0.0.1:

- **Held connections.** Open ``count`` keep-alive connections, each after one answered
  request, and leave them idle; report how many the server still holds, its RSS per idle
  connection, and the latency of a new client's ``sessions/verify`` meanwhile (a fresh
  connection for each sample, so the time includes the connect).
- **Soak.** For ``seconds``, alternate good verifies on one keep-alive connection with ~1 MB
  bad requests (a lone surrogate in an email, a megabyte ``session_token``), each on a new
  connection; sample the server's RSS every tenth of the run (docs/decisions.md N1).
"""

from __future__ import annotations

import resource
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .client import HOST, Http
from .seeding import MINT
from .servers import Server, fake_argv, free_port

VERIFY = b"/v1/auth/sessions/verify"
HEALTH = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BATCH = 500
SAMPLES = 50
SOAK_JOURNAL = 1000  # entries: full after ~2 s of the soak (the default, 10,000, after ~30 s)


def rss_mib(pid: int) -> float:
    """A process's resident set size (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def _raise_own_file_limit(wanted: int) -> int:
    """Raise this process's open-files limit toward ``wanted``; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _request(path: bytes, key: str, body: bytes, close: bool = False) -> bytes:
    head = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n".encode()
    return head + (b"Connection: close\r\n" if close else b"") + b"\r\n" + body


def _status(sock: socket.socket) -> int:
    """Read one answer's head and body (Content-Length framed); its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside an answer")
        rest += chunk
    return int(head.split(b" ", 2)[1])


def _open_idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections, each after one answered request, in batches."""
    held: list[socket.socket] = []
    while len(held) < count:
        batch = [
            socket.create_connection((HOST, port), timeout=30)
            for _ in range(min(BATCH, count - len(held)))
        ]
        for sock in batch:
            sock.sendall(HEALTH)
        for sock in batch:
            _status(sock)
        held += batch
    return held


def _still_open(held: list[socket.socket]) -> int:
    """How many of ``held`` the server has not closed (no EOF waiting)."""
    alive = 0
    for sock in held:
        sock.setblocking(False)
        try:
            alive += sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return alive


def _session(port: int, key: str, email: str) -> str:
    """A live session's token, minted through the control API."""
    client = Http(port, key)
    try:
        status, body = client.call("POST", MINT, {"email": email})
    finally:
        client.close()
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"POST {MINT} answered {status}")
    return str(body["session_token"])


def _new_client_verifies(port: int, key: str, token: str) -> list[float]:
    """Milliseconds for a new client's verify (connect included), ``SAMPLES`` times."""
    body = b'{"session_token":"' + token.encode() + b'"}'
    times: list[float] = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(_request(VERIFY, key, body, close=True))
            status = _status(sock)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"a new client's verify answered {status}")
    return times


def measure_held(key: str, threads: int, count: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Hold ``count`` idle connections on the default server; memory and a new client's time."""
    limit = _raise_own_file_limit(count + 256)
    if limit < count + 64:
        raise OSError(f"the open-files limit ({limit}) is below {count} connections")
    port = free_port()
    server = Server(fake_argv(port, threads), port)
    held: list[socket.socket] = []
    try:
        server.wait_ready("/_mock/health", None)
        token = _session(port, key, "held@bench.example")
        _new_client_verifies(port, key, token)  # warm up
        before = rss_mib(server.pid)
        started = time.perf_counter()
        held = _open_idle(port, count)
        opened_s = time.perf_counter() - started
        after = rss_mib(server.pid)
        times = _new_client_verifies(port, key, token)
        alive = _still_open(held)
        log(f"bench: {alive:,} idle connections held, new verify max {max(times):.1f} ms")
        return {
            "connections": count,
            "held": alive,
            "open_seconds": round(opened_s, 2),
            "rss_before_mib": round(before, 1),
            "rss_after_mib": round(after, 1),
            "kib_per_connection": round((after - before) * 1024 / count, 2),
            "new_verify_ms": {
                "median": round(statistics.median(times), 3),
                "max": round(max(times), 3),
            },
        }
    finally:
        for sock in held:
            sock.close()
        server.stop()


def _bad(port: int, key: str, index: int) -> int:
    """One ~1 MB bad request on a connection of its own; its status."""
    if index % 2:
        body = b'{"email": "' + b"\\ud800" * 170_000 + b'@x.io"}'
        path = b"/v1/auth/otps/email/login_or_create"
    else:
        body = b'{"session_token": "' + b"t" * 1_000_000 + b'"}'
        path = VERIFY
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(_request(path, key, body, close=True))
        return _status(sock)


def measure_soak(
    key: str, threads: int, seconds: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Good and ~1 MB bad requests for ``seconds``; the server's RSS along the way.

    The journal keeps :data:`SOAK_JOURNAL` entries, so it is full within the first seconds
    and what grows after that is held by something else.
    """
    port = free_port()
    server = Server([*fake_argv(port, threads), "--journal-size", str(SOAK_JOURNAL)], port)
    good = Http(port, key, timeout=10)
    try:
        server.wait_ready("/_mock/health", None)
        token = _session(port, key, "soak@bench.example")
        for index in range(50):  # warm up: allocator arenas, caches
            _bad(port, key, index)
        samples = [rss_mib(server.pid)]
        counts = {"good": 0, "bad": 0, "unexpected": 0}
        started, index = time.perf_counter(), 0
        for tenth in range(1, 11):
            while time.perf_counter() - started < seconds * tenth / 10:
                status, _ = good.call("POST", VERIFY.decode(), {"session_token": token})
                counts["good"] += 1
                counts["unexpected"] += status != 200
                counts["unexpected"] += _bad(port, key, index) not in (400, 401)
                counts["bad"] += 1
                index += 1
            samples.append(rss_mib(server.pid))
        log(f"bench: soak {seconds:.0f} s: RSS {samples[0]:.0f} → {samples[-1]:.0f} MiB")
        return {
            "seconds": seconds,
            "journal_size": SOAK_JOURNAL,
            **counts,
            "rss_mib": [round(sample, 1) for sample in samples],
            "grown_mib": round(samples[-1] - samples[0], 1),
            "grown_after_first_third_mib": round(samples[-1] - samples[3], 1),
        }
    finally:
        good.close()
        server.stop()
