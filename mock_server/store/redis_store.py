"""``redis://host:port/db``: the state in Redis, shared by every process pointed at it (issue 15).

Each ``(app, kind)`` is a hash (key -> JSON) beside a sorted set keeping insertion order, so
lists come oldest first as in memory. A put and a pop are one Lua script each (atomic on the
server: a single-use record is handed to one caller only, whichever process asks).
A compound change is an optimistic transaction (:mod:`.redis_tx`, decision V23): its reads are
checked and its writes applied by one script at the end, and :meth:`RedisBackend.run` runs the
change again when another process wrote what it read meanwhile. No lock is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import redis

from mock_server.errors import ServiceUnavailable

from . import loop_io
from .kv import KvStore
from .redis_loop import LoopConnection, loop_address, open_loop_connection
from .redis_tx import COMMIT, GONE, Transaction, digest

T = TypeVar("T")
PREFIX = "mk:"
SEQUENCE = PREFIX + "seq"  # numbers every kind's insertion order
WAIT_SECONDS = 30  # for a free pooled connection
TRIES = 64  # runs of a change whose reads another process keeps changing (V23)
_BACKOFF = threading.Event()  # never set: a thread's timed wait between two runs
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


def _app_pattern(app: str) -> str:
    """The glob matching every key filed under ``app``."""
    escaped = "".join("\\" + c if c in "*?[]\\" else c for c in app)
    return f"{PREFIX}{escaped}:*"


@dataclass
class _Scope:
    """One run of a change: its transaction, begun at its first ``transaction()`` (V23)."""

    tx: Transaction | None = None


class RedisBackend:
    """A redis-py client (hiredis parser) with the scripts and optimistic transactions.

    The connection pool holds ``connections`` (the server's threads, its event loop and the
    activity flusher); a caller beyond them waits for a free one (decision V4).
    """

    durable = True
    coalesce_activity = True  # last_active_at is written within a second (decision V3)
    remote = True  # each verb is a network round trip: the server answers in threads (V14)

    def __init__(self, url: str, connections: int = 16) -> None:
        pool = redis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=connections, timeout=WAIT_SECONDS
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
        self._commit = self.client.register_script(COMMIT)
        self._local = threading.local()
        # The change this thread, or this call on the loop, is running (each has its own).
        self._scope: ContextVar[_Scope | None] = ContextVar("redis_change", default=None)
        # Calls run on the native server's loop (loop_io) share one connection there (V21).
        self.loop_address = loop_address(pool)
        self._on_loop: LoopConnection | None = None
        self._opening: asyncio.Future[LoopConnection] | None = None

    # --- changes (V23) -----------------------------------------------------------------
    def run(self, change: Callable[[], T]) -> T:
        """``change()`` as one transaction, run again while another process wrote what it
        read before it committed; inside a run already, part of that one.

        The transaction begins at the change's first :meth:`transaction` (what it read before
        is not checked) and lasts to its end; it commits also when the change raises (an
        ``Exception``: a wrong passcode's attempt is counted), and its raise follows.
        """
        if self._scope.get() is not None:
            return change()
        for attempt in range(TRIES):
            scope = _Scope()
            token = self._scope.set(scope)
            failed: Exception | None = None
            try:
                result = change()
            except Exception as error:  # noqa: BLE001 - committed, then raised again
                failed = error
            finally:
                self._scope.reset(token)
            if self._finish(scope.tx):
                if failed is not None:
                    raise failed
                return result
            self._pause(attempt)
        raise ServiceUnavailable(
            f"Another process changed the records of this call {TRIES} times while it ran; "
            "try again"
        )

    @contextmanager
    def _transaction(self) -> Iterator[object]:
        scope = self._scope.get()
        if scope is not None:
            if scope.tx is None:
                scope.tx = Transaction()
            yield self
            return
        scope = _Scope(Transaction())  # outside a run: one try, refused on a conflict
        token = self._scope.set(scope)
        try:
            yield self
        finally:
            self._scope.reset(token)
            if not self._finish(scope.tx):
                raise ServiceUnavailable(
                    "Another process changed the records this change read; try again"
                )

    def transaction(self) -> AbstractContextManager[object]:
        """Begin the run's transaction (:meth:`run`); outside a run, a transaction of its own
        that commits at the block's end or fails with 503 when another process came between."""
        return self._transaction()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Do ``action`` once the running transaction commits (now when none runs): what
        another process must not see of a change run again, a sent message."""
        tx = self._tx()
        if tx is None:
            action()
        else:
            tx.after.append(action)

    def _tx(self) -> Transaction | None:
        scope = self._scope.get()
        return None if scope is None else scope.tx

    def _finish(self, tx: Transaction | None) -> bool:
        """Commit ``tx``: False when a read it made answers differently now (nothing written)."""
        if tx is None:
            return True
        if tx.writes and not self._script(self._commit, *tx.script_args(SEQUENCE), keys=0):
            return False
        for action in tx.after:
            action()
        return True

    def _pause(self, attempt: int) -> None:
        """A short random wait before a change runs again, longer after each conflict."""
        delay = random.uniform(0, 0.0005 * min(attempt + 1, 20))
        if loop_io.can_wait():
            loop_io.wait(asyncio.sleep(delay))
        else:
            _BACKOFF.wait(delay)

    def _read(self, tx: Transaction, hash_name: str, key: str) -> str | None:
        known, value = tx.known(hash_name, key)
        if known:
            return value
        found = cast(str | None, self._direct("HGET", hash_name, key))
        tx.seen(hash_name, key, found)
        return found

    def _list(self, tx: Transaction, app: str, kind: str) -> list[str]:
        """A kind's keys as the transaction sees them (the store's, checked at commit)."""
        order = _order(app, kind)
        stored: list[str] = []
        if not tx.blank(order):
            stored = cast(list[str], self._direct("ZRANGE", order, 0, -1))
            tx.checks += ["K", order, digest(stored)]
        return tx.replay(_hash(app, kind), stored)

    def _list_values(self, tx: Transaction, app: str, kind: str) -> list[str]:
        hash_name, order = _hash(app, kind), _order(app, kind)
        stored: dict[str, str] = {}
        if not tx.blank(hash_name):
            keys = cast(list[str], self._direct("ZRANGE", order, 0, -1))
            found = cast(list[str | None], self._direct("HMGET", hash_name, *keys)) if keys else []
            stored = {k: v for k, v in zip(keys, found, strict=True) if v is not None}
            tx.checks += ["V", hash_name, order, digest([x for kv in stored.items() for x in kv])]
        values = []
        for key in tx.replay(hash_name, list(stored)):
            value = tx.values.get((hash_name, key), stored.get(key))
            if value is not None and value is not GONE:
                values.append(value)
        return values

    def batch(self) -> AbstractContextManager[object]:
        """Nothing: each command is atomic, and the group needs no isolation."""
        return nullcontext()

    # --- the verbs -----------------------------------------------------------------------
    def get(self, app: str, kind: str, key: str) -> str | None:
        tx = self._tx()
        if tx is not None:
            return self._read(tx, _hash(app, kind), key)
        return cast(str | None, self._direct("HGET", _hash(app, kind), key))

    def put(self, app: str, kind: str, key: str, value: str) -> None:
        tx = self._tx()
        if tx is not None:
            tx.put(_hash(app, kind), _order(app, kind), key, value)
            return
        self._script(self._put, _hash(app, kind), _order(app, kind), SEQUENCE, key, value)

    def put_new(self, app: str, kind: str, key: str, value: str) -> str:
        tx = self._tx()
        if tx is not None:
            found = self._read(tx, _hash(app, kind), key)
            if found is None:
                tx.put(_hash(app, kind), _order(app, kind), key, value)
            return value if found is None else found
        keys = (_hash(app, kind), _order(app, kind), SEQUENCE)
        return cast(str, self._script(self._put_new, *keys, key, value))

    def pop(self, app: str, kind: str, key: str) -> str | None:
        tx = self._tx()
        if tx is not None:
            found = self._read(tx, _hash(app, kind), key)
            if found is not None:
                tx.pop(_hash(app, kind), _order(app, kind), key)
            return found
        keys = (_hash(app, kind), _order(app, kind))
        return cast(str | None, self._script(self._pop, *keys, key, keys=2))

    def get_via(self, app: str, index: str, kind: str, key: str) -> str | None:
        tx = self._tx()
        if tx is not None:
            target = self._read(tx, _hash(app, index), key)
            return None if target is None else self._read(tx, _hash(app, kind), target)
        keys = (_hash(app, index), _hash(app, kind))
        return cast(str | None, self._script(self._via, *keys, key, keys=2))

    def get_via_with(
        self, app: str, index: str, kind: str, key: str, field: str, other: str
    ) -> tuple[str | None, str | None]:
        """:meth:`get_via`, and the ``other`` value its text field ``field`` names (the first
        ``"field":"…"`` in its JSON: a top-level id before any nested record), in one trip."""
        tx = self._tx()
        if tx is not None:
            value = self.get_via(app, index, kind, key)
            ref = None if value is None else re.search(f'"{re.escape(field)}":"([^"\\\\]*)"', value)
            return value, None if ref is None else self._read(tx, _hash(app, other), ref[1])
        keys = [_hash(app, index), _hash(app, kind), _hash(app, other)]
        found = self._script(self._via_with, *keys, key, field)
        return found[0], found[1]

    def _direct(self, *args: Any) -> Any:
        """One command on this thread's own connection, without the pool's and the retry
        machinery (the hot path's reads: V6); a broken connection is retried through the pool.
        The connection is the thread's for its life, outside the pool (V4), closed with it.

        A call on the native server's loop (:mod:`loop_io`) sends it on the loop's connection
        instead and steps aside until the reply comes (V21)."""
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
        (a call on the loop: V21; no lock is held across a transaction, V23)."""
        return self.loop_address is not None and loop_io.can_wait()

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
        tx = self._tx()
        if tx is None:
            return cast(list[str | None], self._direct("HMGET", _hash(app, kind), *keys))
        hash_name = _hash(app, kind)
        unread = [key for key in dict.fromkeys(keys) if not tx.known(hash_name, key)[0]]
        if unread:
            found = cast(list[str | None], self._direct("HMGET", hash_name, *unread))
            for key, value in zip(unread, found, strict=True):
                tx.seen(hash_name, key, value)
        return [tx.known(hash_name, key)[1] for key in keys]

    def put_if(self, app: str, kind: str, key: str, expected: str, value: str) -> bool:
        tx = self._tx()
        if tx is not None:
            if self._read(tx, _hash(app, kind), key) != expected:
                return False
            tx.put(_hash(app, kind), _order(app, kind), key, value)
            return True
        return bool(self._script(self._put_if, _hash(app, kind), key, expected, value, keys=1))

    def put_if_many(self, app: str, kind: str, changes: list[tuple[str, str, str]]) -> list[bool]:
        """:meth:`put_if` of each ``(key, expected, value)``, in one round trip (on the loop's
        connection, the call stepping aside, when :meth:`steps_aside`)."""
        if self._tx() is not None:
            return [self.put_if(app, kind, key, old, new) for key, old, new in changes]
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
        """Numbered and stored at once, also inside a transaction (the journal's entries)."""
        keys = [_hash(app, kind), _order(app, kind), f"{PREFIX}counter:{counter}", SEQUENCE]
        return int(self._script(self._append, *keys, head, tail, keep, TRIM_EVERY, keys=4))

    def keys(self, app: str, kind: str) -> list[str]:
        tx = self._tx()
        if tx is not None:
            return self._list(tx, app, kind)
        return cast(list[str], self._direct("ZRANGE", _order(app, kind), 0, -1))

    def first_keys(self, app: str, kind: str, count: int) -> list[str]:
        if self._tx() is not None:
            return self.keys(app, kind)[:count]
        return cast(list[str], self._direct("ZRANGE", _order(app, kind), 0, count - 1))

    def incr(self, name: str) -> int:
        """At once, also inside a transaction: a change run again takes another number."""
        return int(self._direct("INCR", f"{PREFIX}counter:{name}"))

    def values(self, app: str, kind: str) -> list[str]:
        tx = self._tx()
        if tx is not None:
            return self._list_values(tx, app, kind)
        keys = self.keys(app, kind)
        if not keys:
            return []
        found = cast(list[str | None], self._direct("HMGET", _hash(app, kind), *keys))
        return [v for v in found if v is not None]

    def count(self, app: str | None, kind: str) -> int:
        if app is None:
            return sum(self.count(a, kind) for a in self.keys("", "app"))
        if self._tx() is not None:
            return len(self.keys(app, kind))
        return int(self._direct("HLEN", _hash(app, kind)))

    def clear(self, app: str) -> None:
        tx = self._tx()
        if tx is not None:
            tx.clear(f"{PREFIX}{app}:", _app_pattern(app))
            return
        names = list(self.client.scan_iter(match=_app_pattern(app), count=1000))
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
