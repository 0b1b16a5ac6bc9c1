"""The fake's HTTP servers: ``native`` (the default), ``waitress_server``, ``workers``."""

from __future__ import annotations

from typing import Protocol

from mock_server.store import Store


class Runnable(Protocol):
    """What both servers offer: ``run()`` until ``close()``."""

    def run(self) -> None: ...

    def close(self) -> None: ...


def run_until_stopped(server: Runnable, store: Store) -> int:
    """Serve until a stop (Ctrl-C, or the server closed by a signal), then release the store.

    One process and each of ``--workers`` end this way: exit status 0.
    """
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        store.close()  # a SQLite file is checkpointed, a Redis pool released
    return 0
