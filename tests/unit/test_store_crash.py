"""kill -9 under load loses no acknowledged session (``--store sqlite`` and ``redis``), issue 15.

A served fake mints sessions from several threads; it is SIGKILLed while calls are in flight,
started again on the same file, and every session whose creation was answered 200 must still
verify, by its token and by its JWT (the restart has no key file: the stored key signs).
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mock_server.config import DEFAULT_SECRET_KEY
from tests.unit.test_cli import TIMEOUT, Server, _env

THREADS = 4
KILL_AFTER = 60  # acknowledged sessions before the kill


@pytest.fixture(params=["sqlite", "redis"])
def store_engine(request: pytest.FixtureRequest) -> str:
    """The durable engines."""
    engine: str = request.param
    return engine


def _start(store: str, **env: str) -> tuple[Server, str]:
    server = Server("--port", "0", "--store", store, env=_env(**env))
    base = server.expect(r"listening on (http://127\.0\.0\.1:\d+)$").group(1)
    return server, base


def test_sigkill_under_load_loses_no_acknowledged_session(
    store_url: str, signing_key_file: str
) -> None:
    store = store_url
    server, base = _start(store, MOONKEY_MOCK_SIGNING_KEY=signing_key_file)
    acknowledged: list[dict[str, str]] = []
    lock = threading.Lock()
    enough = threading.Event()

    def mint(worker: int) -> None:
        with requests.Session() as http:
            for n in range(10_000):
                try:
                    answer = http.post(
                        f"{base}/_mock/sessions",
                        json={"email": f"w{worker}n{n}@example.com"},
                        timeout=TIMEOUT,
                    )
                except requests.RequestException:
                    return  # the server is gone: this call was never acknowledged
                if answer.status_code == 200:
                    body = answer.json()
                    with lock:
                        acknowledged.append(
                            {"token": body["session_token"], "jwt": body["session_jwt"]}
                        )
                        if len(acknowledged) >= KILL_AFTER:
                            enough.set()

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(mint, w) for w in range(THREADS)]
            assert enough.wait(TIMEOUT * 3), "the fake did not mint sessions"
            server.process.send_signal(signal.SIGKILL)  # calls are in flight right now
            server.process.wait(timeout=TIMEOUT)
            for future in futures:
                future.result(timeout=TIMEOUT)
    finally:
        server.stop()
    assert server.process.returncode == -signal.SIGKILL

    again, base = _start(store)
    try:
        headers = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
        with requests.Session() as http:
            for made in acknowledged:
                for body in ({"session_token": made["token"]}, {"session_jwt": made["jwt"]}):
                    answer = http.post(
                        f"{base}/v1/auth/sessions/verify", json=body, headers=headers, timeout=30
                    )
                    assert answer.status_code == 200, (body, answer.text)
    finally:
        again.stop()
    assert len(acknowledged) >= KILL_AFTER
