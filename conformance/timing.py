"""Bringing the target to a moment: the fake's clock control, or real waiting (opt-in).

On moonkey-mock with the ``clock`` control the suite freezes the fake's clock, jumps it to the
moment a test needs and puts it back afterwards. On any other target a time-dependent test waits
for real, which takes minutes (a session lasts at least 5), so it runs only with
``--moonkey-real-time``.
"""

from __future__ import annotations

import time
from typing import Any

from conformance.client import ApiClient
from conformance.target import Target

MARGIN_SECONDS = 2.0


class TimeTravel:
    """Moves the target to given unix times.

    Args:
        target: the target (uses its ``clock`` control when it has one).
        api: a client, to read the target's time from its responses.
    """

    def __init__(self, target: Target, api: ApiClient) -> None:
        self.target = target
        self.api = api
        self.uses_clock = target.has("clock")
        self._saved: dict[str, Any] | None = None

    @property
    def mode(self) -> str:
        """``clock`` or ``real``."""
        return "clock" if self.uses_clock else "real"

    def start(self) -> None:
        """Freeze the fake's clock (so expiry maths is exact); no-op in real mode."""
        if self.uses_clock:
            self._saved = dict(self.target.control.call("GET", "clock"))
            self.target.control.freeze()

    def finish(self) -> None:
        """Put the fake's clock back as it was."""
        if not self.uses_clock or self._saved is None:
            return
        saved, self._saved = self._saved, None
        if saved.get("frozen"):
            self.target.control.set_time(float(saved["now"]), freeze=True)
        else:
            self.target.control.reset_clock()

    def now(self) -> float:
        """The target's current time (the fake's header, or the HTTP ``Date``)."""
        probe = self.api.get("/v1/auth/jwks/default")
        stamp = probe.server_now()
        if stamp is None:
            raise RuntimeError("the target's responses carry no Date header to read its time")
        return stamp

    def before(self, moment: float) -> None:
        """Bring the target just before ``moment``: 1 s before (clock), 2 s before (real)."""
        self._go(moment - (1.0 if self.uses_clock else MARGIN_SECONDS))

    def at(self, moment: float) -> None:
        """Bring the target to ``moment``: exactly (clock), or 2 s past it (real)."""
        self._go(moment if self.uses_clock else moment + MARGIN_SECONDS)

    def _go(self, goal: float) -> None:
        if self.uses_clock:
            self.target.control.set_time(goal, freeze=True)
            return
        delay = goal - self.now()
        if delay > 0:
            # A real deployment's clock can't be moved: the suite really waits (opt-in).
            time.sleep(delay)  # noqa: TID251
