"""The Redis backend on the native server's loop (decision V21), against a real redis-server:
calls share the loop's connection and step aside while Redis answers, inside a transaction too
(it holds no lock: V23); errors are redis-py's; a lost connection fails its calls and is opened
again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from mock_server.store import loop_io
from mock_server.store.redis_store import RedisBackend
from tests.helpers import run_spawned

APP = "app_loop"


@pytest.fixture
def backend(redis_base: str) -> Iterator[RedisBackend]:
    """A backend on database 3 of the tests' redis-server, emptied first."""
    url = redis_base + "/3"
    plain = redis.Redis.from_url(url)
    plain.flushdb()
    plain.close()
    opened = RedisBackend(url)
    yield opened
    opened.close()


@pytest.fixture
def loop(backend: RedisBackend) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop; the backend leaves it, as the native server's stop does, before
    it closes."""
    created = asyncio.new_event_loop()
    yield created
    backend.leave_loop()
    created.run_until_complete(asyncio.sleep(0))  # the transport closes its socket
    created.close()


def test_calls_on_the_loop_share_one_connection_and_interleave(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop
) -> None:
    backend.put(APP, "kind", "k", "v")
    order: list[str] = []

    def read(n: int) -> list[str | None]:
        order.append(f"{n} asks")
        found = backend.get_many(APP, "kind", ["k", "missing"])
        order.append(f"{n} has")
        return found

    assert run_spawned(loop, *[(read, n) for n in range(4)]) == [["v", None]] * 4
    assert order[:4] == [f"{n} asks" for n in range(4)]  # each stepped aside for its reply
    on_three = [c for c in backend.client.client_list() if str(c["db"]) == "3"]
    # the loop's one, the test thread's own (its put), the pool's (this listing): not one a call
    assert len(on_three) <= 3


def test_the_loop_connection_uses_the_urls_database(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop, redis_base: str
) -> None:
    seq = run_spawned(loop, (backend.append, APP, "entry", "c", '{"seq":', ',"x":1}', 10))
    assert seq == [1]
    on_three = redis.Redis.from_url(redis_base + "/3", decode_responses=True)
    assert on_three.hvals(f"mk:{APP}:entry") == ['{"seq":1,"x":1}']
    on_three.close()


def test_a_flushed_script_is_loaded_again_on_the_loop(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop
) -> None:
    append = (backend.append, APP, "entry", "c", '{"seq":', "}", 10)
    assert run_spawned(loop, append) == [1]
    backend.client.script_flush()
    assert run_spawned(loop, append) == [2]


def test_a_call_in_a_transaction_steps_aside_and_both_commit(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop
) -> None:
    order: list[str] = []

    def compound(key: str) -> None:
        def change() -> None:
            with backend.transaction():
                order.append(f"{key} in")
                if backend.get(APP, "kind", key) is None:
                    backend.put(APP, "kind", key, "made")
                order.append(f"{key} out")

        backend.run(change)

    assert run_spawned(loop, (compound, "a"), (compound, "b")) == [None, None]
    assert order == ["a in", "b in", "a out", "b out"]
    assert backend.get_many(APP, "kind", ["a", "b"]) == ["made", "made"]


def test_a_lost_connection_fails_its_calls_and_the_next_one_reconnects(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop
) -> None:
    def block() -> Any:
        return backend._direct("BLPOP", "mk:never", 10)

    def kill_others() -> None:
        killer: Any = redis.Redis(connection_pool=backend.client.connection_pool)
        mine = killer.client_id()
        for client in killer.client_list():
            if int(client["id"]) != mine:
                killer.client_kill_filter(_id=client["id"])

    async def main() -> Any:
        blocked = loop_io.spawn(loop, block)
        await asyncio.sleep(0.2)
        await loop.run_in_executor(None, kill_others)
        return await asyncio.gather(blocked, return_exceptions=True)

    (failed,) = loop.run_until_complete(main())
    assert isinstance(failed, redis.ConnectionError)
    backend.put(APP, "kind", "k", "back")
    assert run_spawned(loop, (backend.get_many, APP, "kind", ["k"])) == [["back"]]


def test_an_error_reply_is_redis_pys_exception(
    backend: RedisBackend, loop: asyncio.AbstractEventLoop
) -> None:
    backend.client.set("mk:text", "x")
    (error,) = run_spawned(loop, (backend._direct, "HGET", "mk:text", "field"))
    assert isinstance(error, redis.ResponseError)
    assert "WRONGTYPE" in str(error)
