"""``serve --workers N``: N processes on one listening socket, sharing a sqlite or redis store.

The parent prepares the store once (default app, seed, signing keys), binds the socket and
forks the workers; each opens its own connections to the store and runs the native server (or
waitress with ``--server waitress``) on the inherited socket. Native workers take new
connections evenly (:mod:`.balance`); waitress's are spread as the kernel wakes them.
SIGTERM or Ctrl-C stops them all: each closes its server and its store and exits 0.
POSIX only (``os.fork``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from mock_server.app import create_app, state_of
from mock_server.config import MockConfig
from mock_server.state import MockState

from . import run_until_stopped
from .balance import Balance
from .waitress_server import waitress_server

BACKLOG = 1024


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    listener.setblocking(False)
    return listener


def serve_workers(
    config: MockConfig,
    announce: Callable[[MockState, str], None],
    prepare: Callable[[MockState], None],
) -> int:
    """Run ``config.workers`` worker processes until a signal; 0 when they stopped cleanly."""
    first = state_of(create_app(config))  # the store's start-up work, done once
    listener = bind(config.host, config.port)
    port = listener.getsockname()[1]
    announce(first, f"http://{config.host}:{port}")
    first.store.close()
    sys.stdout.flush()
    table = Balance.shared(config.workers)
    children = [_fork(config, listener, prepare, Balance(table, n)) for n in range(config.workers)]
    listener.close()

    def stop(signum: int, _frame: Any) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = 0
    slots = {pid: n for n, pid in enumerate(children)}
    while slots:
        pid, status = os.wait()
        if pid not in slots:  # not a worker (nothing else is forked here)
            continue
        Balance(table, slots.pop(pid)).leave()  # killed outright: its place is free at once
        failed += os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM)
    return 1 if failed else 0


def _fork(
    config: MockConfig,
    listener: socket.socket,
    prepare: Callable[[MockState], None],
    balance: Balance,
) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with SIGTERM
        code = _run(config, listener, prepare, balance)
    finally:
        sys.stdout.flush()
        os._exit(code)


def _run(
    config: MockConfig,
    listener: socket.socket,
    prepare: Callable[[MockState], None],
    balance: Balance,
) -> int:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # until the server can be closed
    app = create_app(config)
    state = state_of(app)
    prepare(state)
    server: Any
    if config.server == "waitress":
        server = waitress_server(app, config.threads, sockets=[listener])

        def stop(*_: Any) -> None:
            raise KeyboardInterrupt

    else:
        from .native import NativeServer

        server = NativeServer(app, config.host, config.port, config.threads, listener, balance)

        def stop(*_: Any) -> None:
            server.close()  # thread-safe; run() returns

    signal.signal(signal.SIGTERM, stop)
    return run_until_stopped(server, state.store)
