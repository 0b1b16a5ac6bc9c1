"""The native server (``moonkey-mock serve``'s default) over a real socket.

Its API path skips Flask, so every answer is compared with the Flask app's own answer to the
same request on a twin fake (same seed, clock and key); then what only a server does: raw
HTTP framing, limits, keep-alive, and faults that hold calls while the API goes on.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from conformance.server import MockServer
from mock_server import MockConfig, create_app, state_of
from mock_server.app import router_of
from mock_server.clock import ControllableClock
from mock_server.pipeline import api_plane
from mock_server.router import Router
from mock_server.serve.waitress_server import MAX_HEADER_BYTES
from tests.conftest import START

KEY = "sk_test_" + "v" * 48
VERIFY = "/v1/auth/sessions/verify"


def _twin(signing_key_file: str) -> Flask:
    clock = ControllableClock()
    clock.move_to(START, freeze=True)
    config = MockConfig(
        strict=True, random_seed="native", signing_key_file=signing_key_file, secret_key=KEY
    )
    return create_app(config, clock=clock)


@pytest.fixture
def twins(signing_key_file: str) -> Iterator[tuple[MockServer, FlaskClient]]:
    """A fake under the native server and its twin under Flask's test client."""
    served, flask_app = _twin(signing_key_file), _twin(signing_key_file)
    with MockServer(app=served, threads=4, server="native") as server:
        yield server, flask_app.test_client()
        server.raise_crashes()
    crashes = state_of(flask_app).take_crashes()
    if crashes:
        raise crashes[0]


@pytest.fixture
def native(signing_key_file: str) -> Iterator[MockServer]:
    """A fake under the native server."""
    with MockServer(app=_twin(signing_key_file), threads=4, server="native") as server:
        yield server
        server.raise_crashes()


def _both(
    twins: tuple[MockServer, FlaskClient], method: str, path: str, body: Any = None, **kw: Any
) -> tuple[requests.Response, Any]:
    server, client = twins
    headers = {"Authorization": f"Bearer {KEY}", **kw.pop("headers", {})}
    data = kw.pop("data", None)
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body), "application/json"
    query = kw.pop("params", None)
    wire = requests.request(
        method, server.url + path, data=data, headers=headers, params=query, timeout=10
    )
    local = client.open(path, method=method, data=data, headers=headers, query_string=query)
    assert wire.status_code == local.status_code, (path, wire.text, local.get_data(as_text=True))
    assert wire.content == local.get_data(), path
    for name in ("Content-Type", "Retry-After", "X-Moonkey-Mock-Now", "Allow"):
        assert wire.headers.get(name) == local.headers.get(name), name
    return wire, wire.json()


def test_native_api_path_answers_byte_for_byte_as_flask(
    twins: tuple[MockServer, FlaskClient],
) -> None:
    server, _client = twins
    _both(twins, "POST", "/v1/auth/otps/email/login_or_create", {"email": "n@x.io"})
    code = next(m for m in server.state.outbox.messages() if m.to == "n@x.io").code
    _, verified = _both(twins, "POST", "/v1/auth/otps/verify", {"email": "n@x.io", "code": code})
    token, user_id = verified["session_token"], verified["user_id"]
    _both(twins, "POST", VERIFY, {"session_token": token})
    _both(twins, "POST", VERIFY, {"session_token": token, "session_expires_in": 90})
    _both(twins, "GET", "/v1/auth/sessions/list", params={"user_id": user_id})
    _both(twins, "GET", f"/v1/auth/users/{user_id}")
    _both(twins, "GET", "/v1/auth/jwks/default")
    _both(twins, "DELETE", "/v1/auth/sessions/delete", {"session_token": token})
    _both(twins, "POST", VERIFY, {"session_token": token})


def test_native_api_path_errors_match_flask(twins: tuple[MockServer, FlaskClient]) -> None:
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", VERIFY, {"data": "{nope", "headers": {"Content-Type": "application/json"}}),
        ("POST", VERIFY, {"data": "x", "headers": {"Content-Type": "text/plain"}}),
        ("POST", VERIFY, {"data": '{"session_token": "\\ud800"}'}),
        ("POST", VERIFY, {"data": "", "headers": {"Content-Type": "application/json"}}),
        ("POST", VERIFY, {"data": "{}", "headers": {"Authorization": "Bearer sk_test_nope"}}),
        ("POST", VERIFY, {"data": "{}", "headers": {"Authorization": "Bearer pk_test_x"}}),
        ("POST", VERIFY, {"data": "{}", "headers": {"Authorization": ""}}),
        ("POST", VERIFY, {"data": "[1]", "headers": {"Content-Type": "application/json"}}),
        ("GET", VERIFY, {}),  # wrong method: Flask answers it (405 and Allow)
        ("GET", "/v1/auth/nowhere", {}),  # no operation: Flask's 404
        ("GET", "/v1/auth/users/user_%E2%9C%93", {}),  # a percent-encoded path parameter
    ]
    for method, path, kw in cases:
        wire, body = _both(twins, method, path, **kw)
        assert wire.status_code >= 400
        assert body["error_type"]
    big = {"data": "{" + " " * (2 * 1024 * 1024) + "}"}
    wire, body = _both(twins, "POST", VERIFY, headers={"Content-Type": "application/json"}, **big)
    assert (wire.status_code, body["error_type"]) == (413, "request_too_large")


def test_native_api_path_is_journaled_as_under_flask(
    twins: tuple[MockServer, FlaskClient],
) -> None:
    server, client = twins
    _both(twins, "POST", VERIFY, {"session_token": "nope"})
    _both(twins, "GET", "/v1/auth/jwks/default", params={"api_key": KEY})
    wire = server.state.journal.entries()
    local = state_of(client.application).journal.entries()
    strip = ("seq", "duration_ms", "at")
    assert [{k: v for k, v in e.to_json().items() if k not in strip} for e in wire] == [
        {k: v for k, v in e.to_json().items() if k not in strip} for e in local
    ]
    assert [e.query for e in wire][-1] == {"api_key": "[redacted]"}


def test_native_routes_cover_every_operation_of_the_spec(native: MockServer) -> None:
    routes = Router([api_plane(native.state)])
    for op in native.state.spec.operations.values():
        path = op.path.replace("{", "").replace("}", "")
        found = routes.match(op.method.upper(), path)
        assert found is not None, op.operation_id
        assert found[0].op is op
    assert routes.match("GET", "/v1/auth/sessions/verify/") is None
    assert routes.match("POST", "/_mock/reset") is None


def test_the_router_matches_what_flasks_url_map_matches(native: MockServer) -> None:
    """One router: Flask's rules are made from it, so both pick the same operation anywhere."""
    app = create_app(native.state.config)
    router = router_of(app)
    adapter = app.url_map.bind("localhost")
    for route in router.routes:
        op = route.op
        for value in ("x", "create", "me", "verify"):
            path = re.sub(r"<[^>]+>", value, op.flask_rule)
            found = router.match(op.method.upper(), path)
            assert found is not None, path
            rule, _ = adapter.match(path, method=op.method.upper(), return_rule=True)
            assert rule.endpoint == found[0].op.operation_id, path


def test_get_jwks_delay_fault_never_stalls_other_api_calls_or_control(native: MockServer) -> None:
    rule = {"operation_id": "GetJWKs", "action": "delay", "delay_ms": 3000}
    assert requests.post(f"{native.url}/_mock/faults", json=rule, timeout=5).ok
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        held = pool.submit(
            requests.get, f"{native.url}/v1/auth/jwks/default?api_key={KEY}", timeout=10
        )
        assert native.state.faults.wait_until_held(1, timeout=5)
        started = time.perf_counter()
        other = requests.post(
            native.url + VERIFY,
            json={"session_token": "nope"},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
        health = requests.get(f"{native.url}/_mock/health", timeout=5)
        assert time.perf_counter() - started < 2
        assert (other.status_code, health.status_code) == (401, 200)
        assert requests.delete(f"{native.url}/_mock/faults", timeout=5).ok
        assert held.result(timeout=10).status_code == 200


def _raw(server: MockServer, data: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_native_http_pipelined_and_chunked_requests_are_answered_in_order(
    native: MockServer,
) -> None:
    auth = f"Authorization: Bearer {KEY}\r\n".encode()
    body = b'{"session_token":"nope"}'
    one = b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n"
    chunked = (
        b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: x\r\n" + auth
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    )  # fmt: skip
    control = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = _raw(native, one + chunked + control)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"401", b"200"]
    assert b'"error_type":"invalid_session"' in answer
    assert b'"service":"moonkey-mock"' in answer


def test_native_http_malformed_and_oversized_requests_get_plain_errors(
    native: MockServer,
) -> None:
    assert _raw(native, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    huge = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (MAX_HEADER_BYTES + 10) + b"\r\n\r\n"
    assert _raw(native, huge).startswith(b"HTTP/1.1 431 ")
    too_long = (
        b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"
    )
    assert _raw(native, too_long).startswith(b"HTTP/1.1 413 ")


def test_native_http_keeps_connections_alive_unless_told_to_close(native: MockServer) -> None:
    with requests.Session() as session:
        first = session.get(f"{native.url}/v1/auth/jwks/default?api_key={KEY}", timeout=5)
        second = session.get(f"{native.url}/v1/auth/jwks/default?api_key={KEY}", timeout=5)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Connection" not in first.headers
    closing = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = _raw(native, closing)  # returns only because the server closed the socket
    assert b"\r\nConnection: close\r\n" in answer


def test_native_server_stops_with_calls_held(signing_key_file: str) -> None:
    server = MockServer(app=_twin(signing_key_file), threads=4, server="native").start()
    rule = {"operation_id": "GetJWKs", "action": "hang", "hang_seconds": 60}
    assert requests.post(f"{server.url}/_mock/faults", json=rule, timeout=5).ok
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(
            requests.get, f"{server.url}/v1/auth/jwks/default?api_key={KEY}", timeout=30
        )
        assert server.state.faults.wait_until_held(1, timeout=5)
        started = time.perf_counter()
        server.stop()
        with pytest.raises(requests.ConnectionError):
            held.result(timeout=10)
    assert time.perf_counter() - started < 5


def test_native_server_stops_though_releasing_held_calls_fails(
    signing_key_file: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # close() runs in a signal handler, which may interrupt a store transaction of the same
    # thread: it only wakes the loop. A worker whose close() raised there was never woken,
    # kept SQLite's write lock and outlived its parent.
    server = MockServer(app=_twin(signing_key_file), threads=2, server="native").start()
    thread, url = server._thread, server.url
    assert thread is not None

    def mid_transaction() -> None:
        raise RuntimeError("cannot start a transaction within a transaction")

    monkeypatch.setattr(server.state.faults, "release_held", mid_transaction)
    server.stop()
    assert not thread.is_alive()
    assert "held calls could not be released at stop" in capfd.readouterr().err
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_mock/health", timeout=2)
