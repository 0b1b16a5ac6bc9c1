"""``--store URL``: which engine holds the state, parsed once and opened at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from . import Store

SCHEMES = ("memory", "sqlite", "redis")
EXAMPLES = "memory://, sqlite:///path/to/file.db or redis://host:port/db"


@dataclass(frozen=True)
class StoreUrl:
    """A parsed store URL: the scheme and what the engine needs from the rest."""

    scheme: str
    url: str
    path: str = ""  # sqlite: the database file

    @property
    def shared(self) -> bool:
        """Whether several processes can serve this store at once."""
        return self.scheme != "memory"


def parse_store_url(url: str) -> StoreUrl:
    """A :class:`StoreUrl`; ValueError with a one-line reason for anything else."""
    text = url.strip()
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme not in SCHEMES:
        raise ValueError(f"--store {url!r}: unknown store, expected {EXAMPLES}")
    if scheme == "memory":
        if text.lower() != "memory://":
            raise ValueError(f"--store {url!r}: memory:// takes nothing after the scheme")
        return StoreUrl("memory", "memory://")
    if scheme == "sqlite":
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise ValueError(
                f"--store {url!r}: give a file, sqlite:///relative.db or sqlite:////abs/path.db"
            )
        return StoreUrl("sqlite", text, path=path[1:])
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError as error:
        raise ValueError(f"--store {url!r}: {error}") from None
    if not parts.hostname:
        raise ValueError(f"--store {url!r}: name the server, redis://host:port/db")
    database = parts.path.strip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"--store {url!r}: the database must be a number, got {database!r}")
    return StoreUrl("redis", text)


def open_store(url: str, concurrency: int = 8) -> Store:
    """The engine of ``url``, opened (and checked: an unreachable server is a ValueError).

    ``concurrency``: the server's threads; a Redis pool holds that many connections and a
    few more (the event loop, the activity flusher, a lock's holder; decision V4).
    """
    parsed = parse_store_url(url)
    if parsed.scheme == "sqlite":
        from mock_server.store.sqlite_store import SqliteStore

        return SqliteStore(parsed.path)
    if parsed.scheme == "redis":
        from mock_server.store.redis_store import RedisStore

        return RedisStore(parsed.url, concurrency + 4)
    from mock_server.store.memory import InMemoryStore

    return InMemoryStore()
