"""A keep-alive JSON client over ``http.client`` for seeding and control calls (127.0.0.1 only)."""

from __future__ import annotations

import http.client
import json
from typing import Any

HOST = "127.0.0.1"


class Http:
    """One persistent connection to a local server.

    Args:
        port: the server's port on 127.0.0.1.
        key: secret API key sent as ``Authorization: Bearer`` (None: no header).
        timeout: seconds per call.
    """

    def __init__(self, port: int, key: str | None = None, timeout: float = 30.0) -> None:
        self.port = port
        self.key = key
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        return self._conn

    def raw(self, method: str, path: str, data: bytes | None = None) -> tuple[int, bytes]:
        """Send one request (reconnecting once if the server closed the connection)."""
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A JSON request; returns (status, decoded body or None)."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        status, payload = self.raw(method, path, data)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None

    def close(self) -> None:
        """Drop the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
