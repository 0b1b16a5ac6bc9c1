"""`python -m mock_server serve`: both servers, URL and keys printed, clean exit on bad input."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mock_server.config import DEFAULT_SECRET_KEY, MockConfig

TIMEOUT = 30


def _env(**extra: str) -> dict[str, str]:
    """The current environment without MOONKEY_MOCK_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOONKEY_MOCK_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


class Server:
    """A ``python -m mock_server serve`` child process whose stdout is read line by line."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "mock_server", "serve", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait for a stdout line matching ``pattern``."""
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {TIMEOUT}s")
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> None:
        """Terminate the child and close its pipes."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture(params=["native", "waitress"])
def server(signing_key_file: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The fake on a free port under each server (a shared key file keeps start-up fast)."""
    env = _env(MOONKEY_MOCK_SIGNING_KEY=signing_key_file)
    child = Server("--port", "0", "--server", request.param, env=env)
    yield child
    child.stop()


def test_serve_prints_base_url_and_keys_and_answers(server: Server) -> None:
    url = server.expect(r"listening on (http://127\.0\.0\.1:(\d+))$")
    base, port = url.group(1), int(url.group(2))
    assert port > 0
    app_id = server.expect(r"app_id:\s+(app_\S+)").group(1)
    secret = server.expect(r"secret key:\s+(sk_test_\S+)").group(1)
    assert server.expect(r"public token:\s+(pk_test_\S+)")
    assert server.expect(r"dashboard:\s+(\S+)$").group(1) == f"{base}/_mock/ui"
    assert secret == DEFAULT_SECRET_KEY
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {secret}"
        jwks = http.get(f"{base}/v1/auth/jwks/{app_id}", timeout=TIMEOUT)
        assert jwks.status_code == 200
        assert jwks.json()["keys"][0]["kid"].startswith("jwk_")
        sent = http.post(
            f"{base}/v1/auth/otps/email/login_or_create",
            json={"email": "user@example.com"},
            timeout=TIMEOUT,
        )
        assert sent.status_code == 200
        # the README's "code from the fake's console"
        code = server.expect(r"\[outbox\] otp by email to user@example\.com: code (\d{6})")
        verify = http.post(
            f"{base}/v1/auth/otps/verify",
            json={"email": "user@example.com", "code": code.group(1)},
            timeout=TIMEOUT,
        )
        assert verify.status_code == 200
        assert verify.json()["session_token"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MOONKEY_MOCK_PORT", "abc", "MOONKEY_MOCK_PORT: expected an integer"),
        ("MOONKEY_MOCK_PORT", "70000", "MOONKEY_MOCK_PORT: must be 0..65535, got 70000"),
        ("MOONKEY_MOCK_STRICT", "maybe", "MOONKEY_MOCK_STRICT: expected a boolean, got 'maybe'"),
        ("MOONKEY_MOCK_THREADS", "0", "MOONKEY_MOCK_THREADS: must be at least 1"),
        ("MOONKEY_MOCK_SECRET_KEY", "secret", "must start with sk_test_ or sk_live_"),
        ("MOONKEY_MOCK_SIGNING_KEY", "missing.pem", "cannot start: [Errno 2]"),
    ],
)
def test_serve_bad_environment_value_exits_cleanly(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    if value.endswith(".pem"):
        value = str(tmp_path / value)
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve"],
        env=_env(**{name: value}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout


def test_serve_bad_port_flag_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "eighty"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid int value: 'eighty'" in result.stderr
    assert "Traceback" not in result.stderr


# --- the settings the CLI builds (in-process) ------------------------------------------


def test_config_from_env_reads_and_coerces_variables() -> None:
    env = {"MOONKEY_MOCK_PORT": "9000", "MOONKEY_MOCK_STRICT": "yes", "MOONKEY_MOCK_HOST": ""}
    config = MockConfig.from_env(env)
    assert (config.port, config.strict, config.host) == (9000, True, "127.0.0.1")


def test_config_keywords_win_over_env() -> None:
    config = MockConfig.from_env({"MOONKEY_MOCK_PORT": "9000"}, port=0, strict=None)
    assert (config.port, config.strict) == (0, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": -1}, "MOONKEY_MOCK_PORT: must be 0..65535"),
        ({"max_body_bytes": 0}, "MOONKEY_MOCK_MAX_BODY_BYTES: must be at least 1"),
        ({"otp_max_attempts": 0}, "MOONKEY_MOCK_OTP_MAX_ATTEMPTS: must be at least 1"),
        ({"public_token": "sk_test_x"}, "MOONKEY_MOCK_PUBLIC_TOKEN: must start with pk_"),
        ({"app_id": "myapp"}, "MOONKEY_MOCK_APP_ID: must start with app_"),
    ],
)
def test_config_refuses_values_the_server_cannot_run_with(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        MockConfig().with_(**changes)
