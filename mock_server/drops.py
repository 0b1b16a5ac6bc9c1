"""Dropped connections: how a fault that drops a call reaches the server, whichever it is.

The pipeline marks the call's WSGI environ (:data:`DROP_KEY`); :class:`DropMiddleware` (around
the Flask app) then raises :class:`ConnectionDropped` instead of answering. The native server
aborts the connection on it; the waitress server turns it into waitress's client disconnect;
either way the client gets not a byte of answer (``requests`` raises ``ConnectionError``).
Under Flask's test client the exception reaches the test as a ``ConnectionError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DROP_KEY = "moonkey_mock.drop"


class ConnectionDropped(ConnectionResetError):
    """Raised at the WSGI layer to drop a connection (no answer is written)."""


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
