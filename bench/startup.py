"""Cold start of the fake's production server, and per-test isolation over HTTP.

Cold start: spawn ``python -m mock_server serve`` and poll ``GET /v1/auth/jwks/default`` until
the first 200. Isolation over HTTP: ``POST /_mock/reset`` and ``POST /_mock/apps`` timed from the
client (a keep-alive connection, so the figure includes one loopback round trip).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .client import Http
from .servers import Server, fake_argv, free_port
from .stats import median, summary_ms

READY_PATH = "/v1/auth/jwks/default"
Log = Callable[[str], None]


def cold_start(key: str, threads: int, repeats: int, log: Log) -> tuple[dict[str, Any], Server]:
    """Seconds from spawn to the first 200, ``repeats`` times; the last server is left running."""
    samples: list[float] = []
    server: Server | None = None
    for attempt in range(repeats):
        if server is not None:
            server.stop()
        port = free_port()
        server = Server(fake_argv(port, threads), port)
        samples.append(server.wait_ready(READY_PATH, key))
        log(f"bench: cold start {attempt + 1}/{repeats}: {samples[-1]:.3f} s")
    assert server is not None
    return {"samples_s": [round(s, 4) for s in samples], "median_s": median(samples)}, server


def _timed(call: Callable[[], tuple[int, Any]], repeats: int, what: str) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        status, body = call()
        samples.append(time.perf_counter() - started)
        if status >= 300:
            raise RuntimeError(f"{what} answered {status}: {body}")
    return samples


def http_isolation(server: Server, key: str, repeats: int) -> dict[str, Any]:
    """Reset and fresh app over the control API; ``{"available": False}`` without one."""
    control = Http(server.port)
    api = Http(server.port, key)
    status, _ = control.call("GET", "/_mock/health")
    if status != 200:
        return {"available": False, "reason": f"GET /_mock/health answered {status}"}
    samples: list[float] = []
    for i in range(repeats):
        # A test's worth of state before each reset (not timed): a user with a pending code.
        api.call("POST", "/v1/auth/otps/email/login_or_create", {"email": f"r{i}@bench.test"})
        samples += _timed(lambda: control.call("POST", "/_mock/reset", {}), 1, "reset")
    apps = _timed(lambda: control.call("POST", "/_mock/apps", {}), repeats, "POST /_mock/apps")
    control.close()
    api.close()
    return {"available": True, "reset": summary_ms(samples), "apps": summary_ms(apps)}
