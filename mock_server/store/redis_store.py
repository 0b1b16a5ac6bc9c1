"""``redis://host:port/db``: the state in Redis, shared by every process pointed at it (issue 15).

Each ``(app, kind)`` is a hash (key -> JSON) beside a sorted set keeping insertion order, so
lists come oldest first as in memory. A put and a pop are one Lua script each (atomic on the
server: a single-use record is handed to one caller only, whichever process asks).
:meth:`RedisBackend.transaction` is a lock in Redis (``SET NX PX``, re-entrant within a thread)
held across a compound change, so two processes never interleave one; it expires on its own if
its holder is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, cast

import redis

from . import loop_io
from .kv import KvStore
from .redis_loop import LoopConnection, loop_address, open_loop_connection

PREFIX = "mk:"
LOCK_KEY = PREFIX + "lock"
LOCK_SECONDS = 30
TRIM_EVERY = 64  # an appended kind's oldest are removed this many at a time, as on SQLite (V15)
_PUT = """
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
"""
_PUT_NEW = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
return redis.call('HGET', KEYS[1], ARGV[1])
"""
_POP = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return value
"""


_VIA = """
local target = redis.call('HGET', KEYS[1], ARGV[1])
if not target then return false end
return redis.call('HGET', KEYS[2], target)
"""
_VIA_WITH = """
local target = redis.call('HGET', KEYS[1], ARGV[1])
if not target then return {false, false} end
local value = redis.call('HGET', KEYS[2], target)
if not value then return {false, false} end
local ref = string.match(value, '"' .. ARGV[2] .. '":"([^"\\\\]*)"')
if not ref then return {value, false} end
return {value, redis.call('HGET', KEYS[3], ref)}
"""
_PUT_IF = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""
_APPEND = """
local seq = redis.call('INCR', KEYS[3])
local key = string.format('%015d', seq)
redis.call('HSET', KEYS[1], key, ARGV[1] .. seq .. ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), key)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over >= tonumber(ARGV[4]) then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return seq
"""


class _Held:
    """A thread's own connection, closed when the thread (and so its local) ends."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.pid = conn, os.getpid()

    def __del__(self) -> None:
        if self.pid == os.getpid():  # a forked child leaves its parent's socket alone
            self.conn.disconnect()


def _hash(app: str, kind: str) -> str:
    return f"{PREFIX}{app}:{kind}"


def _order(app: str, kind: str) -> str:
    return f"{PREFIX}{app}:{kind}#order"


class RedisBackend:
    """A redis-py client (hiredis parser) with the scripts and the cross-process lock.

    The connection pool holds ``connections`` (the server's threads, its event loop and the
    activity flusher); a caller beyond them waits for a free one (decision V4).
    """

    durable = True
    coalesce_activity = True  # last_active_at is written within a second (decision V3)
    remote = True  # each verb is a network round trip: the server answers in threads (V14)

    def __init__(self, url: str, connections: int = 16) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=connections, timeout=LOCK_SECONDS
        )
        self.client: Any = redis.Redis(connection_pool=pool)
        try:
            self.client.ping()
        except redis.RedisError as error:
            raise ValueError(f"--store {url}: cannot reach Redis: {error}") from None
        self._put = self.client.register_script(_PUT)
        self._put_new = self.client.register_script(_PUT_NEW)
        self._pop = self.client.register_script(_POP)
        self._via = self.client.register_script(_VIA)
        self._put_if = self.client.register_script(_PUT_IF)
        self._via_with = self.client.register_script(_VIA_WITH)
        self._append = self.client.register_script(_APPEND)
        self._local = threading.local()
        self._process = threading.RLock()
        # The transaction depth of this thread, or of this call on the loop (each has its own).
        self._depth: ContextVar[int] = ContextVar("redis_transaction_depth", default=0)
        # Calls run on the native server's loop (loop_io) share one connection there (V21).
        self.loop_address = loop_address(pool)
        self._on_loop: LoopConnection | None = None
        self._opening: asyncio.Future[LoopConnection] | None = None

    @contextmanager
    def _tx(self) -> Iterator[object]:
        depth = self._depth.get()
        if depth:
            token = self._depth.set(depth + 1)
            try:
                yield self
            finally:
                self._depth.reset(token)
            return
        with self._process:  # threads of this process queue here, not on the server
            lock = self.client.lock(
                LOCK_KEY, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS, sleep=0.0005
            )
            if not lock.acquire():
                raise TimeoutError("the Redis store's lock was held for too long")
            token = self._depth.set(1)  # inside, a call on the loop never steps aside (V21)
            try:
                yield self
            finally:
                self._depth.reset(token)
                lock.release()

    def transaction(self) -> AbstractContextManager[object]:
        """The cross-process lock, re-entrant within a thread."""
        return self._tx()

    def batch(self) -> AbstractContextManager[object]:
        """Nothing: each command is atomic, and the group needs no lock."""
        return nullcontext()

    def get(self, app: str, kind: str, key: str) -> str | None:
        return cast(str | None, self.client.hget(_hash(app, kind), key))

    def put(self, app: str, kind: str, key: str, value: str) -> None:
        keys = [_hash(app, kind), _order(app, kind), PREFIX + "seq"]
        self._put(keys=keys, args=[key, value])

    def put_new(self, app: str, kind: str, key: str, value: str) -> str:
        keys = [_hash(app, kind), _order(app, kind), PREFIX + "seq"]
        return cast(str, self._put_new(keys=keys, args=[key, value]))

    def pop(self, app: str, kind: str, key: str) -> str | None:
        return cast(str | None, self._pop(keys=[_hash(app, kind), _order(app, kind)], args=[key]))

    def get_via(self, app: str, index: str, kind: str, key: str) -> str | None:
        return cast(str | None, self._via(keys=[_hash(app, index), _hash(app, kind)], args=[key]))

    def get_via_with(
        self, app: str, index: str, kind: str, key: str, field: str, other: str
    ) -> tuple[str | None, str | None]:
        """:meth:`get_via`, and the ``other`` value its text field ``field`` names (the first
        ``"field":"…"`` in its JSON: a top-level id before any nested record), in one trip."""
        keys = [_hash(app, index), _hash(app, kind), _hash(app, other)]
        found = self._script(self._via_with, *keys, key, field)
        return found[0], found[1]

    def _direct(self, *args: Any) -> Any:
        """One command on this thread's own connection, without the pool's and the retry
        machinery (the hot path's reads: V6); a broken connection is retried through the pool.
        The connection is the thread's for its life, outside the pool (V4), closed with it.

        A call on the native server's loop (:mod:`loop_io`) outside a transaction sends it on
        the loop's connection instead and steps aside until the reply comes (V21)."""
        if self.steps_aside():
            return self._on_loop_call(args)
        held: _Held | None = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():
            pool = self.client.connection_pool
            held = _Held(pool.connection_class(**pool.connection_kwargs))
            self._local.held = held
        conn = held.conn
        try:
            conn.send_command(*args)
            return conn.read_response()
        except (redis.ConnectionError, redis.TimeoutError):
            conn.disconnect()
            return self.client.execute_command(*args)

    def steps_aside(self) -> bool:
        """Whether a command sent now goes on the loop's connection, the call stepping aside
        (a call on the loop, outside a transaction: V21)."""
        return self.loop_address is not None and not self._depth.get() and loop_io.can_wait()

    def _on_loop_call(self, args: tuple[Any, ...]) -> Any:
        return loop_io.wait(self._loop_connection().call(args))

    def _loop_connection(self) -> LoopConnection:
        connection = self._on_loop
        if connection is None or connection.lost or connection.pid != os.getpid():
            connection = self._open_on_loop(self.loop_address)
        return connection

    def _open_on_loop(self, address: dict[str, Any] | None) -> LoopConnection:
        """The loop's connection, opened once however many calls ask for it meanwhile."""
        opening = self._opening
        if opening is None:
            opening = asyncio.ensure_future(open_loop_connection(address))
            self._opening = opening
        try:
            connection = loop_io.wait(opening)
        finally:
            if self._opening is opening:
                self._opening = None
        self._on_loop = connection
        return connection

    def _script(self, script: Any, *keys_and_args: Any, keys: int = 3) -> Any:
        """``EVALSHA`` of a registered script on the thread's connection (loaded on NOSCRIPT)."""
        try:
            return self._direct("EVALSHA", script.sha, keys, *keys_and_args)
        except redis.exceptions.NoScriptError:
            self.client.script_load(script.script)
            return self._direct("EVALSHA", script.sha, keys, *keys_and_args)

    def get_many(self, app: str, kind: str, keys: list[str]) -> list[str | None]:
        return cast(list[str | None], self._direct("HMGET", _hash(app, kind), *keys))

    def put_if(self, app: str, kind: str, key: str, expected: str, value: str) -> bool:
        return bool(self._put_if(keys=[_hash(app, kind)], args=[key, expected, value]))

    def put_if_many(self, app: str, kind: str, changes: list[tuple[str, str, str]]) -> list[bool]:
        """:meth:`put_if` of each ``(key, expected, value)``, in one round trip (on the loop's
        connection, the call stepping aside, when :meth:`steps_aside`)."""
        for _ in range(2):
            commands = [
                ("EVALSHA", self._put_if.sha, 1, _hash(app, kind), key, expected, value)
                for key, expected, value in changes
            ]
            try:
                if self.steps_aside():
                    connection = self._loop_connection()
                    replies = [connection.call(command) for command in commands]
                    return [bool(done) for done in loop_io.wait(asyncio.gather(*replies))]
                pipe = self.client.pipeline(transaction=False)
                for command in commands:
                    pipe.execute_command(*command)
                return [bool(done) for done in pipe.execute()]
            except redis.exceptions.NoScriptError:  # the server's scripts were flushed
                self.client.script_load(_PUT_IF)
        raise redis.exceptions.NoScriptError("the compare-and-set script cannot be loaded")

    def append(self, app: str, kind: str, counter: str, head: str, tail: str, keep: int) -> int:
        keys = [_hash(app, kind), _order(app, kind), f"{PREFIX}counter:{counter}", PREFIX + "seq"]
        return int(self._script(self._append, *keys, head, tail, keep, TRIM_EVERY, keys=4))

    def keys(self, app: str, kind: str) -> list[str]:
        return cast(list[str], self.client.zrange(_order(app, kind), 0, -1))

    def first_keys(self, app: str, kind: str, count: int) -> list[str]:
        return cast(list[str], self.client.zrange(_order(app, kind), 0, count - 1))

    def incr(self, name: str) -> int:
        return int(self.client.incr(f"{PREFIX}counter:{name}"))

    def values(self, app: str, kind: str) -> list[str]:
        keys = self.keys(app, kind)
        if not keys:
            return []
        found = self.client.hmget(_hash(app, kind), keys)
        return [v for v in found if v is not None]

    def count(self, app: str | None, kind: str) -> int:
        if app is not None:
            return int(self.client.hlen(_hash(app, kind)))
        apps = self.keys("", "app")
        return sum(int(self.client.hlen(_hash(a, kind))) for a in apps)

    def clear(self, app: str) -> None:
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in app)
        pattern = f"{PREFIX}{escaped}:*"
        names = list(self.client.scan_iter(match=pattern, count=1000))
        if names:
            self.client.delete(*names)

    def leave_loop(self) -> None:
        """Close the loop's connection (the native server, before it closes its loop)."""
        connection, self._on_loop = self._on_loop, None
        if connection is not None and connection.pid == os.getpid():
            with contextlib.suppress(RuntimeError):  # its loop is closed already
                connection.close()

    def close(self) -> None:
        self.leave_loop()
        self.client.close()


class RedisStore(KvStore):
    """The :class:`~mock_server.store.Store` verbs in a Redis database."""

    def __init__(self, url: str, connections: int = 16) -> None:
        super().__init__(RedisBackend(url, connections))
