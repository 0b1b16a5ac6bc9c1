"""The load part of the run: the floor, then the fake's endpoints, each at 1, 8, 32 connections.

The fake runs as ``moonkey-mock serve`` does by default (the native server); one more cell
measures ``sessions/verify`` at 8 connections on the fake under ``--server waitress``, so the
two servers are compared in the same run (``sessions/verify (waitress)`` in the table).

The fake's ``sessions/verify`` cells run right after its seeding, before the floor's: seeding
signs every session's JWT at once, and a JWT is reused for a tenth of its lifetime (30 s), so
all 5,000 expire together 30 s later; run after the floor, that burst of 5,000 RS256 signatures
fell inside the 8-connection cell (docs/decisions.md S9).

The fake holds ``Sizes.base`` sessions (one per user) before the first cell. State-consuming
endpoints (``sessions/delete``, ``otps/verify``) get fresh items per cell, sized from the
measured verify rate; a cell that uses them all up stops early and is flagged.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .cells import (
    EXTEND_MINUTES,
    VERIFY,
    Cell,
    LoadRunner,
    delete_requests,
    list_requests,
    otp_requests,
    verify_requests,
)
from .client import Http
from .load import Req
from .seeding import Seeder
from .servers import Server, fake_argv, floor_argv, free_port
from .startup import READY_PATH

CONNECTIONS = (1, 8, 32)
WAITRESS = "waitress"
Log = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    """How much state the load cells use."""

    base: int
    min_items: int
    max_items: int


def _floor_cells(
    runner: LoadRunner, key: str, threads: int, canned: bytes, tokens: Sequence[str]
) -> list[Cell]:
    body_file = runner.workdir / "canned.json"
    body_file.write_bytes(canned)
    port = free_port()
    floor = Server(floor_argv(port, threads, key, body_file), port)
    try:
        probe = json.dumps({"session_token": tokens[0]}).encode()
        floor.wait_ready(VERIFY, key, data=probe)
        requests = verify_requests(tokens)
        return [
            runner.run(floor, key, ("floor", "sessions/verify"), requests, connections=c)
            for c in CONNECTIONS
        ]
    finally:
        floor.stop()


def _waitress_cell(runner: LoadRunner, key: str, threads: int, sizes: Sizes, log: Log) -> Cell:
    """``sessions/verify`` at 8 connections on the fake under ``--server waitress``."""
    port = free_port()
    fake = Server(fake_argv(port, threads, WAITRESS), port)
    try:
        fake.wait_ready(READY_PATH, key)
        base = Seeder(fake, key).sessions([f"w{i}@bench.test" for i in range(sizes.base)])
        log(f"bench: seeded {len(base)} sessions on the fake under waitress")
        requests = verify_requests([b.token for b in base])
        names = ("fake", f"sessions/verify ({WAITRESS})")
        return runner.run(fake, key, names, requests, connections=8)
    finally:
        fake.stop()


def _items_per_cell(cells: Sequence[Cell], seconds: int, sizes: Sizes) -> int:
    """Enough items for a whole cell at the fastest steady rate seen, within the bounds."""
    best = max((c.load.ok_rps for c in cells if c.target == "fake"), default=0.0)
    wanted = math.ceil(best * seconds * 1.2)
    return max(sizes.min_items, min(sizes.max_items, wanted))


def _slices(items: Sequence[Req], parts: int) -> list[Sequence[Req]]:
    size = len(items) // parts
    return [items[i * size : (i + 1) * size] for i in range(parts)]


def _consuming_cells(
    runner: LoadRunner, fake: Server, key: str, seeder: Seeder, per_cell: int, log: Log
) -> list[Cell]:
    count = per_cell * len(CONNECTIONS)
    started = time.perf_counter()
    doomed = seeder.sessions([f"del{i}@bench.test" for i in range(count)])
    codes = seeder.pending_codes([f"otp{i}@bench.test" for i in range(count)])
    log(
        f"bench: seeded {count} sessions and {count} codes in {time.perf_counter() - started:.1f} s"
    )
    cells: list[Cell] = []
    work = (
        ("sessions/delete", delete_requests([d.token for d in doomed])),
        ("otps/verify", otp_requests(codes)),
    )
    for endpoint, requests in work:
        for conns, part in zip(CONNECTIONS, _slices(requests, len(CONNECTIONS)), strict=True):
            cells.append(
                runner.run(fake, key, ("fake", endpoint), part, connections=conns, consume=True)
            )
    return cells


def measure_load(
    runner: LoadRunner, key: str, threads: int, sizes: Sizes, seeding: dict[str, Any], log: Log
) -> list[dict[str, Any]]:
    """Every load cell of the run, as JSON rows (floor first)."""
    port = free_port()
    fake = Server(fake_argv(port, threads), port)
    try:
        fake.wait_ready(READY_PATH, key)
        seeder = Seeder(fake, key)
        started = time.perf_counter()
        base = seeder.sessions([f"user{i}@bench.test" for i in range(sizes.base)])
        took = time.perf_counter() - started
        log(f"bench: seeded {len(base)} sessions ({seeder.method}) in {took:.1f} s")
        tokens = [b.token for b in base]
        status, canned = Http(port, key).raw(
            "POST", VERIFY, verify_requests(tokens[:1])[0].body.encode()
        )
        if status != 200:
            raise RuntimeError(f"verify of a seeded session answered {status}: {canned[:300]!r}")
        # The fake's verify cells first, within the JWT reuse window of the seeding (S9).
        verify = [
            runner.run(
                fake, key, ("fake", "sessions/verify"), verify_requests(tokens), connections=c
            )
            for c in CONNECTIONS
        ]
        cells = _floor_cells(runner, key, threads, canned, tokens)
        cells.append(_waitress_cell(runner, key, threads, sizes, log))
        cells += verify
        steady = (
            ("sessions/verify +expires_in", verify_requests(tokens, EXTEND_MINUTES)),
            ("sessions/list", list_requests([b.user_id for b in base])),
        )
        for endpoint, requests in steady:
            cells += [
                runner.run(fake, key, ("fake", endpoint), requests, connections=c)
                for c in CONNECTIONS
            ]
        per_cell = _items_per_cell(cells, runner.seconds, sizes)
        cells += _consuming_cells(runner, fake, key, seeder, per_cell, log)
        seeding.update(
            method=seeder.method,
            base_sessions=len(base),
            items_per_consuming_cell=per_cell,
            summary=f"{len(base):,} sessions stored up front via {seeder.method}; "
            f"{per_cell:,} fresh sessions/codes per delete/otps cell",
        )
        return [c.to_json() for c in cells]
    finally:
        fake.stop()
