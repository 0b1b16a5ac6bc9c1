"""``sqlite:///file.db``: the state in one SQLite file, written through (issue 15).

WAL mode; every change is committed before the call that made it returns, so an answer is
sent only for state on disk and ``kill -9`` loses nothing acknowledged, except a verify's
activity, written within half a second (V3, V15). Each process has one writer connection, used
by one thread at a time, and a reader connection per thread: in WAL mode a read sees the last
commit and is never blocked by a write, in this process or another (docs/decisions.md V11).
Writer processes take turns on an ``flock`` of ``FILE.db.lock``, and a thread of each process
checkpoints the WAL every second (V15, V20). :meth:`atomic` is a ``BEGIN IMMEDIATE``
transaction on the writer (exclusive among threads and processes, re-entrant within a
thread); what a thread reads
inside it goes through the writer, so it sees its own changes. The schema is versioned in
``PRAGMA user_version``; :data:`MIGRATIONS` takes an older file to the current version at
open, and a file from a newer version is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

from .kv import KvStore

T = TypeVar("T")
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_SECONDS = 1.0  # how often a process copies the WAL into the database file (V20)
TRIM_EVERY = 64  # an appended kind's oldest rows are deleted this many at a time (V15)
LOCK_SUFFIX = ".lock"  # the file beside the database whose flock orders the writers (V15)
SIZE = "#size"  # the kind of the rows counting an appended kind (see append)
# Version n's statements take a file at version n - 1 to version n.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        # rowid order is insertion order (an upsert keeps the row): lists come oldest first
        "CREATE TABLE records (app TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " value TEXT NOT NULL, PRIMARY KEY (app, kind, key))",
    ),
}


_NEXT = (  # a counter's next value (one statement: atomic on its own)
    "INSERT INTO records VALUES ('', 'counter', ?, '1') ON CONFLICT (app, kind, key)"
    " DO UPDATE SET value=CAST(value AS INTEGER) + 1 RETURNING value"
)
_INSERT = (
    "INSERT INTO records VALUES (?, ?, ?, ?)"
    " ON CONFLICT (app, kind, key) DO UPDATE SET value=excluded.value"
)
_GROW = (
    "UPDATE records SET value=CAST(value AS INTEGER) + 1"
    " WHERE app=? AND kind=? AND key=? RETURNING value"
)


class SqliteBackend:
    """One writer connection per process (one thread at a time), a reader per thread."""

    durable = True
    coalesce_activity = True  # last_active_at is written within a second (decision V3, V15)

    def __init__(self, path: str) -> None:
        self.path = path
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise ValueError(f"--store sqlite: no directory {folder} for {path}")
        self._db = self._connect()
        self._lock = threading.RLock()
        try:
            self._file_lock = os.open(f"{path}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            self._db.close()
            raise ValueError(f"--store sqlite: cannot open {path}{LOCK_SUFFIX}: {error}") from None
        self._writers = 0  # this thread's open _writing blocks (under _lock)
        self._owner = 0  # the thread holding the writer's transaction (0: none)
        self._depth = 0
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False
        self._migrate()
        # Checkpoints run in a thread of their own instead of inside the commit that fills the
        # WAL past 1,000 pages (SQLite's default), which then copied and synced ~4 MB while its
        # request waited: a verify every ~0.2 s at 2,000 a second, the p99 (decision V20).
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=_checkpoint_every,
            args=(weakref.ref(self), self._stop, path),
            name="moonkey-mock-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit is in the log before COMMIT returns; a killed process loses
            # nothing committed (only a power cut can lose the last commits).
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as error:
            raise ValueError(f"--store sqlite: cannot open {self.path}: {error}") from None
        return db

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

    def _reader(self) -> sqlite3.Connection:
        """Where this thread reads: the writer inside its own transaction, else its reader."""
        if self._owner == threading.get_ident():
            return self._db
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            with self._lock:
                if self._closed:
                    raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
                reader = self._connect()
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    def _read(self, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        return self._reader().execute(sql, args)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This thread writes: the process's lock, then the file's (re-entrant).

        Processes sharing the file queue on an ``flock`` beside it, which wakes the next one
        the moment the lock is free; left to SQLite's own busy wait, a second writer slept 1,
        2, 5, 10… ms between tries, and ``--workers 2``'s p99 was 35 ms (decision V15).
        """
        with self._lock:
            self._writers += 1
            if self._writers == 1:
                fcntl.flock(self._file_lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                self._writers -= 1
                if self._writers == 0:
                    fcntl.flock(self._file_lock, fcntl.LOCK_UN)

    @contextmanager
    def _tx(self) -> Iterator[object]:
        with self._writing():
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
                if outer:
                    self._owner = 0
                    # Committed even when the block raised: changes made before an error stand,
                    # exactly as in the in-memory store (an OTP's failed attempt is counted).
                    self._db.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[object]:
        """A re-entrant ``BEGIN IMMEDIATE`` … ``COMMIT``."""
        return self._tx()

    def batch(self) -> AbstractContextManager[object]:
        """One transaction: one commit for the group."""
        return self._tx()

    def run(self, change: Callable[[], T]) -> T:
        """``change()``: its ``transaction()`` blocks hold the writer, so it never runs again."""
        return change()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Now: inside a transaction, ``action``'s writes are part of it."""
        action()

    def get(self, app: str, kind: str, key: str) -> str | None:
        row = self._read(
            "SELECT value FROM records WHERE app=? AND kind=? AND key=?", (app, kind, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, app: str, kind: str, key: str, value: str) -> None:
        with self._writing():
            self._db.execute(_INSERT, (app, kind, key, value))

    def put_new(self, app: str, kind: str, key: str, value: str) -> str:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?)", (app, kind, key, value)
            )
            found = self.get(app, kind, key)
        return value if found is None else found

    def pop(self, app: str, kind: str, key: str) -> str | None:
        with self._writing():
            row = self._db.execute(
                "DELETE FROM records WHERE app=? AND kind=? AND key=? RETURNING value",
                (app, kind, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def get_via(self, app: str, index: str, kind: str, key: str) -> str | None:
        row = self._read(
            "SELECT r.value FROM records i JOIN records r ON r.app=i.app AND r.kind=?"
            " AND r.key=i.value WHERE i.app=? AND i.kind=? AND i.key=?",
            (kind, app, index, key),
        ).fetchone()
        return None if row is None else str(row[0])

    def get_via_with(
        self, app: str, index: str, kind: str, key: str, field: str, other: str
    ) -> tuple[str | None, str | None]:
        """:meth:`get_via`, and the ``other`` record its top-level text field ``field`` names,
        in one statement (V15)."""
        row = self._read(
            "SELECT r.value, o.value FROM records i JOIN records r ON r.app=i.app AND r.kind=?"
            " AND r.key=i.value LEFT JOIN records o ON o.app=i.app AND o.kind=?"
            " AND o.key=json_extract(r.value, ?) WHERE i.app=? AND i.kind=? AND i.key=?",
            (kind, other, f"$.{field}", app, index, key),
        ).fetchone()
        if row is None:
            return None, None
        return str(row[0]), None if row[1] is None else str(row[1])

    def get_many(self, app: str, kind: str, keys: list[str]) -> list[str | None]:
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self._read(
            f"SELECT key, value FROM records WHERE app=? AND kind=? AND key IN ({marks})",  # noqa: S608 - placeholders only
            (app, kind, *keys),
        ).fetchall()
        found = {str(k): str(v) for k, v in rows}
        return [found.get(key) for key in keys]

    def put_if(self, app: str, kind: str, key: str, expected: str, value: str) -> bool:
        with self._writing():
            done = self._db.execute(
                "UPDATE records SET value=? WHERE app=? AND kind=? AND key=? AND value=?",
                (value, app, kind, key, expected),
            )
            return done.rowcount == 1

    def put_if_many(self, app: str, kind: str, changes: list[tuple[str, str, str]]) -> list[bool]:
        """:meth:`put_if` of each ``(key, expected, value)``, in one transaction (one statement
        run for all; when some did not match, each is asked whether it holds its new value)."""
        with self.transaction():
            done = self._db.executemany(
                "UPDATE records SET value=? WHERE app=? AND kind=? AND key=? AND value=?",
                [(new, app, kind, key, old) for key, old, new in changes],
            )
            if done.rowcount == len(changes):
                return [True] * len(changes)
            return [self.get(app, kind, key) == new for key, _old, new in changes]

    def append(self, app: str, kind: str, counter: str, head: str, tail: str, keep: int) -> int:
        """Number, file and trim in one transaction; the kind's size is kept in a row of its own.

        Counting the kind's rows on every append read the whole index range (10,000 journal
        entries: a quarter of a verify's time); the size row (kind :data:`SIZE`, key ``kind``)
        is kept beside them and cleared with the app. A file written before it had the row
        counts once. The oldest are deleted :data:`TRIM_EVERY` at a time, so the kind holds up
        to ``keep + TRIM_EVERY - 1`` rows: a reader takes the newest ``keep`` (V15).
        """
        with self.transaction():
            db = self._db
            (seq,) = db.execute(_NEXT, (counter,)).fetchone()
            seq = int(seq)
            db.execute(_INSERT, (app, kind, f"{seq:015d}", f"{head}{seq}{tail}"))
            row = db.execute(_GROW, (app, SIZE, kind)).fetchone()
            size = int(row[0]) if row is not None else self._count_into_size(app, kind)
            over = size - keep
            if over >= TRIM_EVERY:
                db.execute(
                    "DELETE FROM records WHERE rowid IN (SELECT rowid FROM records WHERE app=?"
                    " AND kind=? ORDER BY rowid LIMIT ?)",
                    (app, kind, over),
                )
                db.execute(
                    "UPDATE records SET value=? WHERE app=? AND kind=? AND key=?",
                    (str(keep), app, SIZE, kind),
                )
        return seq

    def _count_into_size(self, app: str, kind: str) -> int:
        size = self.count(app, kind)
        self.put(app, SIZE, kind, str(size))
        return size

    def values(self, app: str, kind: str) -> list[str]:
        rows = self._read(
            "SELECT value FROM records WHERE app=? AND kind=? ORDER BY rowid", (app, kind)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def keys(self, app: str, kind: str) -> list[str]:
        rows = self._read(
            "SELECT key FROM records WHERE app=? AND kind=? ORDER BY rowid", (app, kind)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def first_keys(self, app: str, kind: str, count: int) -> list[str]:
        rows = self._read(
            "SELECT key FROM records WHERE app=? AND kind=? ORDER BY rowid LIMIT ?",
            (app, kind, count),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def incr(self, name: str) -> int:
        with self._writing():
            row = self._db.execute(_NEXT, (name,)).fetchone()
        return int(row[0])

    def count(self, app: str | None, kind: str) -> int:
        if app is None:
            row = self._read("SELECT count(*) FROM records WHERE kind=?", (kind,))
        else:
            row = self._read("SELECT count(*) FROM records WHERE app=? AND kind=?", (app, kind))
        return int(row.fetchone()[0])

    def clear(self, app: str) -> None:
        with self._writing():
            self._db.execute("DELETE FROM records WHERE app=?", (app,))

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not threading.current_thread():
            self._checkpointer.join(timeout=5)
        with self._lock:
            self._closed = True
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()
            os.close(self._file_lock)


def _checkpoint_every(
    backend: weakref.ReferenceType[SqliteBackend], stop: threading.Event, path: str
) -> None:
    """Copy the WAL into the database every :data:`CHECKPOINT_SECONDS` (``PASSIVE``: never
    waits for readers or writers; a busy file is tried again next time) until ``stop`` or the
    backend is gone. The last connection to close checkpoints what is left."""
    db: sqlite3.Connection | None = None
    try:
        while not stop.wait(CHECKPOINT_SECONDS) and backend() is not None:
            with contextlib.suppress(sqlite3.Error):
                if db is None:
                    db = sqlite3.connect(
                        path, timeout=1, isolation_level=None, check_same_thread=False
                    )
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        if db is not None:
            db.close()


class SqliteStore(KvStore):
    """The :class:`~mock_server.store.Store` verbs in one SQLite file."""

    def __init__(self, path: str) -> None:
        super().__init__(SqliteBackend(path))
