"""Smoke tests of the benchmark's pure pieces (``bench/``): no servers, no load, no timings."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

from flask import Flask

import bench
from bench.cells import delete_requests, list_requests, otp_requests, verify_requests
from bench.floor_app import create_floor_app, request_validator
from bench.load import LoadResult, Req, _from_wrk
from bench.report import render, targets
from bench.stats import median, percentile
from bench.wsgi import WsgiCaller
from mock_server import state_of

KEY = "sk_test_bench"


def test_bench_modules_import() -> None:
    for module in pkgutil.iter_modules(bench.__path__):
        importlib.import_module(f"bench.{module.name}")


def test_floor_app_answers_canned_body() -> None:
    client = create_floor_app(KEY, b'{"canned":true}').test_client()
    ok = client.post(
        "/v1/auth/sessions/verify",
        json={"session_token": "t" * 64},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert ok.status_code == 200
    assert ok.get_json() == {"canned": True}


def test_floor_app_checks_key_and_body() -> None:
    client = create_floor_app(KEY).test_client()
    path, auth = "/v1/auth/sessions/verify", {"Authorization": f"Bearer {KEY}"}
    assert client.post(path, json={"session_token": "x"}).status_code == 401
    assert client.post(path, json={"nope": 1}, headers=auth).status_code == 400


def test_request_builders_match_the_spec() -> None:
    validator = request_validator()
    for req in verify_requests(["a" * 64]) + verify_requests(["a" * 64], minutes=60):
        assert validator.is_valid(json.loads(req.body)), req
    assert list_requests(["user 1"])[0].path.endswith("user_id=user%201")
    assert delete_requests(["t"])[0] == Req(
        "DELETE", "/v1/auth/sessions/delete", '{"session_token":"t"}'
    )
    assert otp_requests([("a@b.c", "123456")])[0].line().split("\t")[0] == "POST"


def test_stats_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert median(samples) == 50
    assert percentile(samples, 99) == 99
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_wrk_result_uses_lua_timer_when_items_ran_out() -> None:
    raw = {
        "requests": 10, "duration_us": 5_000_000, "ok": 9, "bad": 1, "exhausted": 1,
        "timed_us": 1_000_000, "precise_timer": True, "connect_errors": 0, "read_errors": 0,
        "write_errors": 0, "timeouts": 0, "p50_us": 1500, "p99_us": 4000, "mean_us": 1.0,
        "max_us": 5,
    }  # fmt: skip
    result = _from_wrk(raw, connections=8)
    assert (result.seconds, result.ok, result.errors, result.p99_ms) == (1.0, 9, 1, 4.0)
    assert result.ok_rps == 9


def _results() -> dict[str, Any]:
    floor = LoadResult("wrk", 8, 1.0, 1000, 1000, 0, 1.0, 2.0).to_json()
    fake = LoadResult("wrk", 8, 1.0, 4000, 4000, 0, 0.5, 1.0).to_json()
    return {
        "mode": "quick",
        "machine": {
            "nproc": 2,
            "cpu_model": "cpu",
            "memory_gib": 1.0,
            "python": "3",
            "kernel": "k",
        },
        "generator": "wrk",
        "cell_seconds": 1,
        "threads": 8,
        "seeding": {"summary": "seeded"},
        "load": [
            {"target": "floor", "endpoint": "sessions/verify", "cpu_ms_per_request": 0.1, **floor},
            {"target": "fake", "endpoint": "sessions/verify", "cpu_ms_per_request": 0.1, **fake},
        ],
        "cold_start": {"samples_s": [0.3], "median_s": 0.3},
        "isolation": {"in_process": {"reset": {"median_ms": 0.1, "p99_ms": 0.2}}, "http": {}},
        "scaling": {
            "small": {"sessions": 1000, "verify": {"median_ms": 1.0, "p99_ms": 2.0}},
            "large": {"sessions": 10**6, "peak_rss_mib": 2048, "verify": {"median_ms": 1.1}},
        },
    }


def test_targets_met_missed_and_unmeasured() -> None:
    found = {t.name: t.met for t in targets(_results())}
    assert found["verify @8 conns ≥ 3x floor req/s"] is True
    assert found["10^6 sessions < 1 GiB peak RSS"] is False
    assert found["reset over HTTP < 5 ms"] is None


def test_store_cells_are_read_against_the_floor_measured_beside_them() -> None:
    results = _results()
    sqlite = LoadResult("wrk", 8, 1.0, 1200, 1200, 0, 0.5, 1.0).to_json()
    results["load"].append(
        {
            "target": "sqlite",
            "endpoint": "sessions/verify",
            "cpu_ms_per_request": 0.1,
            **sqlite,
            "floor_ok_rps": 1500.0,  # the floor ran slower or faster since the first floor cell
            "floor_p99_ms": 3.0,
        }
    )
    found = {t.name: t for t in targets(results)}
    assert found["sqlite verify @8 ≥ 1x floor"].met is False  # 1,200 / 1,500, not / 1,000
    assert "0.80" in render(results)


def test_render_prints_every_section() -> None:
    text = render(_results())
    assert "fake   sessions/verify" in text
    assert "4.00" in text  # the fake's req/s as a ratio to the floor
    assert "NOT MET" in text
    assert "cold start to first 200" in text


def test_wsgi_caller_reaches_the_fake(app: Flask) -> None:
    caller = WsgiCaller(app, state_of(app).default_app().secret_keys[0])
    status, body = caller.raw("GET", "/v1/auth/jwks/default")
    assert status == 200, body
    assert json.loads(body)["keys"]


def test_edge_cells_hold_connections_and_soak_a_real_server() -> None:
    """The held-connections and soak cells against ``serve``, small: shape, not speed."""
    from bench.connections import measure_held, measure_soak
    from mock_server import MockConfig

    key = MockConfig().secret_key
    held = measure_held(key, 4, 200, lambda message: None)
    assert held["held"] == 200
    assert held["new_verify_ms"]["max"] > 0
    soak = measure_soak(key, 4, 1, lambda message: None)
    assert soak["good"] == soak["bad"] > 0
    assert soak["unexpected"] == 0
    assert len(soak["rss_mib"]) == 11
    shown = render({**_results(), "held": held, "soak": soak})
    assert "RSS per idle connection" in shown
    assert "soak 1 s" in shown
