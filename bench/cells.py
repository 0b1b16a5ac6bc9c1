"""Load cells: one endpoint at one connection count, with the server's CPU time per request."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .load import LoadResult, Req, run_wrk
from .machine import busy_seconds, own_and_children_seconds, stolen_seconds
from .pyload import GENERATOR, run_python
from .servers import Server

VERIFY = "/v1/auth/sessions/verify"
LIST = "/v1/auth/sessions/list"
DELETE = "/v1/auth/sessions/delete"
VERIFY_OTP = "/v1/auth/otps/verify"
EXTEND_MINUTES = 60


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def verify_requests(tokens: Sequence[str], minutes: int | None = None) -> list[Req]:
    """``sessions/verify`` by opaque token (optionally extending by ``minutes``)."""
    extra = {} if minutes is None else {"session_expires_in": minutes}
    return [Req("POST", VERIFY, _json({"session_token": t, **extra})) for t in tokens]


def list_requests(user_ids: Sequence[str]) -> list[Req]:
    """``sessions/list`` for each user."""
    return [Req("GET", f"{LIST}?user_id={quote(u)}") for u in user_ids]


def delete_requests(tokens: Sequence[str]) -> list[Req]:
    """``sessions/delete`` by opaque token (each valid once)."""
    return [Req("DELETE", DELETE, _json({"session_token": t})) for t in tokens]


def otp_requests(codes: Sequence[tuple[str, str]]) -> list[Req]:
    """``otps/verify`` with the seed's ``{email, code}`` form (each valid once)."""
    return [Req("POST", VERIFY_OTP, _json({"email": e, "code": c})) for e, c in codes]


@dataclass(frozen=True)
class Cell:
    """One measured cell."""

    target: str
    endpoint: str
    load: LoadResult
    cpu_ms_per_request: float
    other_cores: float = 0.0
    stolen_cores: float = 0.0  # of other_cores: time the hypervisor took (steal)

    def to_json(self) -> dict[str, Any]:
        """Flat JSON for the report."""
        return {
            "target": self.target,
            "endpoint": self.endpoint,
            **self.load.to_json(),
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 4),
            "other_cores_busy": round(self.other_cores, 2),
            "stolen_cores": round(self.stolen_cores, 2),
        }


class LoadRunner:
    """Runs cells with wrk when available, else with the Python fallback.

    Args:
        wrk: path of wrk, or None for the fallback.
        seconds: length of a cell.
        workdir: where replay files go.
        log: progress output.
    """

    def __init__(self, wrk: str | None, seconds: int, workdir: Path, log: Callable[[str], None]):
        self.wrk = wrk
        self.seconds = seconds
        self.workdir = workdir
        self.log = log

    @property
    def generator(self) -> str:
        """Which load generator the cells use."""
        return "wrk" if self.wrk else GENERATOR

    def run(
        self,
        server: Server,
        key: str,
        names: tuple[str, str],
        requests: Sequence[Req],
        *,
        connections: int,
        consume: bool = False,
    ) -> Cell:
        """Measure ``requests`` against ``server`` at ``connections`` connections."""
        time.sleep(0.2)  # noqa: TID251 - a benchmark pause: let the last cell's stragglers drain
        before = (server.cpu_seconds(), busy_seconds(), own_and_children_seconds())
        stolen_before = stolen_seconds()
        started = time.perf_counter()
        if self.wrk:
            load = run_wrk(
                self.wrk,
                server.port,
                key,
                requests,
                connections=connections,
                seconds=self.seconds,
                consume=consume,
                workdir=self.workdir,
            )
        else:
            load = run_python(
                server.port,
                key,
                requests,
                connections=connections,
                seconds=self.seconds,
                consume=consume,
            )
        wall = time.perf_counter() - started
        cpu = server.cpu_seconds() - before[0]
        ours = cpu + own_and_children_seconds() - before[2]
        # Cores kept busy during the cell by processes other than the server, wrk and us.
        other = max(0.0, busy_seconds() - before[1] - ours) / wall
        stolen = max(0.0, stolen_seconds() - stolen_before) / wall
        per_request = cpu * 1000 / max(load.requests, 1)
        cell = Cell(names[0], names[1], load, per_request, other, stolen)
        self.log(
            f"bench: {names[0]} {names[1]} c={connections}: {load.rps:.0f} req/s, "
            f"ok {load.ok}/{load.requests}, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms"
        )
        return cell
