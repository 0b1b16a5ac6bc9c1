"""The one place that reads real time.

Every other module asks a :class:`Clock` for the time. :class:`SystemClock` reads
``datetime.now`` through the ``datetime`` module at call time, so a test that freezes time
with freezegun in the same process is followed. :class:`ControllableClock` layers time travel
(offset, freeze, move) on top of a source clock; it is what the fake uses.
"""

from __future__ import annotations

import datetime as _dt
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the time as an aware UTC datetime."""

    def now(self) -> _dt.datetime:
        """Return the current instant (timezone-aware, UTC)."""
        ...


class SystemClock:
    """Real time; follows freezegun because the lookup happens on every call."""

    def now(self) -> _dt.datetime:
        """Return the real (or freezegun-frozen) current UTC time."""
        return _dt.datetime.now(_dt.UTC)


def _aware(when: _dt.datetime) -> _dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=_dt.UTC)
    return when.astimezone(_dt.UTC)


class ControllableClock:
    """A clock that can be shifted, moved and frozen; otherwise it runs with its source.

    Args:
        source: where the running time comes from (a :class:`SystemClock` by default).
    """

    def __init__(self, source: Clock | None = None) -> None:
        self._source: Clock = source or SystemClock()
        self._lock = threading.Lock()
        self._offset = _dt.timedelta(0)
        self._frozen_at: _dt.datetime | None = None

    def now(self) -> _dt.datetime:
        """Return the fake's current instant."""
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return _aware(self._source.now()) + self._offset

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._frozen_at is not None

    def pinned(self) -> AbstractContextManager[object]:
        """Around one request: a clock kept in a shared store reads it once (nothing here)."""
        return nullcontext()

    def shift(
        self, delta: _dt.timedelta, *, within: tuple[_dt.datetime, _dt.datetime] | None = None
    ) -> _dt.datetime:
        """Move the clock by ``delta`` (may be negative) and return the new now.

        With ``within=(earliest, latest)`` the move is checked and made under one lock, so two
        concurrent advances can never together leave the range; ValueError when it would.
        """
        with self._lock:
            if within is not None and not within[0] <= self.now() + delta < within[1]:
                raise ValueError("the clock would leave its range")
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta
            return self.now()

    def move_to(self, when: _dt.datetime, *, freeze: bool | None = None) -> _dt.datetime:
        """Jump to ``when``; ``freeze`` True/False also freezes/unfreezes (None keeps the mode)."""
        target = _aware(when)
        with self._lock:
            keep_frozen = self._frozen_at is not None if freeze is None else freeze
            if keep_frozen:
                self._frozen_at = target
            else:
                self._frozen_at = None
                self._offset = target - _aware(self._source.now())
            return self.now()

    def freeze(self) -> _dt.datetime:
        """Stop the clock at the current instant."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self.now()
            return self._frozen_at

    def unfreeze(self) -> _dt.datetime:
        """Let the clock run again from where it stands."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - _aware(self._source.now())
                self._frozen_at = None
            return self.now()

    def reset(self) -> _dt.datetime:
        """Back to the source's time, running."""
        with self._lock:
            self._offset = _dt.timedelta(0)
            self._frozen_at = None
            return self.now()


def unix(when: _dt.datetime) -> int:
    """Whole unix seconds of ``when`` (the API's timestamp form), rounded down."""
    return int(when.timestamp() // 1)
