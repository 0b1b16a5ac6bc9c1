"""``sqlite:///file.db``: the state in one SQLite file, written through (issue 15).

WAL mode; every change is committed before the call that made it returns, so an answer is
sent only for state on disk and ``kill -9`` loses nothing acknowledged. :meth:`atomic` is a
``BEGIN IMMEDIATE`` transaction (exclusive among threads and processes, re-entrant within a
thread). The schema is versioned in ``PRAGMA user_version``; :data:`MIGRATIONS` takes an older
file to the current version at open, and a file from a newer version is refused.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from .kv import KvStore

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
# Version n's statements take a file at version n - 1 to version n.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        # rowid order is insertion order (an upsert keeps the row): lists come oldest first
        "CREATE TABLE records (app TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " value TEXT NOT NULL, PRIMARY KEY (app, kind, key))",
    ),
}


class SqliteBackend:
    """One connection per process, serialized by a re-entrant lock."""

    durable = True

    def __init__(self, path: str) -> None:
        self.path = path
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise ValueError(f"--store sqlite: no directory {folder} for {path}")
        try:
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit is in the log before COMMIT returns; a killed process loses
            # nothing committed (only a power cut can lose the last commits).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as error:
            raise ValueError(f"--store sqlite: cannot open {path}: {error}") from None
        self._lock = threading.RLock()
        self._depth = 0
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction():
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise ValueError(
                    f"--store sqlite: {self.path} has schema version {version}, newer than this "
                    f"moonkey-mock's {SCHEMA_VERSION}: upgrade moonkey-mock"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={step}")

    @contextmanager
    def _tx(self) -> Iterator[object]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
                if outer:
                    # Committed even when the block raised: changes made before an error stand,
                    # exactly as in the in-memory store (an OTP's failed attempt is counted).
                    self._db.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[object]:
        """A re-entrant ``BEGIN IMMEDIATE`` … ``COMMIT``."""
        return self._tx()

    def batch(self) -> AbstractContextManager[object]:
        """One transaction: one commit for the group."""
        return self._tx()

    def get(self, app: str, kind: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM records WHERE app=? AND kind=? AND key=?", (app, kind, key)
            ).fetchone()
        return None if row is None else str(row[0])

    def put(self, app: str, kind: str, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO records VALUES (?, ?, ?, ?)"
                " ON CONFLICT (app, kind, key) DO UPDATE SET value=excluded.value",
                (app, kind, key, value),
            )

    def put_new(self, app: str, kind: str, key: str, value: str) -> str:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?)", (app, kind, key, value)
            )
            found = self.get(app, kind, key)
        return value if found is None else found

    def pop(self, app: str, kind: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "DELETE FROM records WHERE app=? AND kind=? AND key=? RETURNING value",
                (app, kind, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def get_via(self, app: str, index: str, kind: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT r.value FROM records i JOIN records r ON r.app=i.app AND r.kind=?"
                " AND r.key=i.value WHERE i.app=? AND i.kind=? AND i.key=?",
                (kind, app, index, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def get_many(self, app: str, kind: str, keys: list[str]) -> list[str | None]:
        return [self.get(app, kind, key) for key in keys]

    def put_if(self, app: str, kind: str, key: str, expected: str, value: str) -> bool:
        with self._lock:
            done = self._db.execute(
                "UPDATE records SET value=? WHERE app=? AND kind=? AND key=? AND value=?",
                (value, app, kind, key, expected),
            )
            return done.rowcount == 1

    def append(self, app: str, kind: str, counter: str, head: str, tail: str, keep: int) -> int:
        with self.transaction():
            seq = self.incr(counter)
            self.put(app, kind, f"{seq:015d}", f"{head}{seq}{tail}")
            over = self.count(app, kind) - keep
            if over > 0:
                self._db.execute(
                    "DELETE FROM records WHERE rowid IN (SELECT rowid FROM records WHERE app=?"
                    " AND kind=? ORDER BY rowid LIMIT ?)",
                    (app, kind, over),
                )
        return seq

    def values(self, app: str, kind: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT value FROM records WHERE app=? AND kind=? ORDER BY rowid", (app, kind)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def keys(self, app: str, kind: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM records WHERE app=? AND kind=? ORDER BY rowid", (app, kind)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def first_keys(self, app: str, kind: str, count: int) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM records WHERE app=? AND kind=? ORDER BY rowid LIMIT ?",
                (app, kind, count),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def incr(self, name: str) -> int:
        with self.transaction():
            row = self._db.execute(
                "INSERT INTO records VALUES ('', 'counter', ?, '1') ON CONFLICT (app, kind, key)"
                " DO UPDATE SET value=CAST(value AS INTEGER) + 1 RETURNING value",
                (name,),
            ).fetchone()
        return int(row[0])

    def count(self, app: str | None, kind: str) -> int:
        with self._lock:
            if app is None:
                row = self._db.execute("SELECT count(*) FROM records WHERE kind=?", (kind,))
            else:
                row = self._db.execute(
                    "SELECT count(*) FROM records WHERE app=? AND kind=?", (app, kind)
                )
            return int(row.fetchone()[0])

    def clear(self, app: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records WHERE app=?", (app,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SqliteStore(KvStore):
    """The :class:`~mock_server.store.Store` verbs in one SQLite file."""

    def __init__(self, path: str) -> None:
        super().__init__(SqliteBackend(path))
