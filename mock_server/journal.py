"""The request journal: each MoonKey API call the fake answered, bounded, oldest dropped."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[redacted]"
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
    body: Any = None
    fault_id: str = ""
    fault_action: str = ""

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


class Journal:
    """Thread-safe bounded log of requests.

    Args:
        size: how many entries are kept.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._entries: deque[Entry] = deque(maxlen=max(size, 1))
        self._lock = threading.Lock()
        self._seq = 0

    def record(self, **values: Any) -> Entry:
        """Append an entry (``seq`` is assigned here)."""
        with self._lock:
            self._seq += 1
            entry = Entry(seq=self._seq, **values)
            self._entries.append(entry)
            return entry

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
            snapshot = list(self._entries)
        return [
            e
            for e in snapshot
            if (app_id is None or e.app_id == app_id)
            and (operation_id is None or e.operation_id == operation_id)
            and (status is None or e.status == status)
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
        ]

    def clear(self, app_id: str | None = None) -> None:
        """Drop all entries, or one app's."""
        with self._lock:
            if app_id is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e.app_id != app_id]
                self._entries.clear()
                self._entries.extend(kept)
