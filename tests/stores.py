"""The three store engines for tests: a SQLite file per test, a Redis server per test process.

``store_url`` (tests/conftest.py) is ``memory://`` unless ``MOONKEY_TEST_STORE`` names
``sqlite`` or ``redis``, so the whole suite can run against any engine; ``tests/api/
test_stores.py`` and ``tests/unit/test_store*.py`` run against all three every time. Redis is
Debian's ``redis-server``, started here on a free loopback port without persistence.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

ENGINES = ("memory", "sqlite", "redis")
TIMEOUT = 20


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis(folder: Path) -> Iterator[str]:
    """A throw-away ``redis-server`` on loopback; yields its base URL ``redis://127.0.0.1:P``."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(TIMEOUT * 100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError("redis-server exited at start") from None
                threading.Event().wait(0.01)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=TIMEOUT)


def url_for(engine: str, tmp_path: Path, redis_base: str | None) -> str:
    """A fresh, empty store URL of ``engine`` for one test."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    if engine == "redis":
        assert redis_base is not None
        client = redis.Redis.from_url(redis_base + "/0")
        client.flushdb()
        client.close()
        return redis_base + "/0"
    return "memory://"
