"""Optimistic transactions on Redis (decision V23), against a real redis-server: a change sees its
own writes, commits them in one script when what it read still stands, and runs again when
another client wrote it meanwhile; no lock is taken."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import redis

from mock_server.errors import ServiceUnavailable
from mock_server.store import redis_store
from mock_server.store.redis_store import RedisBackend
from mock_server.store.redis_tx import digest

APP = "app_tx"


@pytest.fixture
def url(redis_base: str) -> str:
    """Database 4 of the tests' redis-server, emptied."""
    plain = redis.Redis.from_url(redis_base + "/4")
    plain.flushdb()
    plain.close()
    return redis_base + "/4"


@pytest.fixture
def backend(url: str) -> Iterator[RedisBackend]:
    opened = RedisBackend(url)
    yield opened
    opened.close()


@pytest.fixture
def other(url: str) -> Iterator[RedisBackend]:
    """A second client on the same database: another process."""
    opened = RedisBackend(url)
    yield opened
    opened.close()


def test_a_change_sees_its_own_writes_before_it_commits(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "kind", "a", "1")
    backend.put(APP, "kind", "b", "2")

    def change() -> list[str]:
        with backend.transaction():
            backend.put(APP, "kind", "c", "3")
            assert backend.pop(APP, "kind", "a") == "1"
            assert backend.get(APP, "kind", "a") is None
            backend.put(APP, "kind", "b", "2'")
            assert other.get(APP, "kind", "c") is None  # nothing written yet
            assert backend.keys(APP, "kind") == ["b", "c"]
            assert backend.count(APP, "kind") == 2
            assert backend.get_many(APP, "kind", ["a", "b", "c"]) == [None, "2'", "3"]
            return backend.values(APP, "kind")

    assert backend.run(change) == ["2'", "3"]
    assert other.values(APP, "kind") == ["2'", "3"]
    assert other.keys(APP, "kind") == ["b", "c"]


def test_a_change_whose_read_was_overwritten_runs_again_on_the_new_value(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "counter", "n", "0")
    seen: list[str] = []

    def change() -> None:
        with backend.transaction():
            value = backend.get(APP, "counter", "n")
            assert value is not None
            seen.append(value)
            if len(seen) == 1:
                other.put(APP, "counter", "n", "10")  # another process, in between
            backend.put(APP, "counter", "n", str(int(value) + 1))

    backend.run(change)
    assert seen == ["0", "10"]
    assert backend.get(APP, "counter", "n") == "11"


def test_concurrent_changes_of_one_counter_lose_no_increment(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "counter", "n", json.dumps({"n": 0}))

    def bump(on: RedisBackend) -> None:
        def change() -> None:
            with on.transaction():
                raw = on.get(APP, "counter", "n")
                assert raw is not None
                on.put(APP, "counter", "n", json.dumps({"n": json.loads(raw)["n"] + 1}))

        for _ in range(25):
            on.run(change)

    threads = [threading.Thread(target=bump, args=(b,)) for b in (backend, other) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert json.loads(backend.get(APP, "counter", "n") or "") == {"n": 150}


def test_a_single_use_record_is_taken_by_one_change_only(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "code", "c", "secret")
    takers: list[str] = []
    start = threading.Barrier(8)

    def take(on: RedisBackend, name: str) -> None:
        def change() -> None:
            with on.transaction():
                if on.pop(APP, "code", "c") is not None:
                    on.put(APP, "winner", "w", name)
                    on.after_commit(lambda: takers.append(name))

        start.wait()
        on.run(change)

    threads = [
        threading.Thread(target=take, args=((backend, other)[n % 2], f"t{n}")) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(takers) == 1, takers  # after_commit ran for the one that committed, once
    assert backend.get(APP, "winner", "w") == takers[0]


def test_a_listing_read_conflicts_with_a_new_key_of_its_kind(
    backend: RedisBackend, other: RedisBackend
) -> None:
    runs: list[list[str]] = []

    def change() -> None:
        with backend.transaction():
            runs.append(backend.keys(APP, "kind"))
            if len(runs) == 1:
                other.put(APP, "kind", "late", "x")
            backend.put(APP, "count", "n", str(len(runs[-1])))

    backend.run(change)
    assert runs == [[], ["late"]]
    assert backend.get(APP, "count", "n") == "1"


def test_values_read_conflicts_with_a_changed_value(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "kind", "k", "old")
    runs: list[list[str]] = []

    def change() -> None:
        with backend.transaction():
            runs.append(backend.values(APP, "kind"))
            if len(runs) == 1:
                other.put(APP, "kind", "k", "new")
            backend.put(APP, "seen", "s", runs[-1][0])

    backend.run(change)
    assert runs == [["old"], ["new"]]
    assert backend.get(APP, "seen", "s") == "new"


def test_text_beyond_ascii_is_checked_as_the_script_counts_it(backend: RedisBackend) -> None:
    keys = ["é", "user@exämple.test", "🔑", "a:b", "1,2"]
    for key in keys:
        backend.put(APP, "kind", key, key * 2)
    runs = []

    def change() -> None:
        with backend.transaction():
            runs.append(1)
            assert backend.keys(APP, "kind") == keys
            assert backend.values(APP, "kind") == [k * 2 for k in keys]
            backend.put(APP, "kind", "done", "yes")

    backend.run(change)
    assert runs == [1]  # the script's digests equal the process's: no false conflict
    assert digest(["é"]) != digest(["e"])


def test_a_change_that_raises_keeps_its_writes_and_raises(backend: RedisBackend) -> None:
    def change() -> None:
        with backend.transaction():
            backend.put(APP, "kind", "attempt", "counted")
            raise ValueError("wrong passcode")

    with pytest.raises(ValueError, match="wrong passcode"):
        backend.run(change)
    assert backend.get(APP, "kind", "attempt") == "counted"


def test_an_interrupted_change_writes_nothing(backend: RedisBackend) -> None:
    def change() -> None:
        with backend.transaction():
            backend.put(APP, "kind", "half", "done")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backend.run(change)
    assert backend.get(APP, "kind", "half") is None


def test_clear_inside_a_change_hides_the_old_records_and_keeps_the_new(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "kind", "old", "1")
    backend.put(APP, "other", "old", "2")

    def change() -> None:
        with backend.transaction():
            backend.clear(APP)
            assert backend.get(APP, "kind", "old") is None
            assert backend.keys(APP, "other") == []
            backend.put(APP, "kind", "new", "3")
            assert backend.values(APP, "kind") == ["3"]

    backend.run(change)
    assert other.keys(APP, "kind") == ["new"]
    assert other.keys(APP, "other") == []


def test_a_transaction_outside_a_run_is_refused_on_a_conflict(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "kind", "k", "1")

    def stale_change() -> None:
        with backend.transaction():
            assert backend.get(APP, "kind", "k") == "1"
            other.put(APP, "kind", "k", "2")
            backend.put(APP, "kind", "k", "from the stale read")

    with pytest.raises(ServiceUnavailable, match="changed the records"):
        stale_change()
    assert backend.get(APP, "kind", "k") == "2"


def test_a_change_always_overtaken_gives_up_with_503(
    backend: RedisBackend, other: RedisBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_store, "TRIES", 3)
    runs = []

    def change() -> None:
        with backend.transaction():
            runs.append(backend.get(APP, "kind", "k"))
            other.put(APP, "kind", "k", str(len(runs)))
            backend.put(APP, "kind", "mine", "never")

    with pytest.raises(ServiceUnavailable, match="3 times"):
        backend.run(change)
    assert len(runs) == 3
    assert backend.get(APP, "kind", "mine") is None


def test_reads_before_the_first_transaction_are_not_checked(
    backend: RedisBackend, other: RedisBackend
) -> None:
    backend.put(APP, "kind", "k", "1")
    runs = []

    def change() -> None:
        runs.append(backend.get(APP, "kind", "k"))  # outside: a plain read
        other.put(APP, "kind", "k", "2")
        with backend.transaction():
            backend.put(APP, "kind", "w", "x")

    backend.run(change)
    assert runs == ["1"]
