"""``make bench`` / ``python -m bench.run [--quick]``: the whole benchmark, in one run.

1. the floor (waitress) and the fake (``moonkey-mock serve``: the native server), loaded by wrk
   at 1, 8 and 32 connections, and the fake under ``--server waitress`` at 8; verify on the
   SQLite and Redis stores, alone and with ``--workers 2``, at 8 connections;
2. cold start, reset and fresh app (in-process and over HTTP);
3. peak RSS with 10^6 sessions and verify latency at 10^3 vs 10^6 sessions (in-process);
4. the default server holding 10,000 idle connections (RSS per connection, a new client's
   verify meanwhile), and a soak of good and ~1 MB bad requests (60 s; 10 s with --quick).
Prints a table and writes ``reports/bench.json``. Every loop is bounded in time or count.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server import MockConfig

from .cells import LoadRunner
from .connections import measure_held, measure_soak
from .load import ensure_wrk
from .machine import describe, loadavg
from .report import render, write_json
from .servers import ROOT
from .startup import cold_start, http_isolation
from .stores import measure_stores
from .workload import CONNECTIONS, Sizes, measure_load

DEFAULT_OUT = ROOT / "reports" / "bench.json"


@dataclass(frozen=True)
class Mode:
    """How long and how big a run is."""

    seconds: int
    sizes: Sizes
    cold_starts: int
    repeats: int
    apps: int
    calls: int
    large: int
    soak_seconds: int


MODES = {
    "full": Mode(5, Sizes(base=5000, min_items=500, max_items=6000), 3, 300, 20, 20_000, 10**6, 60),
    "quick": Mode(1, Sizes(base=1000, min_items=200, max_items=2000), 3, 50, 5, 2_000, 10**6, 10),
}
HELD_CONNECTIONS = 10_000


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def inproc(*args: str, module: str = "bench.inproc") -> dict[str, Any]:
    """Run ``python -m <module> args`` in a fresh process; its JSON answer (last line)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed: {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def phase(results: dict[str, Any], name: str, work: Callable[[], Any]) -> None:
    """Store ``work()`` under ``name``; a failure is recorded, and the run goes on."""
    log(f"bench: -- {name}")
    try:
        results[name] = work()
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.SubprocessError) as error:
        results.setdefault("errors", {})[name] = f"{type(error).__name__}: {error}"
        log(f"bench: {name} failed: {error}")


def startup(key: str, threads: int, mode: Mode) -> dict[str, Any]:
    """Cold start, then reset/fresh app over HTTP on the last server started."""
    stats, server = cold_start(key, threads, mode.cold_starts, log)
    try:
        stats["http_isolation"] = http_isolation(server, key, mode.repeats)
    finally:
        server.stop()
    return stats


def clean(value: Any) -> Any:
    """NaN and infinities become None, so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def _header(mode: Mode, mode_name: str, wrk: str | None, threads: int) -> dict[str, Any]:
    return {
        "mode": mode_name,
        "machine": describe(),
        "generator": "wrk" if wrk else "python-threads (fallback: wrk unavailable)",
        "cell_seconds": mode.seconds,
        "connections": list(CONNECTIONS),
        "threads": threads,
        "server": "native",
        "seeding": {},
        "errors": {},
    }


def _in_process(results: dict[str, Any], mode: Mode) -> None:
    """Isolation and scale figures, each measurement in a fresh process."""
    isolation = ["isolation", "--repeats", str(mode.repeats), "--apps", str(mode.apps)]
    phase(results, "in_process", lambda: inproc(*isolation))
    http = results.get("cold_start", {}).pop("http_isolation", {})
    results["isolation"] = {"in_process": results.pop("in_process", {}), "http": http}
    scaling: dict[str, Any] = {}
    for size, count in (("small", 1000), ("large", mode.large)):
        store = ["store", "--sessions", str(count), "--calls", str(mode.calls)]
        phase(scaling, size, functools.partial(inproc, *store))
    results["errors"].update(scaling.pop("errors", {}))
    results["scaling"] = scaling


def run(mode_name: str, *, use_wrk: bool, out: Path, only: str | None = None) -> dict[str, Any]:
    """Every measurement of one run (``only="stores"``: the floor and the store cells);
    returns the results written to ``out``."""
    mode = MODES[mode_name]
    config = MockConfig()  # the production defaults (the servers run without MOONKEY_MOCK_*)
    key, threads = config.secret_key, config.threads
    wrk = ensure_wrk(log) if use_wrk else None
    if wrk is None:
        log("bench: wrk unavailable: using the Python load generator (labelled python-threads)")
    results = _header(mode, mode_name, wrk, threads)
    if only == "stores":
        with tempfile.TemporaryDirectory(prefix="moonkey-bench-") as tmp:
            runner = LoadRunner(wrk, mode.seconds, Path(tmp), log)
            work = functools.partial(measure_stores, floor=True)
            phase(results, "load", lambda: work(runner, key, threads, Path(tmp), log))
        results["machine"]["load_average_at_end"] = loadavg()
        only_stores: dict[str, Any] = clean(results)
        write_json(only_stores, out)
        return only_stores
    with tempfile.TemporaryDirectory(prefix="moonkey-bench-") as tmp:
        runner = LoadRunner(wrk, mode.seconds, Path(tmp), log)
        seeding = results["seeding"]
        phase(results, "load", lambda: measure_load(runner, key, threads, mode.sizes, seeding, log))
        # Verify on the durable stores, alone and with --workers 2 (rows "sqlite", "redis").
        phase(results, "stores", lambda: measure_stores(runner, key, threads, Path(tmp), log))
        results["load"] = [*results.get("load", []), *results.pop("stores", [])]
    phase(results, "held", lambda: measure_held(key, threads, HELD_CONNECTIONS, log))
    phase(results, "soak", lambda: measure_soak(key, threads, mode.soak_seconds, log))
    phase(results, "cold_start", lambda: startup(key, threads, mode))
    _in_process(results, mode)
    # Where a verify's time goes, so a missed target comes with its explanation.
    components = ["--components-json", "--calls", str(min(mode.calls, 2000))]
    phase(results, "profile", functools.partial(inproc, *components, module="bench.hotpath"))
    results["machine"]["load_average_at_end"] = loadavg()
    cleaned: dict[str, Any] = clean(results)
    write_json(cleaned, out)
    return cleaned


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~1 s cells and fewer repeats")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report path")
    parser.add_argument(
        "--only",
        choices=("stores",),
        help="stores: only the floor and the SQLite/Redis cells at 8 connections (issue 27)",
    )
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    results = run(mode, use_wrk=not args.no_wrk, out=args.out, only=args.only)
    print(render(results))
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
