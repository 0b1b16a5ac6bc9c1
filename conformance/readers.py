"""Where the suite gets the passcodes and magic-link tokens a target "sends".

Three sources, first match wins:

1. the ``pytest_moonkey_read_code(to, kind, target)`` hook, implemented in the user's conftest
   (for example reading a test inbox);
2. ``--moonkey-code-command CMD``: ``CMD <to> <kind>`` prints the newest code or token;
3. the fake's outbox (``GET /_mock/outbox``) when the target offers the ``outbox`` control,
   or directly when the suite started the fake in-process.

``kind`` is ``otp`` (a passcode) or ``magic_link`` (a magic-link token). A reader returns the
newest one; the suite waits until it differs from the one it read before for that address.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from conformance.target import Target

WAIT_SECONDS = 10.0
POLL_SECONDS = 0.1
COMMAND_TIMEOUT = 10.0

Source = Callable[[str, str], tuple[str, str] | None]


class NoCodeReader(LookupError):
    """No source of codes is available for this target."""


class CodeNotFound(LookupError):
    """The reader found no new code for an address in time."""


class CodeReader:
    """Reads the newest code or token sent to an address.

    Args:
        target: the target (its outbox control is the fallback source).
        hook: the pytest hook caller of ``pytest_moonkey_read_code`` when a conftest implements it.
        command: the ``--moonkey-code-command`` command line.
    """

    def __init__(
        self, target: Target, *, hook: Callable[..., Any] | None, command: str | None
    ) -> None:
        self.target = target
        self.source_name, self._source = self._choose(hook, command)
        self._seen: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def _choose(
        self, hook: Callable[..., Any] | None, command: str | None
    ) -> tuple[str, Source | None]:
        if hook is not None:
            return "the pytest_moonkey_read_code hook", self._from_hook(hook)
        if command:
            return f"--moonkey-code-command {command!r}", self._from_command(command)
        if self.target.has("outbox"):
            return "the fake's outbox (/_mock/outbox)", self._from_outbox
        if self.target.server is not None:
            return "the in-process fake's outbox", self._from_state
        return "none", None

    @property
    def available(self) -> bool:
        """Whether any source can read codes."""
        return self._source is not None

    def missing(self) -> str:
        """The skip reason of a test that needs a code while no source exists."""
        return (
            "needs the passcodes the target sends: implement the pytest_moonkey_read_code(to, "
            "kind, target) hook in a conftest, pass --moonkey-code-command, or use a target "
            "with the 'outbox' control"
        )

    def read(self, to: str, kind: str = "otp", wait: float = WAIT_SECONDS) -> str:
        """The newest ``kind`` sent to ``to`` that this reader has not returned before."""
        if self._source is None:
            raise NoCodeReader(self.missing())
        key = (to.lower(), kind)
        deadline = time.monotonic() + wait
        pause = threading.Event()
        while True:
            found = self._source(to, kind)
            with self._lock:
                if found is not None and found[0] != self._seen.get(key):
                    self._seen[key] = found[0]
                    return found[1]
            if time.monotonic() >= deadline:
                raise CodeNotFound(f"no new {kind} for {to} from {self.source_name} in {wait}s")
            pause.wait(POLL_SECONDS)

    def _from_hook(self, hook: Callable[..., Any]) -> Source:
        def read(to: str, kind: str) -> tuple[str, str] | None:
            value = hook(to=to, kind=kind, target=self.target)
            return (str(value), str(value)) if value else None

        return read

    def _from_command(self, command: str) -> Source:
        argv = shlex.split(command)

        def read(to: str, kind: str) -> tuple[str, str] | None:
            env = {**os.environ, "MOONKEY_CODE_TO": to, "MOONKEY_CODE_KIND": kind}
            done = subprocess.run(  # noqa: S603 - the user's own command, by design
                [*argv, to, kind],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                env=env,
                check=False,
            )
            value = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
            return (value, value) if done.returncode == 0 and value else None

        return read

    def _from_outbox(self, to: str, kind: str) -> tuple[str, str] | None:
        messages = self.target.control.outbox(to, kind=kind)
        if not messages:
            return None
        newest = messages[0]
        value = newest.get("code") if kind == "otp" else newest.get("token")
        return (str(newest.get("id")), str(value)) if value else None

    def _from_state(self, to: str, kind: str) -> tuple[str, str] | None:
        server = self.target.server
        messages = server.state.outbox.messages(to=to, kind=kind) if server else []
        if not messages:
            return None
        newest = messages[0]
        value = newest.code if kind == "otp" else newest.token
        return (newest.message_id, value) if value else None
