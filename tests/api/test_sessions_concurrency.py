"""Many threads creating, verifying and deleting sessions at once through the API.

No session is lost, none is deleted twice, and the counts add up afterwards.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from flask import Flask

from mock_server.state import MockState
from tests.helpers import Api, latest_code

THREADS = 8
OPS_PER_THREAD = 200  # HTTP calls each thread makes in the mixed test
T = TypeVar("T")


def _api(app: Flask, state: MockState) -> Api:
    """A client of its own per thread."""
    return Api(app.test_client(), state.default_app().secret_keys[0])


def _run(worker: Callable[[int], T]) -> list[T]:
    """Run ``worker(i)`` on THREADS threads released together; re-raise the first failure."""
    start = threading.Barrier(THREADS)

    def released(index: int) -> T:
        start.wait(timeout=30)
        return worker(index)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(released, range(THREADS)))


def _login(api: Api, state: MockState, email: str) -> dict[str, Any]:
    sent = api.post("/v1/auth/otps/email/login_or_create", {"email": email})
    assert sent.status_code == 200, sent.get_json()
    code = latest_code(state, email)
    reply = api.post("/v1/auth/otps/verify", {"email": email, "code": code})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def test_verify_session_many_threads_create_verify_delete_nothing_lost(
    app: Flask, state: MockState
) -> None:
    def worker(index: int) -> tuple[str, list[str], int]:
        api, email = _api(app, state), f"user{index}@example.com"
        kept: list[str] = []
        user_id, calls, round_ = "", 0, 0
        while calls < OPS_PER_THREAD:
            body = _login(api, state, email)
            user_id, token = body["user_id"], body["session_token"]
            verify = api.post("/v1/auth/sessions/verify", {"session_token": token})
            assert verify.status_code == 200, verify.get_json()
            assert verify.get_json()["session"]["user_id"] == user_id
            calls += 3
            if round_ % 2:
                deleted = api.delete("/v1/auth/sessions/delete", {"session_token": token})
                assert deleted.status_code == 200, deleted.get_json()
                gone = api.post("/v1/auth/sessions/verify", {"session_token": token})
                assert gone.status_code == 401, gone.get_json()
                calls += 2
            else:
                kept.append(token)
            round_ += 1
        return user_id, kept, round_

    results = _run(worker)
    api = _api(app, state)
    assert state.store.session_count() == sum(len(kept) for _, kept, _ in results)
    for user_id, kept, _ in results:
        listed = api.get("/v1/auth/sessions/list", user_id=user_id).get_json()["sessions"]
        assert sorted(s["session_token"] for s in listed) == sorted(kept)
        for token in kept:
            verify = api.post("/v1/auth/sessions/verify", {"session_token": token})
            assert verify.status_code == 200
    assert len({user_id for user_id, _, _ in results}) == THREADS


def test_delete_session_concurrent_deletes_of_one_session_succeed_exactly_once(
    app: Flask, state: MockState
) -> None:
    api = _api(app, state)
    sessions = [_login(api, state, f"user{i % 3}@example.com") for i in range(24)]
    ids = [s["session"]["id"] for s in sessions]

    def worker(index: int) -> list[tuple[str, int]]:
        client, order = _api(app, state), list(sessions)
        random.Random(index).shuffle(order)
        outcomes = []
        for session in order:
            if index % 2:
                body = {"session_id": session["session"]["id"]}
            else:
                body = {"session_token": session["session_token"]}
            reply = client.delete("/v1/auth/sessions/delete", body)
            assert reply.status_code in {200, 404}, reply.get_json()
            if reply.status_code == 404:
                assert reply.get_json()["error_type"] == "session_not_found"
            outcomes.append((session["session"]["id"], reply.status_code))
        return outcomes

    outcomes = [pair for per_thread in _run(worker) for pair in per_thread]
    successes = Counter(session_id for session_id, status in outcomes if status == 200)
    assert successes == Counter({session_id: 1 for session_id in ids})
    assert sum(1 for _, status in outcomes if status == 404) == len(ids) * (THREADS - 1)
    assert state.store.session_count() == 0


def test_verify_session_concurrent_extend_and_delete_stay_consistent(
    app: Flask, state: MockState
) -> None:
    api = _api(app, state)
    sessions = [_login(api, state, "ann@example.com") for _ in range(16)]
    doomed = {s["session_token"] for s in sessions[::2]}

    def worker(index: int) -> Counter[int]:
        client, seen = _api(app, state), Counter[int]()
        for round_, session in enumerate(sessions * 3):
            token = session["session_token"]
            if index == 0 and token in doomed and round_ < len(sessions):
                reply = client.delete("/v1/auth/sessions/delete", {"session_token": token})
            else:
                body = {"session_token": token, "session_expires_in": 60 + index}
                reply = client.post("/v1/auth/sessions/verify", body)
            seen[reply.status_code] += 1
        return seen

    statuses = sum(_run(worker), Counter[int]())
    assert set(statuses) <= {200, 401}
    listed = api.get("/v1/auth/sessions/list", user_id=sessions[0]["user_id"]).get_json()
    survivors = {s["session_token"] for s in listed["sessions"]}
    assert survivors == {s["session_token"] for s in sessions} - doomed
    assert state.store.session_count() == len(survivors)
