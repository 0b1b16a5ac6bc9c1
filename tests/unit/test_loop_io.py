"""Calls on the event loop that step aside while they wait (decision V21): results, errors,
interleaving, and state kept per call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import pytest

from mock_server.store import loop_io
from tests.helpers import run_spawned

T = TypeVar("T")


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop, closed after the test."""
    created = asyncio.new_event_loop()
    yield created
    created.close()


def _later(loop: asyncio.AbstractEventLoop, value: T, delay: float = 0.0) -> asyncio.Future[T]:
    future: asyncio.Future[T] = loop.create_future()
    loop.call_later(delay, future.set_result, value)
    return future


def test_spawn_returns_the_call_result_with_its_arguments(loop: asyncio.AbstractEventLoop) -> None:
    assert run_spawned(loop, (lambda a, b: a + b, 2, 3), (lambda: "none",)) == [5, "none"]


def test_spawned_calls_interleave_where_they_wait(loop: asyncio.AbstractEventLoop) -> None:
    order: list[str] = []

    def call(name: str, delay: float) -> str:
        order.append(f"{name} starts")
        got = loop_io.wait(_later(loop, name, delay))
        order.append(f"{name} resumes")
        return got

    assert run_spawned(loop, (call, "slow", 0.05), (call, "fast", 0.0)) == ["slow", "fast"]
    assert order == ["slow starts", "fast starts", "fast resumes", "slow resumes"]


def test_an_awaited_error_is_raised_in_the_call_and_can_be_caught(
    loop: asyncio.AbstractEventLoop,
) -> None:
    def failing() -> asyncio.Future[Any]:
        future = loop.create_future()
        loop.call_soon(future.set_exception, ConnectionError("gone"))
        return future

    def caught() -> str:
        try:
            loop_io.wait(failing())
        except ConnectionError as error:
            return f"caught {error}"
        return "not raised"

    def uncaught() -> None:
        loop_io.wait(failing())

    def raising() -> None:
        raise ValueError("the call's own")

    results = run_spawned(loop, (caught,), (uncaught,), (raising,))
    assert results[0] == "caught gone"
    assert isinstance(results[1], ConnectionError)
    assert isinstance(results[2], ValueError)
    assert str(results[2]) == "the call's own"


def test_context_variables_are_per_call_across_interleaving(
    loop: asyncio.AbstractEventLoop,
) -> None:
    var: ContextVar[str] = ContextVar("test_var", default="unset")

    def call(name: str, delay: float) -> tuple[str, str]:
        before = var.get()
        var.set(name)
        loop_io.wait(_later(loop, None, delay))
        return before, var.get()

    results = run_spawned(loop, (call, "a", 0.03), (call, "b", 0.0), (call, "c", 0.01))
    assert results == [("unset", "a"), ("unset", "b"), ("unset", "c")]
    assert var.get() == "unset"  # the loop's own context saw none of it


def test_wait_outside_a_spawned_call_is_refused() -> None:
    assert not loop_io.can_wait()
    future: asyncio.Future[None] = asyncio.Future(loop=asyncio.new_event_loop())
    with pytest.raises(RuntimeError, match="outside a call spawned on the loop"):
        loop_io.wait(future)
    future.get_loop().close()


def test_can_wait_inside_a_spawned_call(loop: asyncio.AbstractEventLoop) -> None:
    assert run_spawned(loop, (loop_io.can_wait,)) == [True]
