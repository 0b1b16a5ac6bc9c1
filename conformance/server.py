"""``MockServer``: the fake on a real HTTP socket (waitress, or the native server) in a thread.

Binds 127.0.0.1 on a free port; :meth:`MockServer.stop` closes every socket. Exceptions raised
inside the server thread are recorded by the app and re-raised by :meth:`raise_crashes`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from flask import Flask

from mock_server import MockConfig, create_app, state_of
from mock_server.serve.native import NativeServer
from mock_server.serve.waitress_server import make_server
from mock_server.state import MockState


class MockServer:
    """The fake served over HTTP on ``127.0.0.1:<free port>``.

    Args:
        config: the fake's settings (host and port are forced to 127.0.0.1:0).
        app: an already built fake to serve instead of a new one.
        threads: worker threads (delay/hang faults hold at most two fewer).
        server: "waitress" (the default here) or "native" (``moonkey-mock serve``'s default).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        app: Flask | None = None,
        threads: int = 8,
        server: str = "waitress",
    ) -> None:
        if server not in ("waitress", "native"):
            raise ValueError(f"unknown server {server!r}: waitress or native")
        base = config or MockConfig.from_env()
        self.config = base.with_(host="127.0.0.1", port=0, threads=threads)
        self.app = app or create_app(self.config)
        self._threads = threads
        self._kind = server
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def state(self) -> MockState:
        """The served fake's state (clock, store, outbox, journal)."""
        return state_of(self.app)

    @property
    def kind(self) -> str:
        """Which server serves the fake: "waitress" or "native"."""
        return self._kind

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("MockServer is not started")
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MockServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        target: Callable[..., None]
        args: tuple[Any, ...]
        if self._kind == "native":
            native = NativeServer(self.app, "127.0.0.1", 0, self._threads)
            self._server, target, args = native, native.run, ()
        else:
            self._server = make_server(self.app, "127.0.0.1", 0, self._threads)
            target, args = self._serve, (self._server,)
        self._thread = threading.Thread(
            target=target, args=args, name=f"moonkey-mock:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def _serve(self, server: Any) -> None:
        # waitress's own run() loops until its socket map is empty, which open keep-alive
        # connections prevent; a bounded loop step lets stop() end it promptly.
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)

    def stop(self) -> None:
        """Stop serving and close the listening socket and every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        if isinstance(server, NativeServer):
            server.close()
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None
            return
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        server.task_dispatcher.shutdown(timeout=2)
        for channel in list(server._map.values()):
            channel.close()

    def raise_crashes(self) -> None:
        """Re-raise the first exception the server recorded since the last call."""
        crashes = self.state.take_crashes()
        if crashes:
            raise crashes[0]

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
