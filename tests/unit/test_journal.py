"""The journal keeps bodies as JSON bytes and gives them back as they were sent."""

from __future__ import annotations

import gc
from typing import Any

from mock_server.journal import MAX_BODY_BYTES, Journal
from mock_server.pipeline import to_json


def _record(journal: Journal, body: Any, response: Any, **extra: Any) -> Any:
    return journal.record(
        at=0.0,
        app_id="app",
        method="POST",
        path="/v1/auth/sessions/verify",
        operation_id="VerifySession",
        status=200,
        duration_ms=0.1,
        injected=False,
        error_type="",
        body=body,
        response=response,
        **extra,
    )


def test_journal_entry_bodies_are_bytes_read_back_as_sent() -> None:
    journal = Journal()
    body = {"session_token": "t", "n": [1, 2.5, None, True], "ü": "ß"}
    response = {"session": {"id": "s", "factors": [{"type": "otp"}]}}
    entry = _record(journal, body, response, response_json=to_json(response))
    assert isinstance(entry.packed_body, bytes)
    assert isinstance(entry.packed_response, bytes)
    assert not gc.is_tracked(entry.packed_response)
    assert (entry.body, entry.response) == (body, response)
    assert entry.to_json()["response"] == response
    assert entry.size > len(to_json(body)) + len(to_json(response))


def test_journal_keeps_a_lone_surrogate_and_previews_large_bodies() -> None:
    journal = Journal()
    odd = {"name": "a\ud800b"}
    assert _record(journal, odd, None).body == odd
    large = {"blob": "x" * (2 * MAX_BODY_BYTES)}
    entry = _record(journal, large, large, response_json=to_json(large))
    assert entry.body["truncated"] is True
    assert entry.response["bytes"] == len(to_json(large))
    assert len(entry.response["preview"]) == MAX_BODY_BYTES // 2


def test_journal_entries_hold_what_they_count_not_the_encoders_buffer() -> None:
    """orjson's bytes keep their write buffer (~4 KiB for a short answer); entries copy them."""
    import tracemalloc

    journal = Journal()
    response = {"error_type": "invalid_session", "error_message": "x" * 100}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(500):
            _record(journal, None, response, response_json=to_json(response))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = journal.bytes
    assert held < 2 * counted, f"500 entries hold {held:,} bytes, count {counted:,}"
