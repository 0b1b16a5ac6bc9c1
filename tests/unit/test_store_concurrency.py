"""Each store engine under many threads: indexes stay consistent, a session is removed once."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from mock_server.models import Factor, Session
from mock_server.store import InMemoryStore, Store, open_store
from tests.helpers import session_record
from tests.stores import ENGINES

APP = "app_test"
THREADS = 8
OPS = 200
T = TypeVar("T")


def _session(thread: int, n: int) -> Session:
    return session_record(f"{thread}_{n}", APP, user_id=f"user_{n % 5}")


@pytest.fixture(params=ENGINES)
def store_engine(request: pytest.FixtureRequest) -> str:
    """Every engine (this module's tests run against each)."""
    engine: str = request.param
    return engine


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store of the engine."""
    opened = open_store(store_url)
    yield opened
    opened.close()


def _run(worker: Callable[[int], T]) -> list[T]:
    start = threading.Barrier(THREADS)

    def released(index: int) -> T:
        start.wait(timeout=30)
        return worker(index)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(released, range(THREADS)))


def test_store_concurrent_puts_rotations_and_deletes_keep_indexes_consistent(store: Store) -> None:

    def worker(index: int) -> set[str]:
        kept: set[str] = set()
        for n in range(OPS):
            session = _session(index, n)
            store.put_session(session)
            if n % 3 == 0:
                assert store.delete_session(APP, session.session_id) == session
            elif n % 3 == 1:
                rotated = dataclasses.replace(session, token=f"rotated_{index}_{n}")
                store.put_session(rotated)
                kept.add(rotated.session_id)
            else:
                kept.add(session.session_id)
        return kept

    kept = set().union(*_run(worker))
    assert store.session_count(APP) == len(kept)
    listed = {s.session_id for u in range(5) for s in store.user_sessions(APP, f"user_{u}")}
    assert listed == kept
    for session_id in kept:
        session = store.get_session(APP, session_id)
        assert session is not None
        assert store.session_by_token(APP, session.token) == session
    for index in range(THREADS):
        for n in range(1, OPS, 3):  # rotated: the old token no longer resolves
            assert store.session_by_token(APP, f"token_{index}_{n}") is None


def test_store_concurrent_delete_of_one_session_returns_it_once(store: Store) -> None:
    for n in range(OPS):
        store.put_session(_session(0, n))

    def worker(_: int) -> list[str]:
        won = []
        for n in range(OPS):
            if store.delete_session(APP, f"sess_0_{n}") is not None:
                won.append(f"sess_0_{n}")
        return won

    wins = [session_id for per_thread in _run(worker) for session_id in per_thread]
    assert sorted(wins) == sorted(f"sess_0_{n}" for n in range(OPS))
    assert store.session_count() == 0
    assert all(store.user_sessions(APP, f"user_{u}") == [] for u in range(5))


def test_put_session_shares_equal_factor_details() -> None:
    store = InMemoryStore()
    details = (("email_id", "email_x"), ("email", "a@example.com"))
    first, second = (
        dataclasses.replace(
            _session(0, n),
            factors=(Factor("email", "otp", "email_x", "email", n, tuple(list(details))),),
        )
        for n in (1, 2)
    )
    assert first.factors[0].details is not second.factors[0].details
    store.put_session(first)
    store.put_session(second)
    a, b = store.get_session(APP, "sess_0_1"), store.get_session(APP, "sess_0_2")
    assert a == first
    assert b == second
    assert a is not None
    assert b is not None
    assert a.factors[0].details is b.factors[0].details
