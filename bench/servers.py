"""Server processes under test: the fake (``python -m mock_server serve``) and the floor.

Each runs as its own process bound to 127.0.0.1, so its CPU time can be read from
``/proc/<pid>/stat`` around a measurement. The fake's console (which prints every passcode it
"sends") is read by a thread, so seeding can log users in without the control API.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from .client import HOST, Http

ROOT = Path(__file__).resolve().parent.parent
# Found anywhere in a line: prints from several server threads may share one line.
OUTBOX_CODE = re.compile(r"\[outbox\] otp by \w+ to ([^\s:]+): code (\d+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def child_env() -> dict[str, str]:
    """This environment without ``MOONKEY_MOCK_*``: servers run with their defaults."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MOONKEY_MOCK_")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat.rpartition(")")[2].split()
    # After the command name: state is field 3, utime field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def fake_argv(port: int, threads: int, server: str = "native") -> list[str]:
    """The fake as ``moonkey-mock serve`` runs it (``server``: native, the default, or
    waitress), seeded for repeatable ids."""
    return [
        *(sys.executable, "-m", "mock_server", "serve", "--host", HOST, "--port", str(port)),
        *("--random-seed", "1", "--threads", str(threads)),
        *(() if server == "native" else ("--server", server)),  # native: serve's default
    ]


def floor_argv(port: int, threads: int, key: str, body_file: Path) -> list[str]:
    """The floor app under waitress with the same thread count."""
    return [
        *(sys.executable, "-m", "bench.floor_app", "--port", str(port), "--threads", str(threads)),
        *("--key", key, "--body-file", str(body_file)),
    ]


class Server:
    """A server process on 127.0.0.1 whose console is read line by line.

    Args:
        argv: the command (``fake_argv`` or ``floor_argv``).
        port: the port it was told to bind.
    """

    def __init__(self, argv: list[str], port: int) -> None:
        self.port = port
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            argv,
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.tail: deque[str] = deque(maxlen=40)
        self._codes: dict[str, str] = {}
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = OUTBOX_CODE.findall(line)
            if not found:
                self.tail.append(line.rstrip())
                continue
            with self._changed:
                self._codes.update(found)
                self._changed.notify_all()

    def code_for(self, to: str, timeout: float = 5.0) -> str | None:
        """The passcode the server printed for ``to`` (consumed; waits up to ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: to in self._codes, timeout)
            return self._codes.pop(to, None)

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far."""
        return cpu_seconds(self.pid)

    def wait_ready(
        self, path: str, key: str | None, data: bytes | None = None, timeout: float = 30.0
    ) -> float:
        """Poll ``path`` (GET, or POST ``data``) until it answers 200; seconds since spawn."""
        stop = threading.Event()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                break
            client = Http(self.port, key, timeout=5)
            try:
                status, _ = client.raw("GET" if data is None else "POST", path, data)
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            finally:
                client.close()
            stop.wait(0.002)
        self.stop()
        output = "\n".join(self.tail)
        raise RuntimeError(f"server on port {self.port} never answered 200 on {path}:\n{output}")

    def stop(self) -> None:
        """Terminate the process (kill it if it does not exit within 5 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(2)
        if self.proc.stdout is not None and not self._reader.is_alive():
            self.proc.stdout.close()
