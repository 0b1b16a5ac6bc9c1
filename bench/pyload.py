"""The fallback load generator: threads, one keep-alive ``http.client`` connection each.

Used only when wrk cannot be installed; its figures are labelled ``python-threads`` because a
Python client on the same cores steals CPU from the server and inflates latencies.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .client import HOST
from .load import LoadResult, Req
from .stats import percentile

GENERATOR = "python-threads (fallback)"


@dataclass
class _Feed:
    """Hands out requests round-robin, or each once (``consume``), until the deadline."""

    requests: Sequence[Req]
    consume: bool
    deadline: float
    index: int = 0
    exhausted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> Req | None:
        if time.perf_counter() >= self.deadline:
            return None
        with self.lock:
            if self.index >= len(self.requests):
                if self.consume:
                    self.exhausted = True
                    return None
                self.index = 0
            self.index += 1
            return self.requests[self.index - 1]


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    last: float = 0.0


def _worker(port: int, headers: dict[str, str], feed: _Feed, tally: _Tally) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    while (req := feed.next()) is not None:
        started = time.perf_counter()
        try:
            conn.request(req.method, req.path, body=req.body or None, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            tally.errors += 1
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            continue
        tally.last = time.perf_counter()
        tally.latencies.append(tally.last - started)
        if 200 <= response.status < 300:
            tally.ok += 1
        else:
            tally.errors += 1
    conn.close()


def run_python(
    port: int, key: str, requests: Sequence[Req], *, connections: int, seconds: float, consume: bool
) -> LoadResult:
    """Replay ``requests`` on ``connections`` threads for at most ``seconds``."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    started = time.perf_counter()
    feed = _Feed(requests, consume, started + seconds)
    tallies = [_Tally() for _ in range(connections)]
    workers = [
        threading.Thread(target=_worker, args=(port, headers, feed, t), daemon=True)
        for t in tallies
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    ended = max((t.last for t in tallies), default=started)
    latencies = [x for t in tallies for x in t.latencies]
    return LoadResult(
        generator=GENERATOR,
        connections=connections,
        seconds=max(ended - started, 1e-9),
        requests=len(latencies),
        ok=sum(t.ok for t in tallies),
        errors=sum(t.errors for t in tallies),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        exhausted=feed.exhausted,
    )
