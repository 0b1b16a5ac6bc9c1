"""Store cells (issue 15): ``sessions/verify`` on SQLite and Redis, alone and ``--workers 2``.

Each cell starts the fake with ``--store`` (a fresh SQLite file, or a throw-away Debian
``redis-server`` on a free loopback port), seeds sessions through the control API and loads
verify at 8 connections. The memory store's cells are the main table's ``fake`` rows. A
worker's CPU time is counted with the parent's. With ``floor=True`` (``bench.run --only
stores``) the floor's verify cell at 8 connections is measured in the same run first, so the
ratios of issue 27 are read against a floor of the same moment.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .cells import VERIFY, Cell, LoadRunner, verify_requests
from .client import HOST, Http
from .seeding import Seeder
from .servers import Server, cpu_seconds, fake_argv, floor_argv, free_port
from .startup import READY_PATH

CONNECTIONS = 8
SESSIONS = 2000
Log = Callable[[str], None]


class WorkersServer(Server):
    """A fake whose CPU time includes its worker processes'."""

    def cpu_seconds(self) -> float:
        """The parent's and its children's CPU time so far."""
        total = cpu_seconds(self.pid)
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
        return total


@contextmanager
def redis_server(folder: Path) -> Iterator[str | None]:
    """A ``redis-server`` on loopback (None when it is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed command
        [binary, "--bind", HOST, "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host=HOST, port=port)
        for _ in range(1000):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                threading.Event().wait(0.01)
        client.close()
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def floor_server(runner: LoadRunner, key: str, threads: int) -> Iterator[Callable[[], Cell]]:
    """The floor, up for the store cells: each call measures its verify at 8 connections.

    Its canned answer is a memory fake's verify of a seeded session.
    """
    port = free_port()
    fake = Server(fake_argv(port, threads), port)
    try:
        fake.wait_ready(READY_PATH, key)
        tokens = [s.token for s in Seeder(fake, key).sessions(["floor@bench.test"])]
        request = verify_requests(tokens)[0]
        status, canned = Http(port, key).raw("POST", VERIFY, request.body.encode())
        if status != 200:
            raise RuntimeError(f"verify of a seeded session answered {status}")
    finally:
        fake.stop()
    body_file = runner.workdir / "canned-stores.json"
    body_file.write_bytes(canned)
    port = free_port()
    floor = Server(floor_argv(port, threads, key, body_file), port)
    try:
        floor.wait_ready(VERIFY, key, data=request.body.encode())
        requests = verify_requests(tokens * SESSIONS)

        def measure() -> Cell:
            return runner.run(
                floor, key, ("floor", "sessions/verify"), requests, connections=CONNECTIONS
            )

        yield measure
    finally:
        floor.stop()


def measure_stores(
    runner: LoadRunner, key: str, threads: int, workdir: Path, log: Log, *, floor: bool = False
) -> list[dict[str, Any]]:
    """The store cells as JSON rows (targets ``sqlite`` and ``redis``; ``floor`` first).

    The floor is measured again right before each store cell and kept in the cell's row
    (``floor_ok_rps``, ``floor_p99_ms``): on a shared machine its speed drifts by a third
    within a minute, so a ratio is read against the floor of the same moment.
    """
    rows: list[dict[str, Any]] = []
    with floor_server(runner, key, threads) as measure_floor, redis_server(workdir) as redis_url:
        if floor:
            rows.append(measure_floor().to_json())
        stores = [("sqlite", f"sqlite:///{workdir / 'bench-{n}.db'}")]
        if redis_url is None:
            log("bench: redis-server not installed: no redis cells")
        else:
            stores.append(("redis", redis_url))
        for n, (name, url) in enumerate(s for s in stores for _ in range(2)):
            workers = 1 + n % 2
            beside = measure_floor()
            row = _cell(runner, key, threads, name, url.format(n=n), workers, log).to_json()
            row.update(
                floor_ok_rps=round(beside.load.ok_rps, 1), floor_p99_ms=round(beside.load.p99_ms, 3)
            )
            rows.append(row)
            if name == "redis":
                _flush(url)
    return rows


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def _cell(
    runner: LoadRunner, key: str, threads: int, name: str, url: str, workers: int, log: Log
) -> Cell:
    port = free_port()
    argv = [*fake_argv(port, threads), "--store", url, "--workers", str(workers)]
    fake = WorkersServer(argv, port) if workers > 1 else Server(argv, port)
    try:
        fake.wait_ready(READY_PATH, key)
        seeder = Seeder(fake, key)
        tokens = [s.token for s in seeder.sessions([f"s{i}@bench.test" for i in range(SESSIONS)])]
        endpoint = "sessions/verify" + (f" --workers {workers}" if workers > 1 else "")
        return runner.run(
            fake, key, (name, endpoint), verify_requests(tokens), connections=CONNECTIONS
        )
    finally:
        fake.stop()
