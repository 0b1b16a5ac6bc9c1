"""Control API over real HTTP: each server on 127.0.0.1:<free port> in a thread, ``requests``.

Dropped and hung connections, the outbox's wait form, and the admin token, as a client outside
the process sees them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from conformance.server import MockServer
from mock_server import MockConfig, create_app, state_of
from mock_server.clock import ControllableClock

KEY = "sk_test_" + "n" * 48
ADMIN = "s3cret-admin-token"


class Served:
    """A fake served by ``server`` (waitress or native) until :meth:`stop`."""

    def __init__(self, app: Flask, server: str) -> None:
        self.app = app
        self.server = MockServer(app=app, threads=4, server=server).start()
        self.url = self.server.url

    def stop(self) -> None:
        """Stop serving and close every socket."""
        self.server.stop()

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """An API call with the fake's secret key."""
        headers = {"Authorization": f"Bearer {KEY}", "Connection": "close"}
        return requests.request(method, self.url + path, headers=headers, timeout=5, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A control call with the admin token."""
        headers = {"Authorization": f"Bearer {ADMIN}", "Connection": "close"}
        return requests.request(method, self.url + path, headers=headers, **kwargs)


@pytest.fixture(params=["waitress", "native"])
def served(
    signing_key_file: str, clock: ControllableClock, request: pytest.FixtureRequest
) -> Iterator[Served]:
    """The fake over HTTP, with an admin token; fails the test on a recorded crash."""
    config = MockConfig(
        strict=True,
        random_seed="net",
        signing_key_file=signing_key_file,
        secret_key=KEY,
        admin_token=ADMIN,
    )
    running = Served(create_app(config, clock=clock), request.param)
    yield running
    running.stop()
    crashes = state_of(running.app).take_crashes()
    if crashes:
        raise crashes[0]


def _fault(served: Served, **rule: Any) -> None:
    reply = served.control("POST", "/_mock/faults", json=rule, timeout=5)
    assert reply.status_code == 200, reply.text


def test_drop_fault_closes_the_connection_without_an_answer(served: Served) -> None:
    _fault(served, operation_id="GetJWKs", action="drop", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        served.api("GET", "/v1/auth/jwks/default")
    assert served.api("GET", "/v1/auth/jwks/default").status_code == 200


def test_drop_fault_on_a_body_operation(served: Served) -> None:
    _fault(served, operation_id="LoginOrCreateUserByEmailOtp", action="drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        served.api("POST", "/v1/auth/otps/email/login_or_create", json={"email": "a@x.io"})


def test_hang_fault_outlasts_the_client_timeout(served: Served) -> None:
    _fault(served, operation_id="GetJWKs", action="hang", hang_seconds=5, times=1)
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{served.url}/v1/auth/jwks/default?api_key={KEY}", timeout=0.3)
    assert time.perf_counter() - started < 3
    # clearing the rules releases the hung call at once
    assert served.control("DELETE", "/_mock/faults", timeout=5).status_code == 200


def test_hang_fault_ends_in_a_drop(served: Served) -> None:
    _fault(served, operation_id="GetJWKs", action="hang", hang_seconds=0.2)
    started = time.perf_counter()
    with pytest.raises(requests.exceptions.ConnectionError):
        served.api("GET", "/v1/auth/jwks/default")
    assert time.perf_counter() - started >= 0.15


def test_error_fault_over_http_has_the_envelope_and_retry_after(served: Served) -> None:
    _fault(served, operation_id="GetJWKs", status=429, retry_after=7, times=1)
    reply = served.api("GET", "/v1/auth/jwks/default")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "7"
    assert reply.json()["error"] == {"code": "rate_limited", "message": "Too Many Requests"}


def test_outbox_wait_returns_as_soon_as_the_message_is_sent(served: Served) -> None:
    def send_later() -> None:
        assert state_of(served.app).outbox.wait_until_waiting(1, timeout=10)
        served.api("POST", "/v1/auth/otps/email/login_or_create", json={"email": "w@x.io"})

    sender = threading.Thread(target=send_later)
    started = time.perf_counter()
    sender.start()
    reply = served.control("GET", "/_mock/outbox", params={"to": "w@x.io", "wait": 10}, timeout=15)
    elapsed = time.perf_counter() - started
    sender.join()
    assert reply.status_code == 200
    assert [m["to"] for m in reply.json()["messages"]] == ["w@x.io"]
    assert elapsed < 5


def test_control_without_the_admin_token_is_401_over_http(served: Served) -> None:
    no_token = requests.get(f"{served.url}/_mock/health", timeout=5)
    assert no_token.status_code == 401
    assert no_token.json()["error_type"] == "unauthorized"
    api_key = requests.get(
        f"{served.url}/_mock/health", headers={"Authorization": f"Bearer {KEY}"}, timeout=5
    )
    assert api_key.status_code == 401
    assert served.control("GET", "/_mock/health", timeout=5).json()["service"] == "moonkey-mock"
