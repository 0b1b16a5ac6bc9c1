"""Hardening over a real socket: held calls never starve the control API; memory stays flat."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.server import MockServer
from mock_server import MockConfig

THREADS = 6


@pytest.fixture(params=["waitress", "native"])
def served(signing_key_file: str, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The fake under each server with a few threads (held-call bound: THREADS - 2)."""
    config = MockConfig(strict=True, random_seed="hard", signing_key_file=signing_key_file)
    with MockServer(config, threads=THREADS, server=request.param) as server:
        yield server
        server.raise_crashes()


def _hang(served: MockServer, **rule: object) -> None:
    body = {"operation_id": "GetJWKs", "action": "hang", "hang_seconds": 60, **rule}
    reply = requests.post(f"{served.url}/_mock/faults", json=body, timeout=5)
    assert reply.status_code == 200, reply.text


def _call(served: MockServer) -> int | str:
    key = served.state.config.secret_key
    try:
        reply = requests.get(
            f"{served.url}/v1/auth/jwks/default?api_key={key}",
            headers={"Connection": "close"},
            timeout=90,
        )
    except requests.ConnectionError:
        return "dropped"
    return reply.status_code


def test_held_calls_never_starve_the_control_api(served: MockServer) -> None:
    _hang(served)
    bound = served.state.config.held_limit
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        calls = [pool.submit(_call, served) for _ in range(20)]
        assert served.state.faults.wait_until_held(bound, timeout=20)
        finished = concurrent.futures.as_completed(calls, timeout=30)
        assert [next(finished).result() for _ in range(20 - bound)] == [503] * (20 - bound)
        started = time.perf_counter()
        health = requests.get(f"{served.url}/_mock/health", timeout=10)
        assert health.status_code == 200
        cleared = requests.delete(f"{served.url}/_mock/faults", timeout=10)
        assert cleared.status_code == 200
        answered_in = time.perf_counter() - started
        outcomes = [c.result(timeout=30) for c in calls]
    assert answered_in < 5  # not the hang's 60 s: two threads always stay free
    assert outcomes.count("dropped") == bound  # the held calls, released by the clear
    assert outcomes.count(503) == 20 - bound  # past the bound: 503 at once, never held


def test_clearing_releases_calls_of_a_rule_that_fired_its_last_time(served: MockServer) -> None:
    _hang(served, times=1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        call = pool.submit(_call, served)
        assert served.state.faults.wait_until_held(1, timeout=20)
        assert requests.get(f"{served.url}/_mock/faults", timeout=5).json()["faults"] == []
        started = time.perf_counter()
        requests.delete(f"{served.url}/_mock/faults", timeout=5)
        assert call.result(timeout=30) == "dropped"
    assert time.perf_counter() - started < 5


def test_a_body_over_the_api_limit_is_413_in_the_envelope(served: MockServer) -> None:
    key = served.state.config.secret_key
    reply = requests.post(
        f"{served.url}/v1/auth/users/create",
        data=b'{"email": "' + b"a" * 2_000_000 + b'@x.io"}',
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert reply.status_code == 413
    assert reply.json()["error_type"] == "request_too_large"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_soak_150_one_megabyte_bad_requests_keep_memory_flat(served: MockServer) -> None:
    """The issue's soak: RSS stays within 100 MiB over 150 one-megabyte bad requests."""
    import os

    key = served.state.config.secret_key
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    megabyte = b'{"email": "a@x.io", "first_name": "' + b"\\ud800" * 170_000 + b'"}'
    assert 1_000_000 <= len(megabyte) <= 1_048_576
    session = requests.Session()
    for _ in range(10):  # warm up: allocator arenas, caches
        session.post(f"{served.url}/v1/auth/users/create", data=megabyte, headers=headers)
    before = _rss_mib(os.getpid())
    statuses = set()
    for _ in range(150):
        reply = session.post(f"{served.url}/v1/auth/users/create", data=megabyte, headers=headers)
        statuses.add(reply.status_code)
    grown = _rss_mib(os.getpid()) - before
    assert statuses == {400}
    assert grown < 100, f"RSS grew {grown:.0f} MiB"
    assert served.state.journal.bytes < 1_000_000


def test_waitress_refuses_an_oversized_body_before_reading_it(served: MockServer) -> None:
    """A declared body over the wire limit is refused from its headers alone (no buffering)."""
    import socket

    from mock_server.serve.waitress_server import MAX_WIRE_BODY

    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        head = (
            "POST /_mock/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {MAX_WIRE_BODY + 1}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"{")  # one byte of the promised 64 MiB
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
