"""The native HTTP front end: an asyncio server (uvloop, httptools) with a Flask-free API path.

``moonkey-mock serve`` uses it by default (``--server waitress`` picks the WSGI server).

How a request is served:

* **The API path, inline.** A request whose method and path match an operation of
  ``openapi.yaml`` (the fake's :class:`~mock_server.router.Router`, built from the spec once),
  while no fault rule is armed, runs :func:`mock_server.pipeline.handle` on the event loop
  with a plain werkzeug ``Request``: the same steps, validators, handlers, strict check and
  journal as under Flask, without Flask's routing, contexts and response objects. The answer
  carries the same headers as Flask's (``Content-Type``, ``X-Moonkey-Mock-Now``, the reply's
  own).
  On a store across the network (Redis) the same path runs on the loop in a greenlet of its
  own (:mod:`mock_server.store.loop_io`): where it waits for Redis it steps aside and the loop
  serves other connections, so concurrent calls' round trips overlap on one thread
  (docs/decisions.md V21; a store the loop cannot reach, Redis over TLS, uses worker threads
  as V14 did).
* **Everything else, in a worker thread.** The control API, the fake identity provider, paths
  no operation matches, and *every* API call while a fault rule is armed go to the whole Flask
  app (with :class:`~mock_server.drops.DropMiddleware`) in a pool of ``threads`` threads, so
  a delay or hang holds a pool thread, never the loop. Held calls are bounded by
  :attr:`~mock_server.faults.Faults.max_held` (two threads fewer), so the control API always
  finds a free thread; API calls keep flowing on the loop once the rules are cleared.
* **A drop** (:class:`~mock_server.drops.ConnectionDropped`) aborts the connection: not a byte
  of answer, the client sees a connection error.

A request that was dispatched inline while no rule was armed is not faulted by a rule armed a
moment later: its fault check happened at dispatch, as if it had arrived first.

The limits are waitress's (:mod:`mock_server.serve.waitress_server`): bodies over
``MAX_WIRE_BODY`` get a plain 413 and headers over ``MAX_HEADER_BYTES`` a plain 431 before the
app sees them, a malformed request a plain 400; idle connections close after ``CHANNEL_TIMEOUT``
seconds. Its own (docs/decisions.md N1-N6): a body over the matched route's limit gets 413 in
the error envelope before it is read; headers not complete within ``--header-timeout`` (or a
body stalled as long) get 408; at most ``--max-connections`` connections are read at once, and
more wait, unread, for a free place (never reset); ``Upgrade`` is ignored; RFC 9112's head rules
(one ``Host``, HTTP/1.x, ``chunked`` last) answer 400, 505 or 501.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Literal, cast, overload
from urllib.parse import unquote_to_bytes

import httptools
from flask import Flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from mock_server.app import router_of, state_of
from mock_server.drops import ConnectionDropped
from mock_server.errors import RequestTooLarge
from mock_server.pipeline import Plane, answer_bytes, handle, now_header
from mock_server.router import Route
from mock_server.store import loop_io

from .balance import DEFER_SECONDS, Balance
from .waitress_server import CHANNEL_TIMEOUT, MAX_HEADER_BYTES, MAX_WIRE_BODY

Environ = dict[str, Any]
Answer = tuple[int, list[tuple[str, str]], bytes]
Found = tuple[Route, dict[str, str]]
SERVER_NAME = "moonkey-mock"
TO_THREAD = object()  # a call on the loop that the whole app answers, in a pool thread
ACCEPT_BATCH = 64  # connections one wake of the listener takes at most (as asyncio's own accept)
LINGER_SECONDS = 2.0  # after a last answer, what the client still sends is read and dropped
_REASONS = {status.value: status.phrase for status in HTTPStatus}


_KEYS: dict[bytes, str] = {}


def _environ_key(name: bytes) -> str:
    """The environ key of a header ("": not passed on), remembered for the first 512 names."""
    text = name.decode("latin-1")
    if "_" in text:
        key = ""  # like waitress: an underscore could pose as a dash
    else:
        key = text.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            key = ""  # the server sets it from the body it read
        elif key != "CONTENT_TYPE":
            key = "HTTP_" + key
    if len(_KEYS) < 512:
        _KEYS[name] = key
    return key


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's event loop where it is installed (not on Windows), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        return asyncio.new_event_loop
    return uvloop.new_event_loop


class BufferedRequest(Request):
    """A werkzeug request whose body the server has already read in full (no stream wrappers).

    Args:
        environ: the WSGI environ.
        body: the whole body.
    """

    def __init__(self, environ: Environ, body: bytes) -> None:
        super().__init__(environ, populate_request=False)  # no request <-> environ cycle
        self._body = body

    @overload
    def get_data(
        self, cache: bool = ..., as_text: Literal[False] = ..., parse_form_data: bool = ...
    ) -> bytes: ...

    @overload
    def get_data(
        self, cache: bool = ..., as_text: Literal[True] = ..., parse_form_data: bool = ...
    ) -> str: ...

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The body, refused past ``max_content_length`` as werkzeug's own stream does."""
        if as_text or parse_form_data:
            data: bytes | str = Request.get_data(self, cache, as_text, parse_form_data)  # type: ignore[call-overload]
            return data
        limit = self.max_content_length
        if limit is not None and len(self._body) > limit:
            raise RequestEntityTooLarge()
        return self._body


class ApiPath:
    """The API without Flask: the spec's routes, then :func:`mock_server.pipeline.handle`.

    Args:
        app: a fake built by :func:`mock_server.app.create_app`.
    """

    def __init__(self, app: Flask) -> None:
        self.state = state_of(app)
        self.router = router_of(app)
        api = next(route.plane for route in self.router.routes if route.plane.name == "api")
        self.plane: Plane = replace(api, faults=False)

    def inline(self, method: str, path: str) -> Found | None:
        """The API operation to run on the loop now (None: the request goes to a thread)."""
        if self.state.faults.rules:
            return None
        found = self.router.match(method, path)
        return found if found is not None and found[0].plane.name == "api" else None

    def answer(self, found: Found, environ: Environ, body: bytes) -> Answer:
        """An API call through the pipeline without Flask (no fault rule is armed)."""
        route, params = found
        request = BufferedRequest(environ, body)
        reply, data = handle(self.state, self.plane, route.op, route.handler, request, params)
        headers = [("Content-Type", "application/json")]
        headers += reply.headers.items()
        headers.append(now_header(self.state))
        return reply.status, headers, data


class NativeServer:
    """The fake's app on 127.0.0.1 (or ``host``): ``run()`` serves until ``close()``.

    The same surface as the waitress server
    :func:`mock_server.serve.waitress_server.make_server` returns (``effective_port``, ``run``,
    ``close``).

    Args:
        app: a fake built by :func:`mock_server.app.create_app`.
        host, port: where to listen (port 0 picks a free one).
        threads: worker threads for the control API, the IdP pages and faulted calls.
    """

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        threads: int,
        sock: socket.socket | None = None,
        balance: Balance | None = None,
    ) -> None:
        self.app = app
        self.balance = balance  # --workers: connections spread evenly over the processes (V24)
        self.accepting = 0  # accepted, not yet made a Connection
        self._deferred = False  # the waiting connection was left to the others once
        self.state = state_of(app)
        self.api = ApiPath(app)
        # A store across the network (Redis): its calls must not hold the loop for each round
        # trip. They run on the loop, stepping aside while Redis answers (V21), or in the pool
        # where the loop cannot reach Redis (TLS: V14).
        backend = getattr(self.state.store, "backend", None)
        self.offload = bool(getattr(backend, "remote", False))
        self.on_loop = self.offload and getattr(backend, "loop_address", None) is not None
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="moonkey-mock")
        self.sock = sock if sock is not None else _listen(host, port)
        self.sock.setblocking(False)
        address = self.sock.getsockname()
        self.host, self.effective_port = str(address[0]), int(address[1])
        self.loop = _loop_factory()()
        self.connections: set[Connection] = set()
        self.waiting: deque[Connection] = deque()  # accepted past the cap, not yet read
        config = self.state.config
        self.max_connections = min(config.max_connections, _raise_file_limit() - 64)
        self.header_timeout = float(config.header_timeout)
        self.max_api_body = config.max_body_bytes
        self._date = (-1, "")
        self._closed = threading.Event()
        self._started = False
        self._stop: asyncio.Event | None = None
        self._server: asyncio.AbstractServer | None = None

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        """Serve in this thread until :meth:`close` (at once when it was closed already)."""
        self._started = True
        if self._closed.is_set():  # closed before it ran: a signal during start-up
            self._shutdown()
            return
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self._shutdown()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        if self._closed.is_set():
            return
        if self.balance is None:
            self._server = await self.loop.create_server(
                lambda: Connection(self), sock=self.sock, backlog=1024
            )
        else:
            self._listen_balanced()
        activity = self._activity()
        if activity is not None and (self.on_loop or not self.offload):  # where calls run, the
            activity.run_on(self.loop, steps_aside=self.on_loop)  # flush runs (V22)
        self.loop.call_later(1.0, self._sweep)
        await self._stop.wait()

    def close(self) -> None:
        """Stop serving (from any thread): the listener and every connection close.

        The calls fault rules hold here are released, so they end now (their connections are
        closed) instead of keeping worker threads, and the process, alive for a hang's length;
        the rules stay for the other processes on a shared store.
        """
        if self._closed.is_set():
            return
        self._closed.set()
        if not self._started:
            self._shutdown()
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self.loop.call_soon_threadsafe(self._wake)
        # Held calls are released by _shutdown, not here: close() runs in a signal handler, which
        # may interrupt this thread inside a store transaction (a worker that raised there was
        # never woken and outlived its parent).

    def _activity(self) -> Any:
        """The store's buffered activity (V3), if it coalesces it."""
        return getattr(self.state.store, "activity", None)

    def _wake(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def _shutdown(self) -> None:
        self._closed.set()
        self._release_held()
        for connection in [*self.connections, *self.waiting]:
            connection.abort()
        if self._server is not None:
            self._server.close()
            self._server = None
        if self.balance is not None:
            self.balance.leave()
            if not self.loop.is_closed():
                with contextlib.suppress(Exception):  # not listening yet, or already removed
                    self.loop.remove_reader(self.sock.fileno())
        self.sock.close()
        for part in (getattr(self.state.store, "backend", None), self._activity()):
            leave_loop = getattr(part, "leave_loop", None)
            if leave_loop is not None:  # the store's connection and flush on this loop (V21, V22)
                leave_loop()
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.run_until_complete(asyncio.sleep(0))  # let the transports close
            self.loop.close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # --- accepting among workers (V24) ----------------------------------------------------------

    def _listen_balanced(self) -> None:
        self.count_changed()
        self.loop.add_reader(self.sock.fileno(), self._accept)

    def held(self) -> int:
        """The connections this process holds: read, waiting past the cap, being accepted."""
        return len(self.connections) + len(self.waiting) + self.accepting

    def count_changed(self) -> None:
        """Tell the other workers how many connections this one holds."""
        if self.balance is not None and not self._closed.is_set():
            self.balance.publish(self.held())

    def _accept(self) -> None:
        """Take waiting connections while no other worker holds fewer; else leave them a moment.

        A connection this worker left to the others once and still finds waiting is taken
        (the others are busy, or gone).
        """
        assert self.balance is not None
        for _ in range(ACCEPT_BATCH):
            if not self._deferred and self.balance.busier(self.held()):
                self._pause_accepting(DEFER_SECONDS, deferred=True)
                return
            try:
                client, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return  # another worker took it
            except ConnectionAbortedError:
                continue  # the client gave up while it waited
            except OSError:  # out of file descriptors: asyncio's own answer, a second's pause
                self._pause_accepting(1.0, deferred=False)
                return
            self._deferred = False
            client.setblocking(False)
            with contextlib.suppress(OSError):
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.accepting += 1
            self.count_changed()
            self.loop.create_task(self._connect(client))

    async def _connect(self, client: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: Connection(self), client)
        except OSError:  # the client went away at once
            client.close()
        finally:
            self.accepting -= 1
            self.count_changed()

    def _pause_accepting(self, seconds: float, *, deferred: bool) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self._deferred = deferred
        self.loop.call_later(seconds, self._resume_accepting)

    def _resume_accepting(self) -> None:
        if not self._closed.is_set():
            self.loop.add_reader(self.sock.fileno(), self._accept)

    def _release_held(self) -> None:
        """Let the calls fault rules hold here end now instead of after their hang.

        The rules themselves stay: on a shared store the other processes still apply them.
        """
        try:
            self.state.faults.release_held()
        except Exception:  # noqa: BLE001 - the stop goes on regardless
            print("moonkey-mock: held calls could not be released at stop", file=sys.stderr)

    def _sweep(self) -> None:
        """Close idle and too slow connections (checked every second).

        Idle between requests for ``CHANNEL_TIMEOUT`` seconds: closed. Headers not complete
        within the header timeout, or a body with no byte for as long: 408 and closed. A call
        being answered (a hung fault holds it on purpose) is never timed out.
        """
        now = self.loop.time()
        for connection in list(self.connections):
            if connection.busy:
                continue
            if connection.phase == "head" and now - connection.started > self.header_timeout:
                connection.refuse(408, b"Request headers not complete in time")
            elif connection.phase == "body" and now - connection.last_active > self.header_timeout:
                connection.refuse(408, b"Request body not sent in time")
            elif now - connection.last_active > CHANNEL_TIMEOUT:
                connection.close()
        if not self._closed.is_set():
            self.loop.call_later(1.0, self._sweep)

    def admit(self) -> None:
        """Let the connections that wait past the cap in, oldest first, while there is room."""
        while self.waiting and len(self.connections) < self.max_connections:
            waiting = self.waiting.popleft()
            if not waiting.closing:
                waiting.admitted()

    def body_limit(self, method: bytes, url: bytes) -> int:
        """The largest body the request's route takes: the API's limit or the wire limit."""
        path = url.partition(b"?")[0]
        if not path.startswith(b"/"):
            path = httptools.parse_url(url).path or b"/"
        return self.api.router.max_body(
            method.decode("latin-1"), path.decode("latin-1"), MAX_WIRE_BODY
        )

    def date(self) -> str:
        """The ``Date`` header, computed once a second."""
        second = int(self.loop.time())
        if self._date[0] != second:
            self._date = (second, formatdate(usegmt=True))
        return self._date[1]

    # --- answering -------------------------------------------------------------------------

    def threaded(self, environ: Environ, body: bytes, path: str) -> Answer | None:
        """A call on a remote store, in a worker thread: the API path without Flask while no
        rule is armed, else the whole app (None: the call is dropped)."""
        with self.state.clock.pinned():  # the store's clock and rules: one read (V1)
            found = self.api.inline(environ["REQUEST_METHOD"], path)
            if found is not None:
                return self.api.answer(found, environ, body)
            return self.wsgi(environ)

    def loop_call(self, environ: Environ, body: bytes, path: str) -> Answer | object | None:
        """A call on a remote store, on the loop (:mod:`loop_io`): the API path without Flask
        while no rule is armed, else :data:`TO_THREAD` (the whole app runs in a thread)."""
        try:
            with self.state.clock.pinned():  # the store's clock and rules: one read (V1)
                found = self.api.inline(environ["REQUEST_METHOD"], path)
                if found is None:
                    return TO_THREAD
                return self.api.answer(found, environ, body)
        except Exception as error:  # noqa: BLE001 - the store is away: outside the pipeline
            self.state.record_crash(error)
            return 500, [("Content-Type", "text/plain")], b"Internal Server Error"

    def wsgi(self, environ: Environ) -> Answer | None:
        """The whole Flask app, in a worker thread (None: the call is dropped)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            started[:] = [status, headers]
            return lambda _data: None

        try:
            result: Iterable[bytes] = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except ConnectionDropped:
            return None
        except Exception as error:  # noqa: BLE001 - outside the app's own error path
            self.state.record_crash(error)
            return 500, [("Content-Type", "text/plain")], b"Internal Server Error"
        return int(str(started[0]).split(" ", 1)[0]), list(started[1]), body


class Connection(asyncio.Protocol):
    """One client connection: parses requests with httptools and answers them in order."""

    def __init__(self, server: NativeServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: deque[tuple[Environ, bytes, bool]] = deque()
        self.busy = False
        self.closing = False
        self.last_active = server.loop.time()
        self.base: Environ = {}
        self.phase: Literal["idle", "head", "body"] = "idle"
        self.started = self.last_active
        self.continue_pending = False
        self.waiting: list[bytes] | None = None  # bytes read while waiting past the cap
        self.lingering = False
        self._reset()

    def _reset(self) -> None:
        """Forget the request being read (its body is not kept past its answer)."""
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.head_bytes = 0
        self.limit = MAX_WIRE_BODY

    # --- asyncio ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Accept the connection; past the connection cap it waits, unread, for a free place."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        if len(self.server.connections) >= self.server.max_connections:
            self.waiting = []
            self.transport.pause_reading()
            self.server.waiting.append(self)
        else:
            self.server.connections.add(self)
        self.server.count_changed()
        peer = transport.get_extra_info("peername") or ("", 0)
        self.base = {
            "SCRIPT_NAME": "",
            "SERVER_NAME": self.server.host,
            "SERVER_PORT": str(self.server.effective_port),
            "REMOTE_ADDR": str(peer[0]),
            "REMOTE_PORT": str(peer[1]) if len(peer) > 1 else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def admitted(self) -> None:
        """A place is free: read this connection from now on."""
        self.server.connections.add(self)
        self.last_active = self.server.loop.time()
        held, self.waiting = self.waiting or [], None
        if self.transport is not None:
            self.transport.resume_reading()
        if held:
            self.data_received(b"".join(held))

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and everything it holds (its parser refers back to it)."""
        server = self.server
        if self in server.connections:
            server.connections.discard(self)
            server.admit()
        else:
            with contextlib.suppress(ValueError):
                server.waiting.remove(self)
        server.count_changed()
        self.closing = True
        self._reset()
        self.queue.clear()
        self.base = {}
        self.parser = _CLOSED_PARSER  # breaks the parser <-> connection cycle
        self.transport = None

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a malformed request gets a plain 400 and the connection closes."""
        if self.waiting is not None:  # past the cap: kept unread until admitted
            self.waiting.append(data)
            if self.transport is not None:
                self.transport.pause_reading()
            return
        self.last_active = self.server.loop.time()
        while not self.closing:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade as upgrade:
                # The request asked to switch protocols (h2c, websocket): it was read and is
                # answered in HTTP/1.1 as if the header were absent (RFC 9110 §7.8); what
                # follows is the next request, read by a fresh parser.
                data = data[int(upgrade.args[0]) :] if upgrade.args else b""
                self.parser = httptools.HttpRequestParser(self)
                if data:
                    continue
            except httptools.HttpParserError:
                if not self.closing:
                    self.refuse(400, b"Malformed request")
            return

    def abort(self) -> None:
        """Close at once, writing nothing more."""
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        """Close after what is already written, lingering so the answer is not lost.

        A client may still be sending (the body of a refused request, a drip of headers) when
        the last answer goes out. Closing a socket with unread bytes makes the kernel send a
        reset, which can discard the answer before the client reads it; so the write side is
        shut first and what arrives is read and dropped until the client closes too, or for
        ``LINGER_SECONDS`` at most (the "lingering close" of RFC 9112 §9.6).
        """
        self.closing = True
        transport = self.transport
        if transport is None or self.lingering:
            return
        self.lingering = True
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        transport.resume_reading()
        self.server.loop.call_later(LINGER_SECONDS, transport.close)

    def eof_received(self) -> bool:
        """The client closed its side: close ours (after what is written)."""
        return False

    # --- httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        """A new request starts: its headers must be complete within the header timeout."""
        self._reset()
        self.phase = "head"
        self.started = self.server.loop.time()

    def on_url(self, url: bytes) -> None:
        """Part of the request target."""
        self.url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header line."""
        self.headers.append((name, value))
        self._count(len(name) + len(value) + 4)

    def _count(self, size: int) -> None:
        self.head_bytes += size
        if self.head_bytes > MAX_HEADER_BYTES:
            self.refuse(431, b"Request header fields too large")
            raise httptools.HttpParserError("headers too large")

    def on_headers_complete(self) -> None:
        """Check the head (RFC 9112) and the body's size before reading it; answer ``Expect``."""
        self.phase = "body"
        problem = self._head_problem()
        if problem is not None:
            status, message = problem
            if status == 413:
                self._too_large()
            else:
                self.refuse(status, message)
            raise httptools.HttpParserError(message.decode())
        if any(n.lower() == b"expect" for n, _ in self.headers):
            if self.busy:  # the answers before this one go first (RFC 9112 §9.3.2)
                self.continue_pending = True
            elif self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _head_problem(self) -> tuple[int, bytes] | None:
        """What is wrong with the request's head: (status, message), or None."""
        version = self.parser.get_http_version()
        if not version.startswith("1."):
            return 505, b"Only HTTP/1.0 and HTTP/1.1 are supported"
        hosts, codings, expect, length = 0, b"", b"", -1
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"host":
                hosts += 1
            elif lowered == b"transfer-encoding":
                codings += b"," + value
            elif lowered == b"expect":
                expect = value.strip().lower()
            elif lowered == b"content-length" and value.strip().isdigit():
                length = int(value)
        if hosts > 1 or (hosts == 0 and version == "1.1"):
            return 400, b"An HTTP/1.1 request needs exactly one Host header"
        coding = [c.strip().lower() for c in codings.split(b",") if c.strip()]
        if coding and coding[-1] != b"chunked":
            return 400, b"Transfer-Encoding must end with chunked"
        if len(coding) > 1:
            listed = b", ".join(coding[:-1])
            return 501, b"Transfer-Encoding " + listed + b" is not implemented"
        if expect and expect != b"100-continue":
            return 417, b"Only Expect: 100-continue is understood"
        if coding or length > self.server.max_api_body:  # below it, every route takes the body
            self.limit = self.server.body_limit(self.parser.get_method(), self.url)
        if length > self.limit:
            return 413, b""
        return None

    def _too_large(self) -> None:
        """413 in the error envelope, before the body is read; the connection then closes."""
        now = now_header(self.server.state)
        self.refuse(413, answer_bytes(RequestTooLarge().body()), "application/json", [now])

    def on_body(self, body: bytes) -> None:
        """Part of the body (chunked bodies arrive decoded)."""
        self.size += len(body)
        if self.size > self.limit:  # a chunked body has no length to check beforehand
            self._too_large()
            raise httptools.HttpParserError("body too large")
        self.body.append(body)

    def on_message_complete(self) -> None:
        """A whole request: answer it now, or after the ones before it."""
        body = b"".join(self.body)
        request = (self._environ(body), body, self.parser.should_keep_alive())
        self._reset()
        self.phase = "idle"
        if self.busy:
            self.queue.append(request)
            return
        self._serve(*request)

    # --- answering ----------------------------------------------------------------------------

    def _environ(self, body: bytes) -> Environ:
        url = self.url
        if not url.startswith(b"/"):  # absolute form: http://host/path?query
            parsed = httptools.parse_url(url)
            url = (parsed.path or b"/") + (b"?" + parsed.query if parsed.query else b"")
        raw_path, _, query = url.partition(b"?")
        path = unquote_to_bytes(raw_path) if b"%" in raw_path else raw_path
        environ = dict(self.base)
        environ["REQUEST_METHOD"] = self.parser.get_method().decode("ascii", "replace")
        environ["SERVER_PROTOCOL"] = f"HTTP/{self.parser.get_http_version()}"
        environ["PATH_INFO"] = path.decode("latin-1")
        environ["QUERY_STRING"] = query.decode("latin-1")
        environ["CONTENT_LENGTH"] = str(len(body)) if body else ""
        environ["wsgi.input"] = io.BytesIO(body)
        for name, value in self.headers:
            key = _KEYS.get(name) or _environ_key(name)
            if not key:
                continue
            text = value.decode("latin-1")
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        return environ

    def _serve(self, environ: Environ, body: bytes, keep_alive: bool) -> None:
        server = self.server
        path = environ["PATH_INFO"]
        if not path.isascii():  # PATH_INFO holds the bytes as latin-1, as WSGI says
            path = path.encode("latin-1").decode("utf-8", "replace")
        if server.on_loop:
            self._on_loop(environ, body, path, keep_alive)
            return
        if server.offload:
            self._to_thread(server.threaded, environ, body, path, keep_alive=keep_alive)
            return
        with server.state.clock.pinned():  # the store's clock and rules: one read (V1)
            found = server.api.inline(environ["REQUEST_METHOD"], path)
            if found is not None:
                self._answer(server.api.answer(found, environ, body), keep_alive)
                return
        self._to_thread(server.wsgi, environ, keep_alive=keep_alive)

    def _to_thread(self, call: Callable[..., Answer | None], *args: Any, keep_alive: bool) -> None:
        """Answer by ``call(*args)`` in a pool thread; this connection reads on after it."""
        server = self.server
        self.busy = True
        if self.transport is not None:
            self.transport.pause_reading()
        future = server.loop.run_in_executor(server.pool, call, *args)
        future.add_done_callback(lambda done: self._threaded(done, keep_alive))

    def _on_loop(self, environ: Environ, body: bytes, path: str, keep_alive: bool) -> None:
        """Answer by :meth:`NativeServer.loop_call` on the loop; this connection reads on after."""
        server = self.server
        self.busy = True
        if self.transport is not None:
            self.transport.pause_reading()
        done = loop_io.spawn(server.loop, server.loop_call, environ, body, path)
        done.add_done_callback(lambda called: self._called(called, environ, keep_alive))

    def _called(self, done: asyncio.Future[Any], environ: Environ, keep_alive: bool) -> None:
        if not done.cancelled() and done.exception() is None and done.result() is TO_THREAD:
            server = self.server
            future = server.loop.run_in_executor(server.pool, server.wsgi, environ)
            future.add_done_callback(lambda called: self._threaded(called, keep_alive))
            return
        self._threaded(done, keep_alive)

    def _threaded(self, done: asyncio.Future[Answer | None], keep_alive: bool) -> None:
        self.busy = False
        self.last_active = self.server.loop.time()
        if done.cancelled():
            self.abort()
            return
        answer = done.result()
        if answer is None:  # an injected drop
            self.abort()
            return
        self._answer(answer, keep_alive)
        if self.continue_pending and not self.closing and self.transport is not None:
            self.continue_pending = False
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while self.queue and not self.busy and not self.closing:
            self._serve(*self.queue.popleft())
        if not self.busy and not self.closing and self.transport is not None:
            self.transport.resume_reading()

    def _answer(self, answer: Answer, keep_alive: bool) -> None:
        if self.closing or self.transport is None:
            return
        status, headers, body = answer
        reason = _REASONS.get(status, "Status")
        lines = [f"HTTP/1.1 {status} {reason}", f"Server: {SERVER_NAME}"]
        lines.append(f"Date: {self.server.date()}")
        sized = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in ("connection", "transfer-encoding", "server", "date"):
                continue
            sized = sized or lowered == "content-length"
            lines.append(f"{name}: {value}")
        if not sized:
            lines.append(f"Content-Length: {len(body)}")
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.transport.write(head + body)
        if not keep_alive:
            self.close()

    def refuse(
        self,
        status: int,
        message: bytes,
        media: str = "text/plain",
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        """A plain-text error before the app sees the request; the connection then closes.

        While an earlier request is still being answered it cannot go first: the connection is
        closed instead.
        """
        if self.closing:
            return
        if self.busy:
            self.abort()
            return
        headers = [("Content-Type", media), *(extra or [])]
        self._answer((status, headers, message), keep_alive=False)
        self.closing = True


class _ClosedParser:
    """What a closed connection's parser becomes: it holds nothing and reads nothing."""

    def feed_data(self, data: bytes) -> None:
        """Nothing is read once the connection is gone."""


_CLOSED_PARSER: Any = _ClosedParser()


def _raise_file_limit() -> int:
    """Raise the open-files limit to its hard limit; the limit now in force."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 1 << 20
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def make_native_server(app: Flask, host: str, port: int, threads: int) -> NativeServer:
    """The native server for ``app``, bound, not yet running (``--workers``: NativeServer)."""
    return NativeServer(app, host, port, threads)
