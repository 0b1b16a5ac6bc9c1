"""The web-server side: waitress with its limits set on purpose, and dropped connections.

The limits below are also the native server's (:mod:`mock_server.serve.native`, the default of
``moonkey-mock serve``).

A dropped call (:mod:`mock_server.drops`) is raised to waitress as a client disconnect: the
socket is closed without a byte of answer.

Waitress answers a few errors itself, in plain text, before the fake sees the request: 400 for
a malformed request line or headers, 413 for a body over :data:`MAX_WIRE_BODY` (checked before
buffering), 431 for headers over :data:`MAX_HEADER_BYTES`; it closes idle connections after
:data:`CHANNEL_TIMEOUT` seconds and accepts at most :data:`CONNECTION_LIMIT` at once.
:class:`HeadRulesParser` adds RFC 9112's head and framing rules the native server applies, and
leaves a body over its route's limit unread (docs/decisions.md N4, N5, N7).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.parser import (
    HTTPRequestParser,
    ParsingError,
    TransferEncodingNotImplemented,
    get_header_lines,
)
from waitress.utilities import BadRequest, Error

from mock_server.app import router_of
from mock_server.drops import ConnectionDropped

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

MAX_WIRE_BODY = 64 * 1024 * 1024  # the largest body any route takes (a state import)
MAX_HEADER_BYTES = 64 * 1024
CONNECTION_LIMIT = 256
CHANNEL_TIMEOUT = 60


class _Disconnected(ClientDisconnected):
    """A dropped call as waitress knows a client disconnect: it closes and writes nothing."""


def _dropping(app: WSGIApplication) -> WSGIApplication:
    """``app`` with :class:`~mock_server.drops.ConnectionDropped` as waitress's disconnect."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except ConnectionDropped as dropped:
            raise _Disconnected(str(dropped)) from None

    return wsgi


class HeadRulesParser(HTTPRequestParser):
    """Waitress's parser with RFC 9112's head rules and the route's body limit (N4, N5).

    Checked once the head is in, before any of the body is read, as the native server does:
    bare LF line ends, obs-fold (§5.2) and ``Content-Length`` with ``Transfer-Encoding`` (§6.3)
    are 400, so nothing after them can be read as a second request; an HTTP/1.1 request needs
    exactly one ``Host`` (§3.2: 400), only HTTP/1.x is served (505),
    ``Transfer-Encoding`` must end with ``chunked`` (§6.3: 400), ``Expect`` other than
    ``100-continue`` is 417, and a ``Content-Length`` over the route's limit is left unread:
    the app answers its 413 envelope and the connection closes. A refused request, or one on
    HTTP/1.0 with ``Transfer-Encoding`` (§6.1), is the connection's last: whatever follows it
    is discarded unread.
    """

    # what waitress sets at run time (its stubs say bytes, a Mapping, no path)
    command: str  # type: ignore[assignment]
    path: str
    headers: dict[str, str]

    body_limit: Callable[[str, str], int] = staticmethod(lambda method, path: MAX_WIRE_BODY)
    last = False  # nothing after this request is read
    _checked = False

    def received(self, data: bytes) -> int:
        """Waitress's reading, then the head rules once the head is complete."""
        if self.completed:
            return len(data) if self.last else 0
        if self.body_rcv is None and _bare_lf(self.header_plus + data):
            self.error, self.completed = BadRequest("Bare LF in the head"), True
        else:
            consumed: int = super().received(data)
            if self.headers_finished and not self._checked and not self.empty:
                self._checked = True
                self._check_head()
        self.last = self.last or self.error is not None
        return len(data) if self.last and self.completed else consumed

    def parse_header(self, header_plus: bytes) -> None:
        """Waitress's parse; obs-fold, and a coding list not ending with chunked, are 400."""
        if _OBS_FOLD.search(header_plus):
            raise ParsingError("Header lines may not be folded (obs-fold)")
        try:
            super().parse_header(header_plus)
        except TransferEncodingNotImplemented:
            if not _chunked_last(header_plus):
                raise ParsingError("Transfer-Encoding must end with chunked") from None
            raise

    def _check_head(self) -> None:
        if self.error is not None:
            return
        problem = self._head_problem()
        if problem is not None:
            self.error = problem
            self.completed = True
        elif "TRANSFER_ENCODING" in self.headers:  # on HTTP/1.0: faulty framing (§6.1)
            self.headers["CONNECTION"], self.last = "close", True
        elif self.content_length > self.body_limit(self.command, self.path):
            # complete with the body unread: the app sees the length and answers its 413
            self.body_rcv, self.completed, self.last = None, True, True
            self.expect_continue, self.headers["CONNECTION"] = False, "close"

    def _head_problem(self) -> Error | None:
        if not self.version.startswith("1.") and self.version:
            return _error(505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1")
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            return BadRequest("Content-Length and Transfer-Encoding may not come together")
        host = self.headers.get("HOST")
        if (host is None and self.version == "1.1") or (host is not None and "," in host):
            return BadRequest("An HTTP/1.1 request needs exactly one Host header")
        expect = self.headers.get("EXPECT", "").strip().lower()
        if expect and expect != "100-continue":
            return _error(417, "Expectation Failed", "Only Expect: 100-continue is understood")
        return None


class HeadRulesChannel(HTTPChannel):
    """A channel that reads nothing more once a connection's last request is queued."""

    def received(self, data: bytes) -> bool:
        """Waitress's reading, unless the connection's last request is waiting to be answered."""
        if any(getattr(queued, "last", False) for queued in self.requests):
            return True
        result: bool = super().received(data)
        return result


_OBS_FOLD = re.compile(rb"\r\n[ \t]")


def _bare_lf(head: bytes) -> bool:
    """Whether the head (up to its blank line, if it has come) has an LF without its CR."""
    end = head.find(b"\r\n\r\n")
    return re.search(rb"(?<!\r)\n", head if end < 0 else head[:end]) is not None


def _chunked_last(header_plus: bytes) -> bool:
    """Whether the head's ``Transfer-Encoding`` values end with ``chunked``."""
    codings: list[bytes] = []
    for line in get_header_lines(header_plus.partition(b"\r\n")[2]):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding":
            codings += [c.strip(b" \t").lower() for c in value.split(b",") if c.strip(b" \t")]
    return bool(codings) and codings[-1] == b"chunked"


def _error(code: int, reason: str, body: str) -> Error:
    error = Error(body)
    error.code, error.reason = code, reason
    return error


def route_body_limit(app: Flask) -> Callable[[str, str], int]:
    """The largest body a request's route takes: its plane's limit, else the wire's.

    The router decides, as in :meth:`NativeServer.body_limit`: the API's operations take
    ``--max-body-bytes``; the control API, the dashboard and unknown paths up to
    :data:`MAX_WIRE_BODY`.
    """
    router = router_of(app)
    return lambda method, path: router.max_body(method, path, MAX_WIRE_BODY)


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """A waitress server for ``app`` with the limits of this module (not yet running)."""
    return waitress_server(app, threads, host=host, port=port)


def waitress_server(app: Flask, threads: int, **where: Any) -> Any:
    """A waitress server for ``app`` on ``where`` (``host``/``port`` or ``sockets``), limits set."""
    from waitress.server import BaseWSGIServer, create_server

    parser = type("Parser", (HeadRulesParser,), {"body_limit": staticmethod(route_body_limit(app))})
    channel = type("Channel", (HeadRulesChannel,), {"parser_class": parser})
    sockets: dict[int, Any] = {}
    server = create_server(
        _dropping(app),
        map=sockets,
        threads=threads,
        **where,
        max_request_body_size=MAX_WIRE_BODY,
        max_request_header_size=MAX_HEADER_BYTES,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        clear_untrusted_proxy_headers=True,
        ident="moonkey-mock",
    )
    for listener in sockets.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server
