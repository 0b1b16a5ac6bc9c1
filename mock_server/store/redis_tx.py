"""Optimistic transactions on Redis (decision V23): reads remembered, writes held, one script.

Inside a transaction each read goes to Redis as usual and its answer is remembered; each write
is held in the process, and later reads of the transaction see it. At the end one Lua script
(atomic on the server) checks that every remembered read would answer the same now and, if so,
applies the writes; otherwise nothing is written and the caller runs the change again on what
the store holds now (:meth:`~mock_server.store.redis_store.RedisBackend.run`). No lock is
taken, so a killed process leaves nothing held, and two changes wait for each other only when
one read what the other wrote.

A read of a list (a kind's keys or values; its oldest keys and its size are read as its keys)
is remembered as a digest the script computes again the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

GONE: Any = object()  # a value this transaction removed

# ARGV[1] is the insertion counter (the order of a kind), then the checks, then the writes.
COMMIT = """
local function digest(items)
  local parts = {}
  for j, item in ipairs(items) do parts[j] = #item .. ':' .. item end
  return redis.sha1hex(table.concat(parts, ','))
end
local function pairs_of(hash, order)
  local items = {}
  for _, key in ipairs(redis.call('ZRANGE', order, 0, -1)) do
    local value = redis.call('HGET', hash, key)
    if value then items[#items + 1] = key; items[#items + 1] = value end
  end
  return items
end
local i, n = 2, #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'H' then
    if redis.call('HGET', ARGV[i + 1], ARGV[i + 2]) ~= ARGV[i + 3] then return 0 end
    i = i + 4
  elseif op == 'N' then
    if redis.call('HEXISTS', ARGV[i + 1], ARGV[i + 2]) == 1 then return 0 end
    i = i + 3
  elseif op == 'K' then
    if digest(redis.call('ZRANGE', ARGV[i + 1], 0, -1)) ~= ARGV[i + 2] then return 0 end
    i = i + 3
  elseif op == 'V' then
    if digest(pairs_of(ARGV[i + 1], ARGV[i + 2])) ~= ARGV[i + 3] then return 0 end
    i = i + 4
  else
    break
  end
end
while i <= n do
  local op = ARGV[i]
  if op == 'P' then
    if redis.call('HSET', ARGV[i + 1], ARGV[i + 3], ARGV[i + 4]) == 1 then
      redis.call('ZADD', ARGV[i + 2], redis.call('INCR', ARGV[1]), ARGV[i + 3])
    end
    i = i + 5
  elseif op == 'D' then
    redis.call('HDEL', ARGV[i + 1], ARGV[i + 3])
    redis.call('ZREM', ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'X' then
    local cursor = '0'
    repeat
      local found = redis.call('SCAN', cursor, 'MATCH', ARGV[i + 1], 'COUNT', 1000)
      cursor = found[1]
      for _, name in ipairs(found[2]) do redis.call('DEL', name) end
    until cursor == '0'
    i = i + 2
  else
    return redis.error_reply('unknown transaction step ' .. tostring(op))
  end
end
return 1
"""


def digest(items: list[str]) -> str:
    """What the script's ``digest`` answers for ``items`` (lengths in bytes, as Lua counts)."""
    parts = (f"{len(item.encode())}:{item}" for item in items)
    return hashlib.sha1(",".join(parts).encode(), usedforsecurity=False).hexdigest()


class Transaction:
    """One change's remembered reads and held writes.

    ``values`` is what the change sees of single values: each as first read, or as it wrote
    it (:data:`GONE` when removed); ``cleared`` are the hash prefixes it cleared (nothing it
    did not write again is read under them); ``listed`` the writes of each kind in order,
    replayed over a list read from the store.
    """

    def __init__(self) -> None:
        self.checks: list[str] = []
        self.writes: list[str] = []
        self.values: dict[tuple[str, str], Any] = {}
        self.cleared: list[str] = []
        self.listed: dict[str, list[tuple[bool, str]]] = {}
        self.after: list[Callable[[], None]] = []

    def blank(self, name: str) -> bool:
        """Whether ``name`` (a hash or an order) lies under a prefix this change cleared."""
        return any(name.startswith(prefix) for prefix in self.cleared)

    def seen(self, hash_name: str, key: str, value: str | None) -> None:
        """Remember a value read from the store (checked at commit)."""
        self.values[(hash_name, key)] = GONE if value is None else value
        if value is None:
            self.checks += ["N", hash_name, key]
        else:
            self.checks += ["H", hash_name, key, value]

    def known(self, hash_name: str, key: str) -> tuple[bool, str | None]:
        """``(True, value)`` when the change has seen or written the value, or need not read
        it (cleared); ``(False, None)`` when it must be read from the store."""
        found = self.values.get((hash_name, key))
        if found is None:
            return (True, None) if self.blank(hash_name) else (False, None)
        return True, None if found is GONE else found

    def put(self, hash_name: str, order: str, key: str, value: str) -> None:
        self.values[(hash_name, key)] = value
        self.writes += ["P", hash_name, order, key, value]
        self.listed.setdefault(hash_name, []).append((True, key))

    def pop(self, hash_name: str, order: str, key: str) -> None:
        self.values[(hash_name, key)] = GONE
        self.writes += ["D", hash_name, order, key]
        self.listed.setdefault(hash_name, []).append((False, key))

    def clear(self, prefix: str, pattern: str) -> None:
        """Remove every key under ``prefix`` (matched in Redis by the glob ``pattern``)."""
        self.writes += ["X", pattern]
        self.cleared.append(prefix)
        for name, key in list(self.values):
            if name.startswith(prefix):
                del self.values[(name, key)]
        for name in [n for n in self.listed if n.startswith(prefix)]:
            del self.listed[name]

    def replay(self, hash_name: str, keys: list[str]) -> list[str]:
        """A kind's keys in order once this change's writes to it are applied."""
        result = list(keys)
        for added, key in self.listed.get(hash_name, ()):
            if added and key not in result:
                result.append(key)
            elif not added and key in result:
                result.remove(key)
        return result

    def script_args(self, sequence: str) -> list[str]:
        return [sequence, *self.checks, *self.writes]
