"""Store URLs, and what the durable engines promise: restart, schema version, sharing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mock_server import ControllableClock, MockConfig, create_app, state_of
from mock_server.control.inprocess import Controls
from mock_server.domain import sessions
from mock_server.models import MagicToken
from mock_server.outbox import Message
from mock_server.shared import SharedJournal
from mock_server.store import Store, StoreUrl, open_store, parse_store_url
from mock_server.store.sqlite_store import CHECKPOINT_SECONDS, SCHEMA_VERSION, TRIM_EVERY
from tests.stores import free_port
from tests.unit.test_cli import TIMEOUT, _env


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("memory://", StoreUrl("memory", "memory://")),
        ("sqlite:///state.db", StoreUrl("sqlite", "sqlite:///state.db", path="state.db")),
        ("sqlite:////var/x.db", StoreUrl("sqlite", "sqlite:////var/x.db", path="/var/x.db")),
        ("redis://127.0.0.1:6379/2", StoreUrl("redis", "redis://127.0.0.1:6379/2")),
    ],
)
def test_store_url_is_parsed_by_scheme(url: str, parsed: StoreUrl) -> None:
    assert parse_store_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://x/y", "unknown store, expected memory://, sqlite:///path/to/file.db"),
        ("state.db", "unknown store"),
        ("memory://x", "memory:// takes nothing after the scheme"),
        ("sqlite://", "give a file"),
        ("redis:///0", "name the server"),
        ("redis://h:6379/x", "the database must be a number"),
        ("redis://h:port/0", "Port could not be cast"),
    ],
)
def test_bad_store_urls_are_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        parse_store_url(url)
    assert "\n" not in str(raised.value)


def test_two_workers_on_memory_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="more than one worker needs a shared store"):
        MockConfig(workers=2)
    assert MockConfig(workers=2, store="sqlite:///s.db").workers == 2


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("ftp://x", "moonkey-mock: cannot start: --store 'ftp://x': unknown store"),
        ("redis://127.0.0.1:{free}/0", "cannot reach Redis"),
        ("sqlite:///no/such/dir/x.db", "--store sqlite: no directory"),
    ],
)
def test_serve_with_a_bad_or_unreachable_store_exits_2_with_one_line(
    store: str, message: str
) -> None:
    result = _serve("--store", store.format(free=free_port()))
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "listening" not in result.stdout


# --- durable engines -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def store_engine(request: pytest.FixtureRequest) -> str:
    """The durable engines."""
    engine: str = request.param
    return engine


def test_restart_keeps_sessions_apps_and_signing_keys(
    config: MockConfig, clock: ControllableClock
) -> None:
    first = state_of(create_app(config, clock=clock))
    made = Controls(first).mint_session(email="a@example.com")
    other = Controls(first).create_app(name="second")
    first.store.close()

    second = state_of(create_app(config, clock=clock))
    app = second.default_app()
    by_token, _ = sessions.verify(second, app, token=made["session_token"], jwt=None, minutes=None)
    by_jwt, _ = sessions.verify(second, app, token=None, jwt=made["session_jwt"], minutes=None)
    assert by_token.session is not None
    assert by_jwt.session is not None
    assert by_token.session.session_id == by_jwt.session.session_id == made["session"]["id"]
    assert second.keys.current.kid == first.keys.current.kid
    assert second.store.get_app(other["app_id"]) is not None
    second.store.close()


def test_restart_does_not_apply_the_seed_again(
    config: MockConfig, clock: ControllableClock, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("users:\n  - email: seeded@example.com\n")
    seeded = config.with_(seed_file=str(seed))
    first = state_of(create_app(seeded, clock=clock))
    assert len(first.store.users(config.app_id)) == 1
    first.store.close()
    second = state_of(create_app(seeded, clock=clock))
    assert len(second.store.users(config.app_id)) == 1
    second.store.close()


def test_a_rotated_key_is_kept(config: MockConfig, clock: ControllableClock) -> None:
    first = state_of(create_app(config, clock=clock))
    kid = Controls(first).rotate_keys()["kid"]
    first.store.close()
    second = state_of(create_app(config, clock=clock))
    assert second.keys.current.kid == kid
    assert len(second.keys.jwks(second.now())["keys"]) == 2
    second.store.close()


def test_a_key_rotated_by_another_process_verifies_here(
    config: MockConfig, clock: ControllableClock
) -> None:
    first = state_of(create_app(config, clock=clock))
    second = state_of(create_app(config, clock=clock))  # a second process on the same store
    Controls(first).rotate_keys()
    made = Controls(first).mint_session(email="a@example.com")
    app = second.default_app()
    issued, _ = sessions.verify(second, app, token=None, jwt=made["session_jwt"], minutes=None)
    assert issued.session is not None
    assert issued.session.session_id == made["session"]["id"]
    first.store.close()
    second.store.close()


@pytest.fixture
def two(store_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on the same file or database (as two processes would have)."""
    a, b = open_store(store_url), open_store(store_url)
    yield a, b
    a.close()
    b.close()


def test_two_stores_on_one_state_spend_a_single_use_token_once(two: tuple[Store, Store]) -> None:
    a, b = two
    tokens = [f"tok{n}" for n in range(100)]
    for token in tokens:
        a.put_magic_token(MagicToken(token, "app_x", "user_x", "email_x", "login", 0, 10**9))

    def spend(store: Store) -> list[str]:
        return [t for t in tokens if store.take_magic_token("app_x", t) is not None]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(spend, [a, b, a, b]))
    won = [t for r in results for t in r]
    assert sorted(won) == sorted(tokens)
    assert a.magic_tokens("app_x") == b.magic_tokens("app_x") == []


@pytest.mark.parametrize("store_engine", ["sqlite"])
def test_sqlite_file_from_a_newer_version_is_refused(store_url: str) -> None:
    path = store_url.removeprefix("sqlite:///")
    open_store(store_url).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(ValueError, match=f"has schema version {SCHEMA_VERSION + 1}, newer"):
        open_store(store_url)


@pytest.mark.parametrize("store_engine", ["sqlite"])
def test_sqlite_file_is_in_wal_mode_at_the_current_version(store_url: str) -> None:
    path = store_url.removeprefix("sqlite:///")
    open_store(store_url).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_two_fakes_on_one_store_share_the_outbox_and_the_clock(config: MockConfig) -> None:
    # no clock given: each fake's clock keeps its offset in the store
    first, second = (state_of(create_app(config)) for _ in range(2))
    real = ControllableClock()
    try:
        Controls(first).advance(seconds=3600)
        assert abs(second.now() - first.now()) < 5
        assert second.now() > real.now().timestamp() + 3500
        Controls(second).freeze()
        assert first.clock.frozen
        assert second.now() == first.now()
        Controls(first).reset_clock()
        assert not second.clock.frozen
        assert abs(second.now() - real.now().timestamp()) < 5

        message = Message("msg_1", config.app_id, "otp", "email", "a@example.com", "u", "m", 1, 2)
        first.outbox.add(message)
        assert second.outbox.messages(config.app_id) == [message]
        assert second.outbox.wait(None, "a@example.com", timeout=5) == [message]
        Controls(second).clear_outbox()
        assert first.outbox.messages() == []
    finally:
        first.store.close()
        second.store.close()


@pytest.mark.parametrize("store_engine", ["sqlite"])
def test_sqlite_file_of_an_older_version_is_migrated_keeping_its_records(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock_server.store import sqlite_store

    old = open_store(store_url)
    old.put_meta("kept", "yes")
    old.close()
    step = "CREATE INDEX records_kind ON records (kind)"
    monkeypatch.setattr(sqlite_store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(sqlite_store.MIGRATIONS, SCHEMA_VERSION + 1, (step,))
    migrated = open_store(store_url)
    assert migrated.get_meta("kept") == "yes"
    migrated.close()
    with sqlite3.connect(store_url.removeprefix("sqlite:///")) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "records_kind" in names


@pytest.mark.parametrize("store_engine", ["redis"])
def test_resetting_an_app_whose_id_is_a_pattern_leaves_other_apps_alone(store_url: str) -> None:
    store = open_store(store_url)
    for app_id in ("app_*", "app_other"):
        store.put_magic_token(MagicToken("t", app_id, "user_x", "email_x", "login", 0, 10**9))
    store.reset("app_*")
    assert store.magic_tokens("app_*") == []
    assert len(store.magic_tokens("app_other")) == 1
    store.close()


def _entry_values(n: int) -> dict[str, Any]:
    return {
        "at": float(n),
        "app_id": "app_x",
        "method": "POST",
        "path": "/v1/auth/sessions/verify",
        "operation_id": "VerifySession",
        "status": 200,
        "duration_ms": 0.1,
        "injected": False,
        "error_type": "",
    }


def test_the_journal_shows_exactly_its_newest_entries_however_the_store_trims(
    store_url: str,
) -> None:
    store = open_store(store_url)
    journal = SharedJournal(store.backend, size=10)  # type: ignore[attr-defined]
    try:
        made = [
            journal.record(body={"n": n}, response={"ok": n}, **_entry_values(n)).seq
            for n in range(10 + TRIM_EVERY + 7)
        ]
        shown = journal.entries(app_id="app_x")
        assert [e.seq for e in shown] == made[-10:]
        assert [e.body for e in shown] == [{"n": n} for n in range(TRIM_EVERY + 7, TRIM_EVERY + 17)]
        assert shown[-1].response == {"ok": TRIM_EVERY + 16}
        if store_url.startswith("sqlite"):  # trimmed TRIM_EVERY at a time: never far past 10
            path = store_url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as db:
                (rows,) = db.execute(
                    "SELECT count(*) FROM records WHERE app='journal:app_x' AND kind='entry'"
                ).fetchone()
            assert 10 <= rows < 10 + TRIM_EVERY
    finally:
        store.close()


def test_a_journal_body_json_cannot_read_exactly_is_kept_as_it_was_sent(store_url: str) -> None:
    store = open_store(store_url)
    journal = SharedJournal(store.backend, size=10)  # type: ignore[attr-defined]
    odd = {"big": 2**70, "lone": "\udc80", "digits": "1" * 30, "neg": -(2**63) - 1}
    try:
        journal.record(body=odd, response=[odd], **_entry_values(1))
        (entry,) = journal.entries(app_id="app_x")
        assert entry.body == odd
        assert entry.response == [odd]
    finally:
        store.close()


@pytest.mark.parametrize("store_engine", ["sqlite"])
def test_sqlite_compare_and_set_of_many_reports_each_one(store_url: str) -> None:
    store = open_store(store_url)
    backend = store.backend  # type: ignore[attr-defined]
    try:
        for key in "abc":
            backend.put("app_x", "thing", key, f"{key}0")
        backend.put("app_x", "thing", "b", "changed meanwhile")
        done = backend.put_if_many(
            "app_x", "thing", [("a", "a0", "a1"), ("b", "b0", "b1"), ("c", "c0", "c1")]
        )
        assert done == [True, False, True]
        assert [backend.get("app_x", "thing", k) for k in "abc"] == [
            "a1",
            "changed meanwhile",
            "c1",
        ]
    finally:
        store.close()


@pytest.mark.parametrize("store_engine", ["sqlite"])
def test_sqlite_checkpoints_in_the_background_not_in_a_commit(store_url: str) -> None:
    path = Path(store_url.removeprefix("sqlite:///"))
    store = open_store(store_url)
    backend = store.backend  # type: ignore[attr-defined]
    try:
        assert backend._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        before = path.stat().st_size
        with backend.batch():
            for n in range(400):
                backend.put("app_x", "thing", str(n), "x" * 1000)
        assert path.stat().st_size == before  # the pages are in the WAL only
        deadline, tick = time.monotonic() + 10 * CHECKPOINT_SECONDS, threading.Event()
        while path.stat().st_size < before + 300_000 and time.monotonic() < deadline:
            tick.wait(0.05)
        assert path.stat().st_size >= before + 300_000  # copied by the checkpointing thread
    finally:
        store.close()
    assert not backend._checkpointer.is_alive()
