"""Coalesced activity on a shared store (decision V3) and the round trips of one verify (V6).

Two stores on one Redis stand for two processes: a verify's ``last_active_at`` is answered
exactly, seen at once by the process that made it, written by a flush within a second, never
moved back by a flush, and never brings back a session another process deleted or undoes its
extension. The verify's round trips to Redis are counted on the wire, so a change that adds one
fails here.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from mock_server import MockConfig, create_app, state_of
from mock_server.models import Session
from mock_server.store import open_store
from mock_server.store.kv import KvStore
from tests.helpers import session_record
from tests.stores import url_for

APP = "app_test"
ROUND_TRIPS_PER_VERIFY = 3  # meta (clock, rules, apps version), session with its user, journal


def _session(n: int, active: int = 100) -> Session:
    return session_record(str(n), APP, active=active)


@pytest.fixture
def two(redis_base: str, tmp_path: Any) -> Iterator[tuple[KvStore, KvStore]]:
    """Two Redis stores on one fresh database (two processes' views of one fake)."""
    url = url_for("redis", tmp_path, redis_base)
    first, second = open_store(url), open_store(url)
    assert isinstance(first, KvStore)
    assert isinstance(second, KvStore)
    yield first, second
    first.close()
    second.close()


def test_activity_is_seen_at_once_here_and_after_a_flush_elsewhere(
    two: tuple[KvStore, KvStore],
) -> None:
    a, b = two
    a.put_session(_session(1))
    touched = a.touch_session(_session(1), 200)
    assert touched is not None
    assert touched.last_active_at == 200
    here = a.session_by_token(APP, "token_1")
    assert here is not None
    assert here.last_active_at == 200
    there = b.get_session(APP, "sess_1")
    assert there is not None
    assert there.last_active_at == 100
    a.flush_activity()
    there = b.get_session(APP, "sess_1")
    assert there is not None
    assert (there.last_active_at, there.updated_at) == (200, 200)


def test_a_flush_never_moves_activity_back(two: tuple[KvStore, KvStore]) -> None:
    a, b = two
    a.put_session(_session(1))
    a.touch_session(_session(1), 150)
    later = b.touch_session(_session(1), 300)
    assert later is not None
    b.flush_activity()
    a.flush_activity()  # the older time comes second
    stored = b.get_session(APP, "sess_1")
    assert stored is not None
    assert stored.last_active_at == 300


def test_a_flush_never_brings_back_a_deleted_session(two: tuple[KvStore, KvStore]) -> None:
    a, b = two
    a.put_session(_session(1))
    a.touch_session(_session(1), 200)
    assert b.delete_session(APP, "sess_1") is not None
    a.flush_activity()
    assert a.get_session(APP, "sess_1") is None
    assert b.session_by_token(APP, "token_1") is None
    assert b.user_sessions(APP, "user_1") == []


def test_a_flush_keeps_another_process_extension_and_token(two: tuple[KvStore, KvStore]) -> None:
    a, b = two
    a.put_session(_session(1))
    a.touch_session(_session(1), 200)
    extended = dataclasses.replace(_session(1, 150), expires_at=5 * 10**9, token="token_new")
    b.put_session(extended)
    a.flush_activity()
    stored = b.get_session(APP, "sess_1")
    assert stored is not None
    assert (stored.expires_at, stored.token, stored.last_active_at) == (5 * 10**9, "token_new", 200)
    assert b.session_by_token(APP, "token_1") is None


def test_many_touches_from_two_processes_end_at_the_latest(two: tuple[KvStore, KvStore]) -> None:
    a, b = two
    for n in range(20):
        a.put_session(_session(n))
    for now in range(101, 160):
        for n in range(20):
            (a if (now + n) % 2 else b).touch_session(_session(n), now)
        if now % 7 == 0:
            (a if now % 2 else b).flush_activity()
    a.flush_activity()
    b.flush_activity()
    for n in range(20):
        stored = a.get_session(APP, f"sess_{n}")
        assert stored is not None
        assert stored.last_active_at == 159


def test_a_close_writes_the_buffered_activity(redis_base: str, tmp_path: Any) -> None:
    url = url_for("redis", tmp_path, redis_base)
    a, b = open_store(url), open_store(url)
    a.put_session(_session(1))
    a.touch_session(_session(1), 250)
    a.close()
    stored = b.get_session(APP, "sess_1")
    b.close()
    assert stored is not None
    assert stored.last_active_at == 250


class _Counting:
    """Counts what a redis-py connection sends (one call per round trip; a pipeline is one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = 0
        original: Any = redis.connection.AbstractConnection.send_packed_command

        caller = threading.get_ident()  # the activity flusher's own sends are not the verify's

        def counted(conn: Any, command: Any, check_health: bool = True) -> None:
            if threading.get_ident() == caller:
                self.sent += 1
            original(conn, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)


def test_one_verify_costs_three_round_trips_to_redis(
    redis_base: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, signing_key_file: str
) -> None:
    url = url_for("redis", tmp_path, redis_base)
    app = create_app(MockConfig(store=url, random_seed="rt", signing_key_file=signing_key_file))
    state = state_of(app)
    try:
        client = app.test_client()
        made = client.post("/_mock/sessions", json={"email": "rt@example.com"})
        token = made.get_json()["session_token"]
        headers = {
            "Authorization": f"Bearer {state.default_app().secret_keys[0]}",
            "Content-Type": "application/json",
        }
        body = json.dumps({"session_token": token})
        warm = client.post("/v1/auth/sessions/verify", data=body, headers=headers)
        assert warm.status_code == 200  # the scripts are loaded on the server now
        counting = _Counting(monkeypatch)
        calls = 5
        for n in range(calls):
            state.clock.shift(datetime.timedelta(seconds=2))  # so each verify moves activity
            before = counting.sent
            answer = client.post(
                "/v1/auth/sessions/verify",
                data=body,
                headers=headers,
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)
            assert counting.sent - before == ROUND_TRIPS_PER_VERIFY, n
            seen = state.store.session_by_token(state.config.app_id, token)
            assert seen is not None
            assert seen.last_active_at == state.now_ts()
    finally:
        state.store.close()


def test_a_key_revoked_in_one_process_is_refused_by_the_other_at_its_next_request(
    two: tuple[KvStore, KvStore],
) -> None:
    """Apps are remembered per process by the store's apps version (decision V5)."""
    from mock_server.models import App
    from mock_server.shared import MetaView

    a, b = two
    views = MetaView(a.backend), MetaView(b.backend)
    a.pin_to(views[0])
    b.pin_to(views[1])
    app = App(app_id="app_v5", name="v5", secret_keys=("sk_test_old",), public_token="pk_v5")
    a.put_app(app)
    with views[1].pinned():  # one request of process b: the app is found, then remembered
        found = b.app_by_secret_key("sk_test_old")
        assert found is not None
        assert found.app_id == "app_v5"
    with views[1].pinned():
        assert b.app_by_secret_key("sk_test_old") is not None
    a.put_app(dataclasses.replace(app, secret_keys=("sk_test_new",)))
    with views[1].pinned():  # the next request reads the new version: the old key is gone
        assert b.app_by_secret_key("sk_test_old") is None
        assert b.app_by_secret_key("sk_test_new") is not None
    assert a.delete_app("app_v5") is not None
    with views[1].pinned():
        assert b.app_by_secret_key("sk_test_new") is None
