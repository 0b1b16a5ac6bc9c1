"""HTTP/1.1 edges over raw sockets, on both servers (docs/decisions.md N1-N7).

One parametrized suite, so a difference between the native server and waitress is a failing
test: ``Upgrade: h2c`` ignored, RFC 9112's head rules (one ``Host``, HTTP/1.x, ``chunked``
last), ambiguous framing refused with nothing after it served, ``Expect: 100-continue`` in
order, a too-large ``Content-Length`` refused before the body; and, on the native server, the
header timeout and the connection cap.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest

from conformance.server import MockServer
from mock_server import MockConfig, create_app
from mock_server.clock import ControllableClock

KEY = "sk_test_" + "e" * 48
VERIFY = "/v1/auth/sessions/verify"
AUTH = f"Authorization: Bearer {KEY}\r\n".encode()


def _served(signing_key_file: str, server: str, **options: int) -> MockServer:
    config = MockConfig(
        strict=True, random_seed="edges", signing_key_file=signing_key_file, secret_key=KEY
    ).with_(**options)
    return MockServer(app=create_app(config, clock=ControllableClock()), threads=4, server=server)


@pytest.fixture(scope="module", params=["native", "waitress"])
def served(request: pytest.FixtureRequest, signing_key_file: str) -> Iterator[MockServer]:
    """The fake on each server, on 127.0.0.1."""
    running = _served(signing_key_file, request.param).start()
    yield running
    running.stop()


def _connect(server: MockServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _raw(server: MockServer, data: bytes) -> bytes:
    """Send ``data``, read until the server closes (every request here ends with a close)."""
    with _connect(server) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _statuses(answer: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)


@pytest.mark.parametrize("path", ["/v1/auth/jwks/default", "/_mock/health"])
def test_upgrade_h2c_is_ignored_and_the_request_answered(served: MockServer, path: str) -> None:
    upgrade = (
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
        ).encode()
        + AUTH
        + b"\r\n"
    )
    closing = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode()
    answer = _raw(served, upgrade + closing + AUTH + b"\r\n")
    assert _statuses(answer) == [b"200", b"200"], answer[:300]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /v1/auth/jwks/default HTTP/1.1\r\n", b"400"),  # no Host
        (b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: a\r\nHost: b\r\n", b"400"),
        (b"GET /v1/auth/jwks/default HTTP/2.0\r\nHost: a\r\n", b"505"),
        (
            b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked"
            b"\r\n",
            b"501",
        ),
        (
            b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
            b"identity\r\n",
            b"400",
        ),
        (b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n",
         b"400"),
        (b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n", b"417"),
    ],
    ids=[
        "no-host", "two-hosts", "http2-line", "gzip-chunked", "chunked-identity", "gzip-only",
        "expect-other",
    ],
)  # fmt: skip
def test_rfc9112_head_rules_answer_their_status_and_close(
    served: MockServer, head: bytes, status: bytes
) -> None:
    answer = _raw(served, head + AUTH + b"Content-Type: application/json\r\n\r\n0\r\n\r\n")
    assert _statuses(answer)[:1] == [status], answer[:300]


SMUGGLED = b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n"


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"Content-Length: +2\r\n\r\n{}",
        b"X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
    ids=["length-and-chunked", "two-lengths", "signed-length", "obs-fold", "bad-chunk-size"],
)
def test_ambiguous_framing_gets_one_400_and_nothing_after_it_is_served(
    served: MockServer, head: bytes
) -> None:
    start = b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\n" + AUTH
    answer = _raw(served, start + b"Content-Type: application/json\r\n" + head + SMUGGLED)
    assert _statuses(answer) == [b"400"], answer[:300]


def test_http10_with_transfer_encoding_is_the_last_request(served: MockServer) -> None:
    head = b"POST " + VERIFY.encode() + b" HTTP/1.0\r\nHost: a\r\n" + AUTH
    chunked = b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    answer = _raw(served, head + chunked + SMUGGLED)  # RFC 9112 §6.1: faulty framing, then close
    assert len(_statuses(answer)) == 1, answer[:300]


def test_bare_lf_line_ends_are_refused_not_left_hanging(served: MockServer) -> None:
    lf = AUTH.replace(b"\r\n", b"\n")
    answer = _raw(served, b"GET /v1/auth/jwks/default HTTP/1.1\nHost: a\n" + lf + b"\n")
    assert _statuses(answer) == [b"400"], answer[:300]


def test_http10_without_host_is_answered(served: MockServer) -> None:
    answer = _raw(served, b"GET /v1/auth/jwks/default HTTP/1.0\r\n" + AUTH + b"\r\n")
    assert _statuses(answer) == [b"200"], answer[:300]


@pytest.mark.parametrize("expect", [b"", b"Expect: 100-continue\r\n"], ids=["plain", "expect"])
def test_too_large_content_length_is_refused_before_the_body(
    served: MockServer, expect: bytes
) -> None:
    head = (
        b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\n" + AUTH + expect
        + b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
    )  # fmt: skip
    answer = _raw(served, head)  # no body sent: the answer must come anyway, then the close
    assert _statuses(answer) == [b"413"], answer[:300]  # and no 100 Continue before it
    assert b'"error_type":"request_too_large"' in answer


def test_expect_continue_on_a_pipelined_request_comes_after_the_earlier_answer(
    served: MockServer,
) -> None:
    first = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # answered by a thread
    body = b'{"session_token":"nope"}'
    second = (
        b"POST " + VERIFY.encode() + b" HTTP/1.1\r\nHost: a\r\n" + AUTH
        + b"Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )  # fmt: skip
    with _connect(served) as sock:
        sock.sendall(first + second)
        seen = b""
        while len(_statuses(seen)) < 2:
            seen += sock.recv(65536)
        sock.sendall(body)
        while chunk := sock.recv(65536):
            seen += chunk
    assert _statuses(seen) == [b"200", b"100", b"401"], seen[:400]


def test_native_headers_not_complete_in_time_get_408(signing_key_file: str) -> None:
    running = _served(signing_key_file, "native", header_timeout=1).start()
    try:
        with _connect(running) as sock:
            sock.sendall(b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: a\r\n")
            started = time.monotonic()
            answer = b""
            while time.monotonic() - started < 10 and b"408" not in answer:
                sock.sendall(b"X-Drip: 1\r\n")  # a drip of header bytes does not help
                if _readable(sock, 0.5):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
        assert _statuses(answer) == [b"408"], answer
        assert time.monotonic() - started >= 1
    finally:
        running.stop()


def _readable(sock: socket.socket, wait: float) -> bool:
    import select

    return bool(select.select([sock], [], [], wait)[0])


def test_native_past_the_connection_cap_a_client_waits_instead_of_being_reset(
    signing_key_file: str,
) -> None:
    running = _served(signing_key_file, "native", max_connections=3).start()
    request = b"GET /v1/auth/jwks/default HTTP/1.1\r\nHost: a\r\n" + AUTH + b"\r\n"
    try:
        held = [_connect(running) for _ in range(3)]
        for sock in held:
            sock.sendall(request)
            assert _statuses(sock.recv(65536)) == [b"200"]
        late = _connect(running)
        late.sendall(request)
        assert not _readable(late, 0.5)  # waits: no answer, no reset
        held.pop().close()
        assert _readable(late, 5)
        assert _statuses(late.recv(65536)) == [b"200"]
        for sock in [*held, late]:
            sock.close()
    finally:
        running.stop()
