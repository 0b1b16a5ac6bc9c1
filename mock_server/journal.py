"""The request journal: each MoonKey API call the fake answered, bounded, oldest dropped.

Bounded three ways, so a long-lived shared fake never grows: each app keeps at most ``size``
entries (one app's traffic never evicts another's), a request or response body over
:data:`MAX_BODY_BYTES` of JSON is kept as a truncated preview, and all apps together hold at
most ``max_bytes`` (past it the app holding the most loses its oldest entries first).

Bodies are kept as their JSON bytes and decoded when read: thousands of kept entries would
otherwise be millions of small dicts and lists the garbage collector walks again and again
(its pauses were a busy fake's p99 latency).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

REDACTED = "[redacted]"
MAX_BODY_BYTES = 4096
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
ENTRY_OVERHEAD = 512  # an entry's fields besides its bodies, roughly, in bytes
SECRET_FIELDS = frozenset({"api_key", "public_token"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One answered request."""

    seq: int
    at: float
    app_id: str
    method: str
    path: str
    operation_id: str
    status: int
    duration_ms: float
    injected: bool
    error_type: str
    query: dict[str, Any] = field(default_factory=dict)
    packed_body: Any = None
    packed_response: Any = None
    fault_id: str = ""
    fault_action: str = ""
    size: int = 0

    @property
    def body(self) -> Any:
        """The request body (a truncated preview when it was large)."""
        return unpack(self.packed_body)

    @property
    def response(self) -> Any:
        """The response body (a truncated preview when it was large)."""
        return unpack(self.packed_response)

    def to_json(self) -> dict[str, Any]:
        """The control API's view of the entry."""
        return {
            "seq": self.seq,
            "at": self.at,
            "app_id": self.app_id,
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
            "query": self.query,
            "body": self.body,
            "response": self.response,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "injected": self.injected,
            "error_type": self.error_type,
            "fault_id": self.fault_id,
            "fault_action": self.fault_action,
        }


def redact_query(query: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``query`` with API keys hidden."""
    return {k: (REDACTED if k in SECRET_FIELDS else v) for k, v in query.items()}


def unpack(stored: Any) -> Any:
    """A stored body as it was sent (JSON bytes are decoded; previews are kept as they are)."""
    if not isinstance(stored, bytes):
        return stored
    try:
        return orjson.loads(stored)
    except orjson.JSONDecodeError:  # a lone surrogate's \\u escape: json keeps it
        return json.loads(stored)


def bounded(
    value: Any, limit: int = MAX_BODY_BYTES, encoded: bytes | None = None
) -> tuple[Any, int]:
    """``value`` as stored and its size: its JSON bytes, or a truncated preview past ``limit``.

    ``encoded``: the value's JSON when the caller has already encoded it (the same encoding).
    """
    if value is None:
        return None, 0
    if encoded is not None and len(encoded) <= limit:
        # a copy of exactly its length: orjson's bytes keep their whole write buffer (a
        # 200-byte answer held ~4 KiB, a session's ~18 KiB), which 10,000 entries multiplied
        return bytes(memoryview(encoded)), len(encoded)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    data = text.encode("utf-8", "backslashreplace")
    size = len(data)
    if size <= limit:
        return data, size
    preview = text[: limit // 2]
    return {"truncated": True, "bytes": size, "preview": preview}, len(preview) + 64


class Journal:
    """Thread-safe bounded log of requests, per app.

    Args:
        size: how many entries each app keeps.
        max_bytes: how many bytes of entries all apps keep together.
    """

    def __init__(self, size: int = 10_000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = max(size, 1)
        self.max_bytes = max_bytes
        self._apps: dict[str, deque[Entry]] = {}
        self._bytes: dict[str, int] = {}
        self._total = 0
        self._lock = threading.Lock()
        self._seq = 0

    def record(
        self,
        *,
        body: Any = None,
        response: Any = None,
        body_json: bytes | None = None,
        response_json: bytes | None = None,
        **values: Any,
    ) -> Entry:
        """Append an entry (``seq`` is assigned here; bodies are bounded).

        ``body_json``, ``response_json``: the bodies' JSON when the caller has encoded them.
        """
        body, body_size = bounded(body, encoded=body_json)
        response, response_size = bounded(response, encoded=response_json)
        size = ENTRY_OVERHEAD + body_size + response_size
        with self._lock:
            self._seq += 1
            entry = Entry(
                seq=self._seq, packed_body=body, packed_response=response, size=size, **values
            )
            app_id = entry.app_id
            entries = self._apps.setdefault(app_id, deque())
            entries.append(entry)
            self._bytes[app_id] = self._bytes.get(app_id, 0) + size
            self._total += size
            if len(entries) > self.size:
                self._forget(app_id)
            while self._total > self.max_bytes:
                self._forget(max(self._bytes, key=self._bytes.__getitem__))
            return entry

    def _forget(self, app_id: str) -> None:
        """Drop the oldest entry of ``app_id`` (under the lock)."""
        size = self._apps[app_id].popleft().size
        self._bytes[app_id] -= size
        self._total -= size

    @property
    def bytes(self) -> int:
        """What the entries hold, roughly, in bytes."""
        with self._lock:
            return self._total

    def entries(
        self,
        *,
        app_id: str | None = None,
        operation_id: str | None = None,
        status: int | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[Entry]:
        """Matching entries, oldest first."""
        with self._lock:
            if app_id is not None:
                snapshot = list(self._apps.get(app_id, ()))
            else:
                snapshot = sorted((e for q in self._apps.values() for e in q), key=_seq)
        return [
            e
            for e in snapshot
            if (operation_id is None or e.operation_id == operation_id)
            and (status is None or e.status == status)
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
        ]

    def clear(self, app_id: str | None = None) -> None:
        """Drop all entries, or one app's."""
        with self._lock:
            if app_id is None:
                self._apps.clear()
                self._bytes.clear()
                self._total = 0
            else:
                self._apps.pop(app_id, None)
                self._total -= self._bytes.pop(app_id, 0)


def _seq(entry: Entry) -> int:
    return entry.seq
