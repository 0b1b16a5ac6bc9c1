"""The per-app-instance state object handed to every layer (no module globals)."""

from __future__ import annotations

import threading
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .clock import ControllableClock, unix
from .config import MockConfig
from .faults import Faults
from .ids import Ids
from .journal import Journal
from .models import App
from .outbox import Outbox
from .spec import Spec
from .store import Store
from .tokens import KeySet
from .validation import Validators

MAX_CRASHES = 100
MAX_TRACEBACK_CHARS = 8192


@dataclass
class MockState:
    """Everything one fake instance owns."""

    config: MockConfig
    clock: ControllableClock
    store: Store
    ids: Ids
    keys: KeySet
    outbox: Outbox
    journal: Journal
    spec: Spec
    validators: Validators
    crashes: deque[BaseException] = field(default_factory=lambda: deque(maxlen=MAX_CRASHES))
    crash_lock: threading.Lock = field(default_factory=threading.Lock)
    faults: Faults = field(default_factory=Faults)
    seed: dict[str, Any] | None = None  # the seed document, applied again by a full reset

    def now(self) -> float:
        """The fake's time as unix seconds (float, for expiry comparisons)."""
        return self.clock.now().timestamp()

    def now_ts(self) -> int:
        """The fake's time as whole unix seconds (the API's timestamps)."""
        return unix(self.clock.now())

    def default_app(self) -> App:
        """The app configured at start-up."""
        app = self.store.get_app(self.config.app_id)
        if app is None:
            raise LookupError("the default app was deleted")
        return app

    def record_crash(self, error: BaseException) -> None:
        """Remember an unexpected exception so a test fixture can re-raise it.

        Bounded: the newest :data:`MAX_CRASHES` are kept, each with its traceback as text and
        without its frames (which would keep every request body they saw alive).
        """
        text = "".join(traceback.format_exception(error))[-MAX_TRACEBACK_CHARS:]
        error = error.with_traceback(None)
        error.__context__ = error.__cause__ = None
        error.add_note(f"server-side traceback (last {MAX_TRACEBACK_CHARS} characters):\n{text}")
        with self.crash_lock:
            self.crashes.append(error)

    def take_crashes(self) -> list[BaseException]:
        """Return and forget the recorded crashes."""
        with self.crash_lock:
            crashes = list(self.crashes)
            self.crashes.clear()
            return crashes
