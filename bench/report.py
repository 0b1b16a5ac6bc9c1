"""The benchmark's targets, its printed table and its JSON report."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .machine import one_line

GIB_MIB = 1024.0
FLOOR = "floor"
FAKE = "fake"


@dataclass(frozen=True)
class Target:
    """One target of the issue, met or not (``met`` None: not measured in this run)."""

    name: str
    shown: str
    met: bool | None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not math.isnan(value) else None


def _check(name: str, value: Any, limit: float, unit: str, at_least: bool = False) -> Target:
    number = _num(value)
    if number is None:
        return Target(name, "not measured", None)
    met = number >= limit if at_least else number < limit
    return Target(name, f"{number:.3g}{unit}", met)


def find_cell(load: list[dict[str, Any]], target: str, endpoint: str, conns: int) -> dict[str, Any]:
    """The cell of ``target``/``endpoint`` at ``conns`` connections ({} when absent)."""
    for cell in load:
        if (cell["target"], cell["endpoint"], cell["connections"]) == (target, endpoint, conns):
            return cell
    return {}


def ratio(a: Any, b: Any) -> float:
    """a / b, NaN when either is missing or b is zero."""
    x, y = _num(a), _num(b)
    return x / y if x is not None and y else math.nan


def targets(results: dict[str, Any]) -> list[Target]:
    """The issue's targets, evaluated on ``results``."""
    load = results.get("load", [])
    fake = find_cell(load, FAKE, "sessions/verify", 8)
    floor = find_cell(load, FLOOR, "sessions/verify", 8)
    local = results.get("isolation", {}).get("in_process", {})
    http = results.get("isolation", {}).get("http", {})
    scale = results.get("scaling", {})
    found = [
        _check(
            "verify @8 conns ≥ 3x floor req/s",
            ratio(fake.get("ok_rps"), floor.get("ok_rps")),
            3,
            "x",
            at_least=True,
        ),
        _check("verify @8 conns p99 < 5 ms", fake.get("p99_ms"), 5, " ms"),
        _check("cold start < 0.5 s", results.get("cold_start", {}).get("median_s"), 0.5, " s"),
        _check("reset in-process < 5 ms", local.get("reset", {}).get("median_ms"), 5, " ms"),
        _check("reset over HTTP < 5 ms", http.get("reset", {}).get("median_ms"), 5, " ms"),
        _fresh_app_in_process(local),
        _check("fresh app over HTTP < 5 ms", http.get("apps", {}).get("median_ms"), 5, " ms"),
        _check(
            "10^6 sessions < 1 GiB peak RSS",
            scale.get("large", {}).get("peak_rss_mib", math.nan) / GIB_MIB,
            1,
            " GiB",
        ),
        _check(
            "verify latency 10^6 ≤ 1.2x 10^3 (median)",
            ratio(
                scale.get("large", {}).get("verify", {}).get("median_ms"),
                scale.get("small", {}).get("verify", {}).get("median_ms"),
            ),
            1.2,
            "x",
        ),
        *edge_targets(results),
        *store_targets(load),
    ]
    return found


def floor_of(load: list[dict[str, Any]], cell: dict[str, Any]) -> dict[str, Any]:
    """The floor a cell is read against: the one measured right before it (the store cells),
    else the run's floor at the same connections."""
    if cell.get("floor_ok_rps"):
        return {"ok_rps": cell["floor_ok_rps"], "p99_ms": cell.get("floor_p99_ms")}
    return find_cell(load, FLOOR, "sessions/verify", cell.get("connections", 8))


def store_targets(load: list[dict[str, Any]]) -> list[Target]:
    """Issue 27: the shared stores against the floor measured right before each."""
    cells = {
        (t, w): find_cell(load, t, "sessions/verify" + w, 8)
        for t in ("sqlite", "redis")
        for w in ("", " --workers 2")
    }

    def rps(target: str, workers: str) -> Any:
        return cells[(target, workers)].get("ok_rps")

    def floored(target: str, workers: str) -> float:
        cell = cells[(target, workers)]
        return ratio(cell.get("ok_rps"), floor_of(load, cell).get("ok_rps"))

    one, two = rps("redis", ""), rps("redis", " --workers 2")
    found = [
        _check("redis verify @8 ≥ 1x floor", floored("redis", ""), 1, "x", at_least=True),
        _check(
            "redis --workers 2 ≥ 1.5x floor",
            floored("redis", " --workers 2"),
            1.5,
            "x",
            at_least=True,
        ),
        _check("redis --workers 2 above one process", ratio(two, one), 1, "x", at_least=True),
        _check("sqlite verify @8 ≥ 1x floor", floored("sqlite", ""), 1, "x", True),
        _check(
            "sqlite --workers 2 ≥ 0.5x one process",
            ratio(rps("sqlite", " --workers 2"), rps("sqlite", "")),
            0.5,
            "x",
            at_least=True,
        ),
    ]
    for (target, workers), cell in cells.items():
        if cell:
            name = f"{target}{workers}"
            found.append(_check(f"{name}: p99 < 10 ms", cell.get("p99_ms"), 10, " ms"))
            found.append(_check(f"{name}: 0 errors", cell.get("errors"), 0.5, ""))
    return found


def edge_targets(results: dict[str, Any]) -> list[Target]:
    """The default server's edges: connections held, a new client's verify, the soak's RSS."""
    held, soak = results.get("held", {}), results.get("soak", {})
    count = held.get("connections", 10_000)
    return [
        _check(f"{count:,} idle connections held", held.get("held"), count, "", at_least=True),
        _check(
            f"new client's verify with {count:,} open < 100 ms (max)",
            held.get("new_verify_ms", {}).get("max"),
            100,
            " ms",
        ),
        _check("soak: RSS grows < 100 MiB", soak.get("grown_mib"), 100, " MiB"),
        _check(
            "soak: RSS flat once the journal is full (< 10 MiB)",
            soak.get("grown_after_first_third_mib"),
            10,
            " MiB",
        ),
    ]


def _fresh_app_in_process(local: dict[str, Any]) -> Target:
    """A tenant (``Controls.create_app``) when the fake has one, else a whole new fake."""
    if "tenant" in local:
        median = local["tenant"].get("median_ms")
        return _check("fresh app in-process (tenant) < 5 ms", median, 5, " ms")
    median = local.get("create_app", {}).get("median_ms")
    return _check("fresh app in-process (create_app) < 5 ms", median, 5, " ms")


def _f(value: Any, digits: int = 2) -> str:
    number = _num(value)
    return "-" if number is None else f"{number:,.{digits}f}"


def load_rows(load: list[dict[str, Any]]) -> Iterator[str]:
    """The load table, each fake cell with its ratios to the floor at the same connections."""
    yield (
        f"{'target':<6} {'endpoint':<28} {'conns':>5} {'secs':>5} {'req/s':>8} {'2xx':>7} "
        f"{'other':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
        f"{'xfloor req/s':>12} {'xfloor p99':>10} {'noise':>5} {'steal':>5}"
    )
    for cell in load:
        floor = floor_of(load, cell)
        note = " (items used up)" if cell.get("exhausted") else ""
        yield (
            f"{cell['target']:<6} {cell['endpoint']:<28} {cell['connections']:>5} "
            f"{_f(cell['seconds'], 1):>5} "
            f"{_f(cell['ok_rps'], 0):>8} {cell['ok']:>7} {cell['errors']:>6} "
            f"{_f(cell['p50_ms']):>7} {_f(cell['p99_ms']):>7} "
            f"{_f(cell['cpu_ms_per_request'], 3):>10} "
            f"{_f(ratio(cell['ok_rps'], floor.get('ok_rps'))):>12} "
            f"{_f(ratio(cell['p99_ms'], floor.get('p99_ms'))):>10} "
            f"{_f(cell.get('other_cores_busy'), 2):>5} {_f(cell.get('stolen_cores'), 2):>5}{note}"
        )


def _stat_row(label: str, stats: dict[str, Any] | None) -> str:
    if not stats:
        return f"{label:<52} {'not measured':>12}"
    return f"{label:<52} {_f(stats.get('median_ms'), 3):>9} ms {_f(stats.get('p99_ms'), 3):>9} ms"


def single_rows(results: dict[str, Any]) -> Iterator[str]:
    """Start-up, isolation, memory and scale figures."""
    cold = results.get("cold_start", {})
    local = results.get("isolation", {}).get("in_process", {})
    http = results.get("isolation", {}).get("http", {})
    yield f"{'measurement':<52} {'median':>12} {'p99':>12}"
    samples = ", ".join(f"{s:.3f}" for s in cold.get("samples_s", []))
    label = f"cold start to first 200 (runs: {samples} s)"
    yield f"{label:<52} {_f(cold.get('median_s'), 3):>10} s"
    yield _stat_row(f"reset in-process ({local.get('reset_via', '-')})", local.get("reset"))
    yield _stat_row("reset over HTTP (POST /_mock/reset)", http.get("reset"))
    yield _stat_row("fresh fake in-process (create_app, shared key)", local.get("create_app"))
    if "tenant" in local:
        yield _stat_row("fresh tenant in-process (Controls.create_app)", local["tenant"])
    yield _stat_row("fresh app over HTTP (POST /_mock/apps)", http.get("apps"))
    for size in ("small", "large"):
        scale = results.get("scaling", {}).get(size, {})
        label = f"verify in-process, {scale.get('sessions', 0):,} stored"
        yield _stat_row(label + ", 1,000 in use", scale.get("verify"))
        yield _stat_row(label + ", all in use", scale.get("verify_any"))
    for size in ("small", "large"):
        scale = results.get("scaling", {}).get(size, {})
        label = f"one full GC pass (gc.collect), {scale.get('sessions', 0):,} sessions"
        yield f"{label:<52} {_f(scale.get('full_gc_ms'), 1):>9} ms"
    large = results.get("scaling", {}).get("large", {})
    yield (
        f"{'peak RSS, ' + format(large.get('sessions', 0), ',') + ' sessions':<52} "
        f"{_f(large.get('peak_rss_mib'), 0):>8} MiB (insert {_f(large.get('insert_s'), 1)} s)"
    )
    yield from edge_rows(results)


def edge_rows(results: dict[str, Any]) -> Iterator[str]:
    """The default server holding idle connections, and the soak's RSS samples."""
    held, soak = results.get("held", {}), results.get("soak", {})
    if held:
        label = f"idle keep-alive connections held (of {held['connections']:,})"
        yield f"{label:<52} {held['held']:>12,}"
        yield (
            f"{'RSS per idle connection':<52} {_f(held['kib_per_connection']):>8} KiB "
            f"({_f(held['rss_before_mib'], 0)} → {_f(held['rss_after_mib'], 0)} MiB)"
        )
        verify = held["new_verify_ms"]
        label = "a new client's verify meanwhile (connect included)"
        yield f"{label:<52} {_f(verify['median'], 3):>9} ms {_f(verify['max'], 3):>9} ms (max)"
    if soak:
        samples = " ".join(f"{sample:.0f}" for sample in soak["rss_mib"])
        label = f"soak {soak['seconds']} s, {soak['good']:,} good + {soak['bad']:,} bad (~1 MB)"
        yield f"{label:<52} {_f(soak['grown_mib'], 1):>8} MiB grown (RSS MiB: {samples})"
        label = f"  of which after the first third (journal of {soak.get('journal_size', '-')})"
        yield f"{label:<52} {_f(soak['grown_after_first_third_mib'], 1):>8} MiB"
        if soak.get("unexpected"):
            yield f"  soak: {soak['unexpected']} answers were not the expected status"


def render(results: dict[str, Any]) -> str:
    """The whole printed report."""
    info = results["machine"]
    lines = [
        f"moonkey-mock benchmark ({results['mode']}) on {one_line(info)}",
        f"load average at start {info.get('load_average')}, at end "
        f"{info.get('load_average_at_end')}; 'noise': cores other processes kept busy "
        "during the cell (above ~0.1 the cell was disturbed; a store cell's includes its "
        "redis-server), 'steal': of those, cores the hypervisor gave other machines",
        f"load: {results['generator']}, {results['cell_seconds']} s per cell, "
        f"fake: {results.get('server', 'native')} server, floor: waitress, "
        f"{results['threads']} threads each; {results['seeding'].get('summary', '')}",
        "store rows (sqlite, redis): x floor against the floor measured right before each",
        "",
        *load_rows(results.get("load", [])),
        "",
        *single_rows(results),
        "",
        "targets:",
    ]
    for target in results_targets(results):
        mark = {True: "met    ", False: "NOT MET", None: "n/a    "}[target.met]
        lines.append(f"  [{mark}] {target.name:<44} {target.shown}")
    lines += list(where_the_time_goes(results))
    errors = results.get("errors", {})
    lines += [f"error in {phase}: {message}" for phase, message in errors.items()]
    return "\n".join(lines)


def where_the_time_goes(results: dict[str, Any]) -> Iterator[str]:
    """The verify path's pieces and the CPU budget the throughput target implies."""
    profile = results.get("profile") or {}
    if not profile:
        return
    yield ""
    yield "where the time goes (sessions/verify in-process, each piece timed alone):"
    for name, stats in profile.items():
        yield f"  {name:<44} {_f(stats.get('median_ms'), 4):>8} ms"
    load = results.get("load", [])
    fake = find_cell(load, FAKE, "sessions/verify", 8) or {}
    floor = find_cell(load, FLOOR, "sessions/verify", 8) or {}
    whole = profile.get("whole request (native API path)", {}).get("median_ms")
    cpu, floor_rps = fake.get("cpu_ms_per_request"), floor.get("ok_rps")
    if cpu and whole and floor_rps:
        yield (
            f"  at 8 connections the fake's server process spends {cpu:.3f} ms CPU a request, "
            f"{cpu - whole:.3f} ms of it outside the API path (HTTP parsing, sockets, event loop)"
        )
        yield (
            f"  3x the floor ({3 * floor_rps:,.0f} req/s) leaves {1000 / (3 * floor_rps):.3f} ms "
            "CPU a request end to end on one interpreter: see README, Performance"
        )


def results_targets(results: dict[str, Any]) -> list[Target]:
    """Targets as stored in ``results`` (evaluated when missing)."""
    stored = results.get("targets")
    if stored:
        return [Target(**t) for t in stored]
    return targets(results)


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write ``results`` with its evaluated targets."""
    results["targets"] = [asdict(t) for t in targets(results)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, allow_nan=False, default=str) + "\n")
