"""The controllable clock: shift, move, freeze, and following freezegun."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from mock_server.clock import ControllableClock, SystemClock, unix

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_clock_frozen_shift_moves_exactly() -> None:
    clock = ControllableClock()
    clock.move_to(T0, freeze=True)
    assert clock.shift(dt.timedelta(minutes=5)) == T0 + dt.timedelta(minutes=5)
    assert clock.now() == T0 + dt.timedelta(minutes=5)


def test_clock_running_keeps_offset_after_unfreeze() -> None:
    clock = ControllableClock()
    clock.move_to(T0, freeze=True)
    clock.unfreeze()
    assert not clock.frozen
    assert abs((clock.now() - T0).total_seconds()) < 5


def test_clock_naive_datetime_is_taken_as_utc() -> None:
    clock = ControllableClock()
    clock.move_to(dt.datetime(2026, 1, 1), freeze=True)
    assert clock.now() == T0


def test_clock_reset_returns_to_source() -> None:
    clock = ControllableClock()
    clock.move_to(T0, freeze=True)
    clock.reset()
    assert abs((clock.now() - SystemClock().now()).total_seconds()) < 5


def test_clock_follows_freezegun() -> None:
    clock = ControllableClock()
    with freeze_time("2030-05-05 10:00:00"):
        assert clock.now() == dt.datetime(2030, 5, 5, 10, tzinfo=dt.UTC)
    assert clock.now().year < 2030


def test_unix_rounds_down() -> None:
    assert unix(T0 + dt.timedelta(seconds=1.9)) == unix(T0) + 1
