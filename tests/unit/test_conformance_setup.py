"""Set-up mistakes end a conformance run at once, with one message (issue 19).

Each test runs the installed ``moonkey-mock conformance`` command (or pytest with the plugin) as a
user would, against ``moonkey-mock serve --no-control`` (a real deployment's view), a web server
that is not MoonKey, or a closed port. A mistake must end the run in under 10 s, in at most 40
lines, with pytest's usage-error exit status (4). "Under 10 s" is measured as the CPU time of
the command and its children (on an idle machine the same as the wall time; CI machines shared by
many jobs stretch wall time several-fold), with a one-minute wall-time guard against hangs.
"""

from __future__ import annotations

import http.server
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.client import ApiClient, KeyRefused
from conformance.report import FAILED, PASSED, SKIPPED, RuleReport

USAGE_ERROR = 4
MAX_SECONDS = 10.0
MAX_WALL_SECONDS = 60.0
MAX_LINES = 40
START_TIMEOUT = 30.0
RUN_TIMEOUT = 120
NO_CONTROL_SKIP = "test_error_envelope_on_injected_fault"  # needs the 'faults' control
NEEDS_CODE = "test_verify_otp_with_session_expires_in"  # logs a user in by email OTP


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOONKEY_MOCK_")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def _moonkey_mock() -> list[str]:
    """The installed console script next to this interpreter (else ``python -m mock_server``)."""
    script = Path(sys.executable).parent / "moonkey-mock"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


@dataclass(frozen=True)
class Run:
    """One finished command."""

    status: int
    output: str
    seconds: float
    cpu_seconds: float

    @property
    def lines(self) -> list[str]:
        return self.output.splitlines()


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: Path) -> Run:
    cpu = _cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    seconds = time.perf_counter() - started
    return Run(done.returncode, done.stdout + done.stderr, seconds, _cpu_of_children() - cpu)


def conformance(cwd: Path, *args: str) -> Run:
    """``moonkey-mock conformance ARGS`` in ``cwd``."""
    return _run([*_moonkey_mock(), "conformance", *args], cwd)


def assert_setup_error(run: Run, message: str) -> None:
    """One short usage error, fast, naming the cause."""
    assert run.status == USAGE_ERROR, run.output
    assert len(run.lines) <= MAX_LINES, run.output
    assert run.cpu_seconds < MAX_SECONDS, f"{run.cpu_seconds:.1f}s CPU\n{run.output}"
    assert run.seconds < MAX_WALL_SECONDS, f"{run.seconds:.1f}s\n{run.output}"
    assert message in run.output, run.output
    assert "Traceback" not in run.output


@dataclass
class Served:
    """A ``moonkey-mock serve`` process: its URL, key and console log."""

    url: str
    key: str
    log: Path


@pytest.fixture(scope="module")
def no_control(tmp_path_factory: pytest.TempPathFactory, signing_key_file: str) -> Iterator[Served]:
    """``moonkey-mock serve --no-control`` on a free port; its console log holds the codes."""
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {**_env(), "MOONKEY_MOCK_SIGNING_KEY_FILE": signing_key_file}
    with log.open("w") as out:
        process = subprocess.Popen(
            [*_moonkey_mock(), "serve", "--port", "0", "--no-control"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        url = key = ""
        deadline = time.monotonic() + START_TIMEOUT
        pause = threading.Event()
        while not (url and key) and time.monotonic() < deadline and process.poll() is None:
            text = log.read_text()
            url = next(iter(re.findall(r"listening on (http://\S+)", text)), "")
            key = next(iter(re.findall(r"secret key:\s+(\S+)", text)), "")
            pause.wait(0.05)
        assert url, log.read_text()
        assert key, log.read_text()
        yield Served(url, key, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def not_moonkey() -> Iterator[str]:
    """A tiny local web server that is not MoonKey (answers 404/501 in HTML)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> str:
    """A loopback URL on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- moonkey-mock conformance ----------------------------------------------------------------
def test_conformance_wrong_api_key_is_one_usage_error(no_control: Served, tmp_path: Path) -> None:
    run = conformance(tmp_path, "--target", no_control.url, "--api-key", "sk_test_" + "x" * 48)
    assert_setup_error(run, "was refused by")
    assert "pass the secret key" in run.output


def test_conformance_public_token_as_key_names_the_fix(no_control: Served, tmp_path: Path) -> None:
    run = conformance(tmp_path, "--target", no_control.url, "--api-key", "pk_test_" + "x" * 48)
    assert_setup_error(run, "that is the app's public token; pass its secret key")


def test_conformance_target_that_is_not_moonkey(not_moonkey: str, tmp_path: Path) -> None:
    run = conformance(tmp_path, "--target", not_moonkey, "--api-key", "sk_test_k")
    assert_setup_error(run, "does not look like the MoonKey API")


def test_conformance_closed_port(closed_port: str, tmp_path: Path) -> None:
    run = conformance(tmp_path, "--target", closed_port, "--api-key", "sk_test_k")
    assert_setup_error(run, f"cannot reach the target {closed_port}: Connection refused")


def test_conformance_url_without_scheme_shows_the_fix(tmp_path: Path) -> None:
    run = conformance(tmp_path, "--target", "127.0.0.1:8080", "--api-key", "sk_test_k")
    assert_setup_error(run, "did you mean 'http://127.0.0.1:8080'?")


def test_conformance_api_key_without_target_is_an_error(tmp_path: Path) -> None:
    run = conformance(tmp_path, "--api-key", "sk_test_k")
    assert run.status == 2
    assert "--api-key needs --target URL" in run.output


def test_conformance_help_lists_the_suite_options(tmp_path: Path) -> None:
    run = conformance(tmp_path, "--help")
    assert run.status == 0
    for option in ("--moonkey-fail-on-skip", "--moonkey-code-command", "--moonkey-report"):
        assert option in run.output
    assert "-p MODULE" in run.output


def test_conformance_loads_the_read_code_hook_from_the_working_directory(
    no_control: Served, tmp_path: Path
) -> None:
    """The documented hook, in ./conftest.py, supplies the codes of a target without outbox."""
    used = tmp_path / "hook-used"
    (tmp_path / "conftest.py").write_text(
        "from pathlib import Path\n"
        "from conformance.log_reader import newest\n\n\n"
        "def pytest_moonkey_read_code(to, kind, target):\n"
        f"    Path({str(used)!r}).write_text(to)\n"
        f"    return newest(Path({str(no_control.log)!r}).read_text().splitlines(), to, kind)\n"
    )
    run = conformance(
        tmp_path, "--target", no_control.url, "--api-key", no_control.key, "--no-schema",
        "-k", NEEDS_CODE, "--junitxml", "junit.xml",
    )  # fmt: skip
    assert run.status == 0, run.output
    assert "1 of 1 rules checked: 1 passed" in run.output
    assert used.exists()
    junit = (tmp_path / "junit.xml").read_text()
    assert 'classname="test_session_issue"' in junit  # no site-packages path
    assert "no code reader" not in run.output


def test_conformance_without_code_reader_says_so_once_at_the_start(
    no_control: Served, tmp_path: Path
) -> None:
    run = conformance(
        tmp_path, "--target", no_control.url, "--api-key", no_control.key, "--no-schema",
        "-k", NEEDS_CODE,
    )  # fmt: skip
    assert run.status == 0, run.output
    notices = [line for line in run.lines if "no code reader" in line]
    assert len(notices) == 1, run.output
    assert "up to 1 of 1 rules" in notices[0]
    assert "0 of 1 rules checked" in run.output


def test_conformance_fail_on_skip_fails_a_run_with_skips(
    no_control: Served, tmp_path: Path
) -> None:
    base = ["--target", no_control.url, "--api-key", no_control.key, "--no-schema"]
    lenient = conformance(tmp_path, *base, "-k", NO_CONTROL_SKIP)
    assert lenient.status == 0, lenient.output
    strict = conformance(tmp_path, *base, "-k", NO_CONTROL_SKIP, "--moonkey-fail-on-skip")
    assert strict.status == 1, strict.output
    assert "0 of 1 rules checked" in strict.output
    assert "--moonkey-fail-on-skip: skipped rules fail the run" in strict.output


# --- the plugin's external fake --------------------------------------------------------------
def _plugin_run(tmp_path: Path, url: str) -> Run:
    (tmp_path / "test_app.py").write_text(
        "def test_uses_the_fake(moonkey_mock):\n    assert moonkey_mock.secret_key\n\n\n"
        "def test_again(moonkey_mock):\n    assert moonkey_mock.public_token\n"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"]
    return _run([*command, "--moonkey-mock-url", url], tmp_path)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("no_scheme", "did you mean 'http://127.0.0.1:8080'?"),
        ("closed_port", "Connection refused. Start one with 'moonkey-mock serve'"),
        ("not_moonkey", "is not a moonkey-mock fake"),
        ("no_control", "answered 404: start it without --no-control"),
    ],
)
def test_plugin_external_url_mistake_is_one_usage_error(
    request: pytest.FixtureRequest, tmp_path: Path, where: str, message: str
) -> None:
    if where == "no_scheme":
        url = "127.0.0.1:8080"
    elif where == "no_control":
        url = request.getfixturevalue("no_control").url
    else:
        url = request.getfixturevalue(where)
    assert_setup_error(_plugin_run(tmp_path, url), message)


# --- no vacuous pass, the summary ------------------------------------------------------------
def test_api_client_raises_when_the_suite_key_is_refused(no_control: Served) -> None:
    """A rule whose own-key request is refused errs instead of passing (or failing the rule)."""
    client = ApiClient(no_control.url, "sk_test_" + "y" * 48)
    try:
        with pytest.raises(KeyRefused, match="refused the suite's secret key"):
            client.get("/v1/auth/jwks/default")
        no_key = client.call("GET", "/v1/auth/jwks/default", key=None)
        assert no_key.status == 401  # a rule that sends no key on purpose still gets its answer
    finally:
        client.close()


def test_summary_counts_checked_rules_and_sorts_naturally() -> None:
    report = RuleReport()
    report.record("D10: later", "t10", PASSED)
    report.record("D2: earlier", "t2", PASSED)
    report.record("D3: skipped", "t3", SKIPPED, "needs the 'clock' control")
    report.record("D4: partly", "t4a", FAILED)
    report.record("D4: partly", "t4b", SKIPPED, "needs a public token")
    report.cleanup_problems.append("DeleteUser user_x: 500")
    lines = report.lines()
    assert [line.split()[1] for line in lines[:4]] == ["D4:", "D3:", "D2:", "D10:"]
    assert "3 of 4 rules checked: 2 passed, 1 failed; 1 skipped" in lines[4]
    assert "(and 1 checked only in part)" in lines[4]
    assert lines[5] == "could not delete: DeleteUser user_x: 500"


# --- clean-up after failures and interrupts --------------------------------------------------
INTERRUPT_PLUGIN = """
import pytest


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if "test_list_sessions_only_active_of_that_user" in item.nodeid:
        raise KeyboardInterrupt
"""


@pytest.mark.parametrize("ending", ["failure", "interrupt"])
def test_conformance_deletes_its_users_after_a_failure_or_an_interrupt(
    tmp_path: Path, signing_key_file: str, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    """Users created before the run ended badly are deleted; the summary has the totals."""
    from conformance.server import MockServer
    from mock_server import MockConfig
    from tests.power.variants import list_includes_deleted

    if ending == "failure":
        list_includes_deleted(monkeypatch)  # the ListSessions rule fails against this fake
    (tmp_path / "stop_here.py").write_text(INTERRUPT_PLUGIN)
    config = MockConfig(signing_key_file=signing_key_file, strict=False)
    with MockServer(config) as server:
        app = server.state.default_app()
        command = [
            sys.executable, "-m", "pytest", str(Path(conformance_dir(), "test_session_list.py")),
            "-p", "no:cacheprovider", "--moonkey-target", server.url,
            "--moonkey-api-key", app.secret_keys[0], "-k", "only_active or unknown_user",
        ]  # fmt: skip
        if ending == "interrupt":
            command[4:4] = ["-p", "stop_here"]
        run = _run(command, tmp_path)
        left = server.state.store.users(app.app_id)
    assert run.status == (1 if ending == "failure" else 2), run.output
    assert left == [], [user.user_id for user in left]
    if ending == "failure":
        assert "of 2 rules checked: 1 passed, 1 failed" in run.output


def conformance_dir() -> Path:
    import conformance

    return Path(conformance.__file__).resolve().parent


# --- module structure ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("mock_server.cli", "conformance"),  # `moonkey-mock conformance` loads it on demand
        ("conformance.checks", "conformance.schema"),  # no cycle: both use spec_facts
    ],
)
def test_module_does_not_import(module: str, absent: str) -> None:
    code = f"import sys, {module}; print({absent!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()
    )
    assert done.stdout.strip() == "False"
