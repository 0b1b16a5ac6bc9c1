"""Buffered activity flushed on the native server's loop (decision V22): a chunk per callback,
no thread, what lost a race or met an error written again later, nothing lost on leaving."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from mock_server.models import Session
from mock_server.store import loop_io
from mock_server.store.activity import LOOP_CHUNK, ActivityBuffer, Times
from tests.helpers import session_record

INTERVAL = 0.02


def _session(n: int, app_id: str = "app_a") -> Session:
    return session_record(str(n), app_id)


class Recorder:
    """A writer that keeps what it was given, on which thread, and can lose races or fail."""

    def __init__(self) -> None:
        self.chunks: list[tuple[str, list[tuple[str, Times]]]] = []
        self.threads: set[str] = set()
        self.raced: set[str] = set()
        self.failing = False

    def __call__(self, app_id: str, items: list[tuple[str, Times]]) -> list[str]:
        if loop_io.can_wait():  # a chunk in a call of its own: it steps aside, as on Redis
            loop_io.wait(asyncio.ensure_future(asyncio.sleep(0.001)))
        if self.failing:
            raise ConnectionError("the store is away")
        self.threads.add(threading.current_thread().name)
        self.chunks.append((app_id, items))
        lost = [k for k, _ in items if k in self.raced]
        self.raced -= set(lost)  # a race is lost once
        return lost

    def written(self) -> dict[tuple[str, str], Times]:
        return {(app, k): t for app, items in self.chunks for k, t in items}


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop, closed after the test."""
    created = asyncio.new_event_loop()
    yield created
    created.close()


def _settle(loop: asyncio.AbstractEventLoop, seconds: float = INTERVAL * 6) -> None:
    loop.run_until_complete(asyncio.sleep(seconds))


@pytest.fixture(params=[False, True], ids=["inline", "stepping-aside"])
def steps_aside(request: pytest.FixtureRequest) -> bool:
    """Chunks written inline (SQLite) or in calls that step aside (Redis)."""
    return bool(request.param)


def test_a_flush_on_the_loop_writes_a_chunk_per_step_on_the_loops_thread(
    loop: asyncio.AbstractEventLoop, steps_aside: bool
) -> None:
    writer = Recorder()
    buffer = ActivityBuffer(writer, interval=INTERVAL)
    buffer.run_on(loop, steps_aside=steps_aside)
    for n in range(LOOP_CHUNK * 2 + 3):
        buffer.touch(_session(n), 100 + n)
    buffer.touch(_session(0, app_id="app_b"), 7)
    _settle(loop)
    assert writer.threads == {threading.current_thread().name}  # no flushing thread
    assert buffer._thread is None
    assert max(len(items) for _, items in writer.chunks) <= LOOP_CHUNK
    assert {app for app, _ in writer.chunks} == {"app_a", "app_b"}
    assert writer.written()[("app_a", "sess_5")] == (105, 105)
    assert len(writer.written()) == LOOP_CHUNK * 2 + 4
    buffer.close()


def test_a_lost_race_or_an_error_is_written_at_a_later_tick(
    loop: asyncio.AbstractEventLoop, steps_aside: bool
) -> None:
    writer = Recorder()
    buffer = ActivityBuffer(writer, interval=INTERVAL)
    buffer.run_on(loop, steps_aside=steps_aside)
    writer.raced = {"sess_1"}
    writer.failing = True
    buffer.touch(_session(1), 50)
    buffer.touch(_session(2), 60)
    _settle(loop, INTERVAL * 3)
    assert writer.chunks == []
    writer.failing = False
    _settle(loop)
    written = [k for _, items in writer.chunks for k, _ in items]
    assert written.count("sess_1") == 2  # lost its race once, written again
    assert written.count("sess_2") >= 1
    buffer.close()


def test_leaving_the_loop_keeps_what_was_not_written(loop: asyncio.AbstractEventLoop) -> None:
    writer = Recorder()
    buffer = ActivityBuffer(writer, interval=INTERVAL)
    buffer.run_on(loop)
    for n in range(LOOP_CHUNK * 3):
        buffer.touch(_session(n), 200)
    buffer._tick()  # a flush begins: its first chunk is written, the others are steps to come
    buffer.leave_loop()  # the server stops before them
    _settle(loop)
    assert len(writer.chunks) == 1
    buffer.close()  # the rest is written at close, by the caller's thread
    assert len(writer.written()) == LOOP_CHUNK * 3
