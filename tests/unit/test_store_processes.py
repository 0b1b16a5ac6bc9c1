"""Several processes on one store behave as one fake: two ``serve`` on one Redis, and
``--workers 2`` on SQLite and on Redis (issue 15)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mock_server.config import DEFAULT_SECRET_KEY
from tests.unit.test_cli import TIMEOUT, Server, _env

AUTH = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
CALLS = 40


def _start(store: str, *args: str) -> tuple[Server, str]:
    server = Server("--port", "0", "--store", store, *args, env=_env())
    base = server.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
    return server, base


def _post(base: str, path: str, body: dict[str, str], **headers: str) -> requests.Response:
    # a new connection each call, so the kernel may hand it to any worker
    return requests.post(base + path, json=body, headers=headers or AUTH, timeout=TIMEOUT)


def _login_by_code(send_to: str, read_from: str, verify_at: str, email: str) -> None:
    sent = _post(send_to, "/v1/auth/otps/email/login_or_create", {"email": email})
    assert sent.status_code == 200, sent.text
    outbox = requests.get(f"{read_from}/_mock/outbox", params={"to": email}, timeout=TIMEOUT)
    (message,) = outbox.json()["messages"]
    body = {"email": email, "code": message["code"]}
    assert _post(verify_at, "/v1/auth/otps/verify", body).status_code == 200
    spent = _post(verify_at, "/v1/auth/otps/verify", body)  # single use, whichever process
    assert spent.status_code != 200


@pytest.fixture
def two_on_redis(redis_base: str) -> Iterator[tuple[str, str]]:
    """Two ``serve`` processes on one fresh Redis database."""
    from tests.stores import url_for

    store = url_for("redis", None, redis_base)  # type: ignore[arg-type]
    first, a = _start(store)
    second, b = _start(store)
    yield a, b
    first.stop()
    second.stop()


def test_two_serve_processes_on_one_redis_are_one_fake(two_on_redis: tuple[str, str]) -> None:
    a, b = two_on_redis
    made = requests.post(f"{a}/_mock/sessions", json={"email": "x@example.com"}, timeout=TIMEOUT)
    session = made.json()
    for body in (
        {"session_token": session["session_token"]},
        {"session_jwt": session["session_jwt"]},
    ):
        assert _post(b, "/v1/auth/sessions/verify", body).status_code == 200
    _login_by_code(a, b, b, "y@example.com")
    _login_by_code(b, a, a, "z@example.com")
    journal = {"operation_id": "VerifyOtp", "count": "true"}
    for base in (a, b):  # each process's journal lists both processes' calls
        counted = requests.get(f"{base}/_mock/requests", params=journal, timeout=TIMEOUT)
        assert counted.json() == {"count": 4}
    advanced = requests.post(f"{a}/_mock/clock/advance", json={"hours": 2}, timeout=TIMEOUT)
    seen = requests.get(f"{b}/_mock/clock", timeout=TIMEOUT).json()
    assert abs(seen["now"] - advanced.json()["now"]) < 5


def test_two_serve_processes_count_fault_rules_and_rate_limits_exactly(
    two_on_redis: tuple[str, str],
) -> None:
    a, b = two_on_redis
    token = _post(a, "/_mock/sessions", {"email": "f@example.com"}).json()["session_token"]
    verify = "/v1/auth/sessions/verify"
    rule = {"operation_id": "VerifySession", "action": "error", "status": 503, "times": 3}
    added = requests.post(f"{a}/_mock/faults", json=rule, timeout=TIMEOUT).json()
    statuses = [_post(base, verify, {"session_token": token}).status_code for base in (a, b) * 4]
    assert sorted(statuses) == [200] * 5 + [503] * 3
    assert requests.get(f"{b}/_mock/faults", timeout=TIMEOUT).json()["faults"] == []
    assert added["remaining"] == 3

    limit = {"operation_id": "VerifySession", "limit": 4, "window_seconds": 3600}
    made = requests.post(f"{b}/_mock/faults/rate_limit", json=limit, timeout=TIMEOUT)
    assert made.status_code == 200, made.text
    with ThreadPoolExecutor(4) as pool:
        calls = pool.map(
            lambda base: _post(base, verify, {"session_token": token}).status_code, (a, b) * 5
        )
        statuses = list(calls)
    assert sorted(statuses) == [200] * 4 + [429] * 6
    (shown,) = requests.get(f"{a}/_mock/faults", timeout=TIMEOUT).json()["faults"]
    assert shown["fired"] == 6


@pytest.fixture(params=["sqlite", "redis"])
def store_engine(request: pytest.FixtureRequest) -> str:
    """The shared engines."""
    engine: str = request.param
    return engine


def test_two_workers_serve_one_state(store_url: str) -> None:
    server, base = _start(store_url, "--workers", "2")
    try:

        def mint(n: int) -> dict[str, str]:
            made = _post(base, "/_mock/sessions", {"email": f"w{n}@example.com"})
            assert made.status_code == 200, made.text
            body: dict[str, str] = made.json()
            return body

        with ThreadPoolExecutor(4) as pool:
            sessions = list(pool.map(mint, range(CALLS)))
        for made in sessions:
            body = {"session_jwt": made["session_jwt"]}
            assert _post(base, "/v1/auth/sessions/verify", body).status_code == 200
        for n in range(4):
            _login_by_code(base, base, base, f"code{n}@example.com")
    finally:
        server.stop()


def _pid(base: str) -> int:
    pid: int = requests.get(f"{base}/_mock/health", timeout=TIMEOUT).json()["pid"]
    return pid


def test_two_native_workers_both_answer_and_share_fault_rules(tmp_path: Path) -> None:
    server, base = _start(f"sqlite:///{tmp_path / 'w.db'}", "--workers", "2")
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 20  # the second worker may still be opening its store
        while len(pids) < 2 and time.monotonic() < deadline:
            pids.add(_pid(base))
        assert len(pids) == 2, pids  # new connections reach both processes
        token = _post(base, "/_mock/sessions", {"email": "n@example.com"})
        verify = {"session_token": token.json()["session_token"]}
        rule = {"operation_id": "VerifySession", "action": "error", "status": 503}
        assert requests.post(f"{base}/_mock/faults", json=rule, timeout=TIMEOUT).ok
        statuses = {_post(base, "/v1/auth/sessions/verify", verify).status_code for _ in range(20)}
        assert statuses == {503}  # armed through one process, applied by both
        requests.delete(f"{base}/_mock/faults", timeout=TIMEOUT)
        assert _post(base, "/v1/auth/sessions/verify", verify).status_code == 200
    finally:
        server.stop()
    assert server.process.returncode == 0  # SIGTERM: every worker stopped cleanly


def test_native_workers_split_connections_opened_at_once_evenly(tmp_path: Path) -> None:
    """A load generator opens its connections together; each worker gets half of them (V24)."""
    import http.client
    import json
    from urllib.parse import urlsplit

    server, base = _start(f"sqlite:///{tmp_path / 'w.db'}", "--workers", "2")
    try:
        deadline = time.monotonic() + 20  # both workers listening: each answered once
        while len({_pid(base) for _ in range(6)}) < 2 and time.monotonic() < deadline:
            pass
        threading.Event().wait(0.3)  # the workers have seen those connections close
        address = urlsplit(base)
        clients = [
            http.client.HTTPConnection(str(address.hostname), address.port, timeout=TIMEOUT)
            for _ in range(8)
        ]
        for client in clients:
            client.connect()  # all wait in the listener's queue before any request
        pids = []
        for client in clients:
            client.request("GET", "/_mock/health")
            pids.append(json.loads(client.getresponse().read())["pid"])
            # the same connection, so the same worker, answers again
            client.request("GET", "/_mock/health")
            assert json.loads(client.getresponse().read())["pid"] == pids[-1]
        for client in clients:
            client.close()
        counts = sorted(pids.count(pid) for pid in set(pids))
        assert len(counts) == 2, pids
        assert counts[0] >= 3, pids  # 4 and 4, or 3 and 5 on a busy machine
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_one_process_stopping_leaves_the_fault_rules_to_the_others(tmp_path: Path) -> None:
    """A stop releases the calls held in that process; the rules stay armed for the rest."""
    store = f"sqlite:///{tmp_path / 'stop.db'}"
    first, a = _start(store)
    second, b = _start(store)
    try:
        token = _post(a, "/_mock/sessions", {"email": "stop@example.com"})
        verify = {"session_token": token.json()["session_token"]}
        rule = {"operation_id": "VerifySession", "action": "error", "status": 503}
        assert requests.post(f"{a}/_mock/faults", json=rule, timeout=TIMEOUT).ok
        hang = {"operation_id": "GetUser", "action": "hang", "hang_seconds": 60}
        assert requests.post(f"{b}/_mock/faults", json=hang, timeout=TIMEOUT).ok
        with ThreadPoolExecutor(1) as pool:
            url = f"{b}/v1/auth/users/user-test-x"
            held = pool.submit(requests.get, url, headers=AUTH, timeout=TIMEOUT)
            deadline = time.monotonic() + 10
            while not held.running() and time.monotonic() < deadline:
                pass
            threading.Event().wait(0.5)  # the call is held by the hang in b
            started = time.monotonic()
            second.stop()
            with pytest.raises(requests.ConnectionError):
                held.result(timeout=20)
        assert time.monotonic() - started < 10  # not the hang's minute
        assert second.process.returncode == 0
        listed = requests.get(f"{a}/_mock/faults", timeout=TIMEOUT).json()
        assert len(listed["faults"]) == 2, listed  # both still armed
        assert _post(a, "/v1/auth/sessions/verify", verify).status_code == 503
    finally:
        first.stop()
        second.stop()  # already stopped unless the test failed early


RACERS = 16


@pytest.fixture(params=["redis-two-serves", "redis-workers", "sqlite-workers"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two processes on one store, as two URLs: two ``serve`` on one Redis, or ``--workers 2``
    (one URL; the kernel hands each new connection to either worker)."""
    from tests.stores import url_for

    engine, _, how = str(request.param).partition("-")
    base = request.getfixturevalue("redis_base") if engine == "redis" else None
    store = url_for(engine, tmp_path, base)
    if how == "two-serves":
        first, a = _start(store)
        second, b = _start(store)
        yield a, b
        first.stop()
        second.stop()
        return
    server, url = _start(store, "--workers", "2")
    yield url, url
    server.stop()


def _race(
    bases: tuple[str, str], path: str, body: dict[str, str], method: str = "POST"
) -> list[int]:
    """The same call ``RACERS`` times at once, half on each process; their statuses."""
    start = threading.Barrier(RACERS)

    def call(n: int) -> int:
        start.wait(timeout=TIMEOUT)
        url = bases[n % 2] + path
        return requests.request(method, url, json=body, headers=AUTH, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(call, range(RACERS)))


def _outbox(base: str, email: str) -> dict[str, str]:
    found = requests.get(f"{base}/_mock/outbox", params={"to": email}, timeout=TIMEOUT)
    (message,) = found.json()["messages"]
    return dict(message)


def test_two_processes_spend_a_code_and_a_magic_link_once(pair: tuple[str, str]) -> None:
    a, b = pair
    assert _post(a, "/v1/auth/otps/email/login_or_create", {"email": "c@x.test"}).ok
    code = _outbox(b, "c@x.test")["code"]
    statuses = _race(pair, "/v1/auth/otps/verify", {"email": "c@x.test", "code": code})
    assert statuses.count(200) == 1, statuses
    assert all(400 <= status < 500 for status in statuses if status != 200), statuses

    assert _post(b, "/v1/auth/magic_links/email/login_or_create", {"email": "m@x.test"}).ok
    token = _outbox(a, "m@x.test")["token"]
    statuses = _race(pair, "/v1/auth/magic_links/verify", {"token": token})
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400}, statuses


def test_two_processes_keep_a_users_session_list_exact(pair: tuple[str, str]) -> None:
    a, b = pair
    with ThreadPoolExecutor(8) as pool:
        made = list(
            pool.map(
                lambda n: _post(pair[n % 2], "/_mock/sessions", {"email": "s@x.test"}).json(),
                range(12),
            )
        )
    user_ids = {m["session"]["user_id"] for m in made}
    assert len(user_ids) == 1, user_ids
    gone, kept = made[:6], made[6:]

    def churn(n: int) -> int:
        if n < len(gone):  # revoke one, on either process, while the others verify
            body = {"session_token": gone[n]["session_token"]}
            url = pair[n % 2] + "/v1/auth/sessions/delete"
            return requests.delete(url, json=body, headers=AUTH, timeout=TIMEOUT).status_code
        body = {"session_token": kept[n % len(kept)]["session_token"]}
        return _post(pair[n % 2], "/v1/auth/sessions/verify", body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(churn, range(30))) == {200}
    expected = sorted(m["session"]["id"] for m in kept)
    for base in (a, b):
        listed = requests.get(
            f"{base}/v1/auth/sessions/list",
            params={"user_id": next(iter(user_ids))},
            headers=AUTH,
            timeout=TIMEOUT,
        )
        assert sorted(s["id"] for s in listed.json()["sessions"]) == expected
