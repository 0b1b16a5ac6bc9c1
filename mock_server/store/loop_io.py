"""Store calls on the native server's event loop, without a thread per call (decision V21).

:func:`spawn` runs a synchronous call (the API pipeline) in a greenlet on the loop's thread.
Where the call waits for the network (:func:`wait`: a Redis reply), its greenlet steps aside and
the loop serves other connections until the reply comes; then the call goes on where it was.
So eight clients' round trips overlap on one thread, with neither a hop to a pool thread nor
the interpreter lock passed between threads at every reply.

A call steps aside only in :func:`wait`, and a store waits there only outside its
transactions (the Redis backend checks), so no lock is ever held by a call that stepped aside.
State a call keeps for its own length lives in :class:`contextvars.ContextVar` values: each
greenlet has a context of its own, as each thread has (https://greenlet.readthedocs.io/en/latest/contextvars.html).
The pattern is SQLAlchemy's asyncio bridge (``greenlet_spawn``/``await_only``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import greenlet

T = TypeVar("T")


class _Call(greenlet.greenlet):  # type: ignore[misc]  # greenlet has no type hints
    """A call :func:`spawn` runs on the loop: the one kind of greenlet :func:`wait` suspends."""


def can_wait() -> bool:
    """Whether this code runs in a call :func:`spawn` started (so :func:`wait` steps aside)."""
    return isinstance(greenlet.getcurrent(), _Call)


def wait(awaitable: Awaitable[T]) -> T:
    """The result of ``awaitable`` (a future of the running loop): the call steps aside until
    it is done. Only inside a call :func:`spawn` started (:func:`can_wait`)."""
    if not can_wait():
        raise RuntimeError("loop_io.wait outside a call spawned on the loop")
    # No local names the greenlet: its own frame would hold it in a cycle (see _Driver).
    return cast(T, greenlet.getcurrent().parent.switch(awaitable))


def spawn(loop: asyncio.AbstractEventLoop, call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Start ``call(*args)`` on ``loop``'s thread now; its result (or error) as a future.

    Must be called on the loop's thread (from one of its callbacks). The call runs until it
    first waits, then goes on from the callbacks of what it waits for.
    """
    done: asyncio.Future[T] = loop.create_future()
    _Driver(loop, _Call(call), done).step(args)
    return done


class _Driver:
    """Switches into a call and back, and settles its future when it ends.

    Nothing here is in a reference cycle, and the greenlet is let go the moment it ends, so a
    call's greenlet and frames are freed at once, not whenever the cycle collector runs.
    """

    __slots__ = ("done", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, task: _Call, done: asyncio.Future[Any]):
        self.loop, self.task, self.done = loop, task, done

    def step(self, sent: tuple[Any, ...], error: BaseException | None = None) -> None:
        task = self.task
        try:
            awaited = task.throw(error) if error is not None else task.switch(*sent)
        except BaseException as raised:  # noqa: BLE001 - the call's error is the future's
            self._settle(None, raised)
            return
        if task.dead:
            self._settle(awaited, None)
            return
        del task
        asyncio.ensure_future(awaited, loop=self.loop).add_done_callback(self.resume)

    def resume(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            self.step((), asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            self.step((), error)
        else:
            self.step((future.result(),))

    def _settle(self, result: Any, error: BaseException | None) -> None:
        done, self.task, self.done = self.done, None, None  # type: ignore[assignment]
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)
