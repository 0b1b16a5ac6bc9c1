"""The web-server side: waitress with its limits set on purpose, and dropped connections.

The limits below are also the native server's (:mod:`mock_server.native`, the default of
``moonkey-mock serve``), which turns :class:`ConnectionDropped` into an aborted connection.

A fault that drops a call marks the WSGI environ (:data:`DROP_KEY`); :class:`DropMiddleware`
then raises :class:`ConnectionDropped`, which waitress treats as a client disconnect: the socket
is closed without a byte of answer (``requests`` raises ``ConnectionError``). Under Flask's test
client the exception reaches the test as a ``ConnectionError``.

Waitress answers a few errors itself, in plain text, before the fake sees the request: 400 for
a malformed request line or headers, 413 for a body over :data:`MAX_WIRE_BODY` (checked before
buffering), 431 for headers over :data:`MAX_HEADER_BYTES`; it closes idle connections after
:data:`CHANNEL_TIMEOUT` seconds and accepts at most :data:`CONNECTION_LIMIT` at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from waitress.channel import ClientDisconnected

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DROP_KEY = "moonkey_mock.drop"
MAX_WIRE_BODY = 64 * 1024 * 1024  # the largest body any route takes (a state import)
MAX_HEADER_BYTES = 64 * 1024
CONNECTION_LIMIT = 256
CHANNEL_TIMEOUT = 60


class ConnectionDropped(ClientDisconnected, ConnectionResetError):
    """Raised at the WSGI layer to drop a connection.

    Waitress treats it as a client disconnect (it closes the socket and writes nothing); Flask's
    test client lets it propagate to the test as a ``ConnectionError``.
    """


class DropMiddleware:
    """Turns a response marked with :data:`DROP_KEY` into a closed connection."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run the app; raise :class:`ConnectionDropped` when the call is to be dropped."""
        result = self.app(environ, start_response)
        if environ.get(DROP_KEY):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise ConnectionDropped("moonkey-mock dropped the connection (injected fault)")
        return result


class HeadRules:
    """RFC 9112's head rules waitress does not apply itself, checked before the app runs.

    An HTTP/1.1 request needs exactly one ``Host`` (§3.2: 400), answered in plain text as the
    native server does (docs/decisions.md N4). A request line of another major version cannot
    be refused here: waitress hands the app ``HTTP/1.0`` for it.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Refuse a head that breaks the rules; else run the app."""
        host = environ.get("HTTP_HOST")
        missing = host is None and environ.get("SERVER_PROTOCOL") == "HTTP/1.1"
        if not missing and (host is None or "," not in host):
            return self.app(environ, start_response)
        message = b"An HTTP/1.1 request needs exactly one Host"
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(message)))]
        start_response("400 Bad Request", headers)
        return [message]


def make_server(app: WSGIApplication, host: str, port: int, threads: int) -> Any:
    """A waitress server for ``app`` with the limits of this module (not yet running)."""
    return waitress_server(app, threads, host=host, port=port)


def waitress_server(app: WSGIApplication, threads: int, **where: Any) -> Any:
    """A waitress server for ``app`` on ``where`` (``host``/``port`` or ``sockets``), limits set."""
    from waitress.server import create_server

    return create_server(
        HeadRules(app),
        threads=threads,
        **where,
        max_request_body_size=MAX_WIRE_BODY,
        max_request_header_size=MAX_HEADER_BYTES,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT,
        clear_untrusted_proxy_headers=True,
        ident="moonkey-mock",
    )
