"""Coalesced session activity: ``last_active_at`` written to the store at most every second.

A verify moves a session's ``last_active_at``/``updated_at`` to now. On a shared store each
such write is a round trip; :class:`ActivityBuffer` keeps them in the process instead and
:meth:`ActivityBuffer.flush` writes them every :data:`FLUSH_SECONDS` (and at close), by compare
and set with a max-merge: a flush never moves a stored time back and never undoes another
change (an extension, a new token, a deletion: a deleted session stays deleted). The process's
own reads see the buffered times at once (:meth:`ActivityBuffer.overlay`). A kill -9 loses at
most the activity of the last flush interval, never a session, a code or a revocation, which
are written before their answer as before (decision V3).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace

from mock_server.models import Session

from . import loop_io

FLUSH_SECONDS = 0.5  # how often the buffered activity is written (a kill -9 loses at most this)
FLUSH_TRIES = 4  # compare-and-set rounds in one flush before a change waits for the next one
LOOP_CHUNK = 16  # sessions written per step of a flush on the loop: a request waits one at most

# This process's id, kept by a fork hook: asking the kernel on each touch was 2% of a verify.
_process = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _process.__setitem__(0, os.getpid()))

Key = tuple[str, str]  # (app_id, session_id)
Times = tuple[int, int]  # (last_active_at, updated_at)
# Writes buffered times: given (app, [(session_id, times)]), the session ids it could not write
# because another change came in between (they are tried again, read afresh).
Writer = Callable[[str, list[tuple[str, Times]]], list[str]]
Work = deque[tuple[str, list[tuple[str, Times]]]]  # (app, sessions) chunks a flush still writes


class ActivityBuffer:
    """Per-process buffered activity times, flushed by a daemon thread (started on first use)."""

    def __init__(self, writer: Writer, interval: float = FLUSH_SECONDS) -> None:
        self._writer = writer
        self._interval = interval
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._pending: dict[Key, Times] = {}
        self._pid = _process[0]
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # flushing on a loop, not a thread
        self._steps_aside = False
        self._work: Work = deque()
        atexit.register(_flush_at_exit, weakref.ref(self))

    def _forked(self) -> None:
        """A forked worker starts empty: the parent's times are the parent's to write."""
        if self._pid != _process[0]:
            self._pid = _process[0]
            self._pending = {}
            self._lock = threading.Lock()
            self._flushing = threading.Lock()
            self._thread = None
            self._loop, self._work = None, deque()

    def touch(self, session: Session, now: int) -> Session:
        """Record activity at ``now``; the session as a read in this process now sees it."""
        self._forked()
        key = (session.app_id, session.session_id)
        with self._lock:
            held = self._pending.get(key, (0, 0))
            self._pending[key] = (max(held[0], now), max(held[1], now))
            if self._thread is None and self._loop is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="moonkey-mock-activity", daemon=True
                )
                self._thread.start()
        return self.overlay(session) or session

    def overlay(self, session: Session | None) -> Session | None:
        """``session`` with this process's buffered times when they are later (a max-merge)."""
        if session is None or not self._pending:
            return session
        held = self._pending.get((session.app_id, session.session_id))
        if held is None:
            return session
        active, updated = max(held[0], session.last_active_at), max(held[1], session.updated_at)
        if (active, updated) == (session.last_active_at, session.updated_at):
            return session
        return replace(session, last_active_at=active, updated_at=updated)

    def overlay_all(self, sessions: Iterable[Session]) -> list[Session]:
        """:meth:`overlay` of each."""
        return [s for s in map(self.overlay, sessions) if s is not None]

    def forget(self, app_id: str, session_ids: Iterable[str] | None = None) -> None:
        """Drop buffered times (a deleted session, a reset app: nothing to write back)."""
        with self._lock:
            if session_ids is None:
                self._pending = {k: v for k, v in self._pending.items() if k[0] != app_id}
            else:
                for session_id in session_ids:
                    self._pending.pop((app_id, session_id), None)

    def clear(self) -> None:
        """Drop every buffered time."""
        with self._lock:
            self._pending = {}

    def flush(self) -> None:
        """Write the buffered times now (a max-merge by compare and set, per app)."""
        self._forked()
        with self._flushing:
            for _ in range(FLUSH_TRIES):
                with self._lock:
                    taken, self._pending = self._pending, {}
                if not taken:
                    return
                retry: dict[Key, Times] = {}
                try:
                    for app_id, items in _by_app(taken).items():
                        held = dict(items)
                        for session_id in self._writer(app_id, items):
                            retry[(app_id, session_id)] = held[session_id]
                except BaseException:
                    self._merge(taken)  # the store is away: everything waits for the next try
                    raise
                self._merge(retry)  # what raced comes back, merged with what came meanwhile
                if not retry:
                    return

    def _merge(self, times: dict[Key, Times]) -> None:
        with self._lock:
            for key, (active, updated) in times.items():
                now = self._pending.get(key, (0, 0))
                self._pending[key] = (max(now[0], active), max(now[1], updated))

    def _run(self) -> None:
        while not self._stop.wait(self._interval) and self._loop is None:
            with contextlib.suppress(Exception):  # the store is away: the times stay buffered
                self.flush()
        self._thread = None

    # --- flushing on the native server's loop (V22) ---------------------------------------

    def run_on(self, loop: asyncio.AbstractEventLoop, *, steps_aside: bool = False) -> None:
        """Flush from ``loop``, :data:`LOOP_CHUNK` sessions per callback, instead of a thread.

        A flushing thread took the interpreter lock from the loop whenever the loop let go of
        it, and held it up to the switch interval (5 ms). ``steps_aside``: each chunk is
        written in a call of its own (:mod:`loop_io`) that steps aside while the store answers
        (Redis, V21); else it is written inline (SQLite). Called on the loop's thread; a
        flushing thread already started ends at its next wake.
        """
        self._forked()
        self._loop, self._steps_aside = loop, steps_aside
        loop.call_later(self._interval, self._tick)

    def leave_loop(self) -> None:
        """Stop flushing on the loop (it is closing); what a flush had left is buffered again
        and the next touch starts the thread. Called on the loop's thread."""
        self._loop = None
        self._requeue()

    def _requeue(self) -> None:
        """What a flush on the loop has not written yet goes back to the buffer."""
        work, self._work = self._work, deque()
        for app_id, items in work:
            self._merge({(app_id, session_id): times for session_id, times in items})

    def _tick(self) -> None:
        if self._loop is None or self._stop.is_set():
            return
        with self._lock:
            taken, self._pending = self._pending, {}
        for app_id, items in _by_app(taken).items():
            for start in range(0, len(items), LOOP_CHUNK):
                self._work.append((app_id, items[start : start + LOOP_CHUNK]))
        self._step()

    def _step(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if not self._work:
            loop.call_later(self._interval, self._tick)
            return
        app_id, items = self._work[0]  # stays queued until written: leave_loop requeues it
        if self._steps_aside:
            written = loop_io.spawn(loop, self._writer, app_id, items)
            written.add_done_callback(lambda done: self._stepped(items, *_outcome(done)))
            return
        try:
            with self._flushing:
                raced = self._writer(app_id, items)
        except Exception as error:  # noqa: BLE001 - the store is away: see _stepped
            self._stepped(items, error, [])
            return
        self._stepped(items, None, raced)

    def _stepped(
        self, items: list[tuple[str, Times]], error: BaseException | None, raced: list[str]
    ) -> None:
        loop = self._loop
        if loop is None or not self._work or self._work[0][1] is not items:
            return  # the loop was left meanwhile: the chunk was requeued
        app_id, _ = self._work.popleft()
        if error is not None:  # the store is away: everything waits for the next tick
            self._work.appendleft((app_id, items))
            self._requeue()
            loop.call_later(self._interval, self._tick)
            return
        lost = set(raced)
        self._merge({(app_id, k): times for k, times in items if k in lost})  # read next time
        loop.call_soon(self._step)

    def close(self) -> None:
        """Stop the flushing thread and write what is buffered."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()


def _by_app(taken: dict[Key, Times]) -> dict[str, list[tuple[str, Times]]]:
    """Buffered times grouped by app, as a writer takes them."""
    by_app: dict[str, list[tuple[str, Times]]] = {}
    for (app_id, session_id), times in taken.items():
        by_app.setdefault(app_id, []).append((session_id, times))
    return by_app


def _outcome(done: asyncio.Future[list[str]]) -> tuple[BaseException | None, list[str]]:
    """A written chunk's error, or the sessions that lost their race."""
    error = done.exception()
    return (error, []) if error is not None else (None, done.result())


def _flush_at_exit(ref: weakref.ReferenceType[ActivityBuffer]) -> None:
    buffer = ref()
    if buffer is not None and not buffer._stop.is_set():
        with contextlib.suppress(Exception):  # the store is gone at exit: nothing to keep
            buffer.flush()
