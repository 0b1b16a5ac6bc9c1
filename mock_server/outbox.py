"""What the fake "sent": passcodes, magic links and invites, newest first, bounded per app.

Each app keeps its newest ``size`` messages, so one app's traffic never evicts another app's
codes (the plugin gives each test its own app on one shared fake).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    """One message the fake would have delivered."""

    message_id: str
    app_id: str
    kind: str
    channel: str
    to: str
    user_id: str
    method_id: str
    sent_at: int
    expires_at: int
    code: str = ""
    token: str = ""
    link: str = ""

    def describe(self) -> str:
        """One line for a console: what was sent to whom."""
        what = f"code {self.code}" if self.code else f"link {self.link or self.token}"
        return f"[outbox] {self.kind} by {self.channel} to {self.to}: {what}"

    def to_json(self) -> dict[str, Any]:
        """The control API's view of the message."""
        return {
            "id": self.message_id,
            "app_id": self.app_id,
            "kind": self.kind,
            "channel": self.channel,
            "to": self.to,
            "user_id": self.user_id,
            "method_id": self.method_id,
            "code": self.code,
            "token": self.token,
            "link": self.link,
            "sent_at": self.sent_at,
            "expires_at": self.expires_at,
        }


class Outbox:
    """A bounded, thread-safe list of sent messages per app, with a blocking wait.

    Args:
        size: how many messages each app keeps (oldest dropped first).
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = max(size, 1)
        self._apps: dict[str, deque[tuple[int, Message]]] = {}
        self._seq = 0
        self._waiting = 0
        self._changed = threading.Condition()
        self.listeners: list[Callable[[Message], None]] = []

    def add(self, message: Message) -> None:
        """Record a message and wake waiters."""
        with self._changed:
            self._seq += 1
            box = self._apps.setdefault(message.app_id, deque(maxlen=self.size))
            box.append((self._seq, message))
            self._changed.notify_all()
        for listener in self.listeners:
            listener(message)

    def messages(
        self, app_id: str | None = None, to: str | None = None, kind: str | None = None
    ) -> list[Message]:
        """Messages matching the filters, newest first (``to`` is case-insensitive)."""
        wanted = to.strip().lower() if to else None
        with self._changed:
            if app_id is not None:
                numbered = list(self._apps.get(app_id, ()))
            else:
                numbered = sorted(item for box in self._apps.values() for item in box)
        return [
            m
            for _, m in reversed(numbered)
            if (wanted is None or m.to.lower() == wanted) and (kind is None or m.kind == kind)
        ]

    def latest(self, app_id: str | None = None, to: str | None = None) -> Message | None:
        """The newest matching message, or None."""
        found = self.messages(app_id, to)
        return found[0] if found else None

    def wait(
        self,
        app_id: str | None,
        to: str | None,
        *,
        timeout: float,
        newer_than: int = 0,
        kind: str | None = None,
    ) -> list[Message]:
        """Block up to ``timeout`` real seconds until more than ``newer_than`` messages match."""
        with self._changed:
            self._waiting += 1
            self._changed.notify_all()
            try:
                self._changed.wait_for(
                    lambda: len(self.messages(app_id, to, kind)) > newer_than, timeout=timeout
                )
            finally:
                self._waiting -= 1
        return self.messages(app_id, to, kind)

    def wait_until_waiting(self, count: int, timeout: float) -> bool:
        """Block until ``count`` callers wait for messages (real seconds); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._waiting >= count, timeout=timeout)

    def clear(self, app_id: str | None = None) -> None:
        """Forget all messages, or one app's."""
        with self._changed:
            if app_id is None:
                self._apps.clear()
            else:
                self._apps.pop(app_id, None)
