"""Pact's core sends usage telemetry unless told not to: these tests tell it not to."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def pact_do_not_track(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PACT_DO_NOT_TRACK=true`` for every test here and the processes it starts."""
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
