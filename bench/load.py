"""Load generation: wrk (installed from Debian's packages when missing) or a Python fallback.

Both replay a list of :class:`Req` on keep-alive connections for a bounded time and report the
same :class:`LoadResult`: completed requests, 2xx vs the rest, p50/p99 latency.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .client import HOST

LUA = Path(__file__).resolve().parent / "replay.lua"
WRK = "wrk"
RESULT_PREFIX = "BENCH_RESULT "


@dataclass(frozen=True)
class Req:
    """One request to replay; ``body`` is JSON text or empty."""

    method: str
    path: str
    body: str = ""

    def line(self) -> str:
        """The replay-file line: ``METHOD<TAB>PATH<TAB>BODY``."""
        return f"{self.method}\t{self.path}\t{self.body}"


@dataclass(frozen=True)
class LoadResult:
    """What one load cell measured."""

    generator: str
    connections: int
    seconds: float
    requests: int
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float
    exhausted: bool = False

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok_rps(self) -> float:
        """2xx responses per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """Fields plus the derived rates."""
        return {**asdict(self), "rps": round(self.rps, 1), "ok_rps": round(self.ok_rps, 1)}


Log = Callable[[str], None]


def _apt(args: list[str], prefix: list[str], log: Log) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = [*prefix, "apt-get", *args]
    log(f"bench: running {' '.join(command)}")
    try:
        done = subprocess.run(  # noqa: S603 - fixed command
            command, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log(f"bench: {error}")
        return False
    if done.returncode != 0:
        log(f"bench: apt-get {args[0]} failed: {done.stderr.strip()[-400:]}")
    return done.returncode == 0


def ensure_wrk(log: Log, *, install: bool = True) -> str | None:
    """The path of wrk, installing Debian's package when missing; None if that fails."""
    found = shutil.which(WRK)
    if found or not install:
        return found
    if shutil.which("apt-get") is None:
        log("bench: wrk is not installed and apt-get is not available")
        return None
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            log("bench: wrk is not installed and installing it needs root (no sudo)")
            return None
        prefix = ["sudo", "-n"]
    if not _apt(["install", "-y", WRK], prefix, log):
        _apt(["update"], prefix, log)
        _apt(["install", "-y", WRK], prefix, log)
    return shutil.which(WRK)


def run_wrk(
    wrk: str,
    port: int,
    key: str,
    requests: Sequence[Req],
    *,
    connections: int,
    seconds: int,
    consume: bool,
    workdir: Path,
) -> LoadResult:
    """One wrk run (one thread, ``connections`` keep-alive connections, ``seconds`` long)."""
    replay = workdir / "replay.txt"
    replay.write_text("\n".join(r.line() for r in requests) + "\n", encoding="utf-8")
    command = [
        *(wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"),
        *("-s", str(LUA), "-H", f"Authorization: Bearer {key}"),
        *("-H", "Content-Type: application/json", f"http://{HOST}:{port}"),
        *("--", str(replay), "consume" if consume else "cycle"),
    ]
    done = subprocess.run(  # noqa: S603 - wrk with fixed arguments
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return _from_wrk(json.loads(line[len(RESULT_PREFIX) :]), connections)
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr[-600:]}")


def _from_wrk(raw: dict[str, Any], connections: int) -> LoadResult:
    exhausted = bool(raw["exhausted"])
    timed = exhausted and raw["precise_timer"] and raw["timed_us"] > 0
    micros = raw["timed_us"] if timed else raw["duration_us"]
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
    return LoadResult(
        generator="wrk",
        connections=connections,
        seconds=micros / 1e6,
        requests=raw["requests"],
        ok=raw["ok"],
        errors=raw["bad"] + socket_errors + raw["timeouts"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        exhausted=exhausted,
    )
