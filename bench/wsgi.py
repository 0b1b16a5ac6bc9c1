"""Call a Flask app as a WSGI server would, minus the socket: the in-process measurements.

Cheaper than Flask's test client (no EnvironBuilder), so timings are the app's own.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from flask import Flask


class WsgiCaller:
    """Sends requests with the app's secret key straight into ``app``'s WSGI callable.

    Args:
        app: the Flask app.
        key: secret API key for ``Authorization: Bearer``.
    """

    def __init__(self, app: Flask, key: str) -> None:
        self.app = app
        self.base: dict[str, Any] = {
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_AUTHORIZATION": f"Bearer {key}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def raw(self, method: str, path: str, body: bytes = b"", query: str = "") -> tuple[int, bytes]:
        """One request; returns (status, body bytes)."""
        environ = dict(self.base)
        environ.update(
            REQUEST_METHOD=method,
            PATH_INFO=path,
            QUERY_STRING=query,
            CONTENT_TYPE="application/json" if body else "",
            CONTENT_LENGTH=str(len(body)) if body else "",
        )
        environ["wsgi.input"] = io.BytesIO(body)
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda _data: None

        chunks = self.app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return int(status[0].split(" ", 1)[0]), data

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST a JSON body; returns (status, decoded body)."""
        status, data = self.raw("POST", path, json.dumps(body).encode())
        return status, json.loads(data)
