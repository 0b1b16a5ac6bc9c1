"""The conformance suite's own tools: failures, the per-rule report, the log reader, the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import command, log_reader
from conformance.client import Exchange
from conformance.expect import ConformanceFailure, Expect, envelope_problems
from conformance.report import DIFFERS, FAILED, PASSED, SKIPPED, RuleReport

GOOD = {
    "status_code": 401,
    "error_type": "invalid_session",
    "error_message": "Session not found or has expired",
    "error": {"code": "invalid_session", "message": "Session not found or has expired"},
}


def _exchange(status: int, body: object) -> Exchange:
    return Exchange(
        "POST", "/v1/auth/sessions/verify", {}, {"session_token": "a" * 64}, status, body
    )


def test_envelope_problems_accepts_the_d9_envelope() -> None:
    assert envelope_problems(401, GOOD) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({k: v for k, v in GOOD.items() if k != "error"}, "'error' is missing"),
        ({**GOOD, "status_code": 400}, "status_code 400 != HTTP status 401"),
        ({**GOOD, "error": {"code": "other", "message": GOOD["error_message"]}}, "'error' is not"),
        ("Unauthorized", "not a JSON object"),
    ],
)
def test_envelope_problems_names_each_defect(body: object, problem: str) -> None:
    assert any(problem in found for found in envelope_problems(401, body))


def test_conformance_failure_names_rule_expectation_and_request() -> None:
    with pytest.raises(ConformanceFailure) as caught:
        Expect("D13: one identifier").error(_exchange(200, {"message": "ok"}), 404, "x")
    text = str(caught.value)
    assert "[D13: one identifier]" in text
    assert "expected: HTTP 404 x" in text
    assert "observed: HTTP 200" in text
    assert "POST /v1/auth/sessions/verify" in text
    assert "a" * 13 not in text  # the token is shortened


def test_rule_report_failure_wins_and_skips_keep_reasons(tmp_path: Path) -> None:
    report = RuleReport()
    report.record("R1", "t1", PASSED)
    report.record("R1", "t1", FAILED)
    report.record("R2", "t2", SKIPPED, "needs the 'clock' control")
    report.record("R3", "t3", PASSED)
    assert [r.status for r in report.ordered()] == [FAILED, SKIPPED, PASSED]
    assert report.totals() == {PASSED: 1, FAILED: 1, DIFFERS: 0, SKIPPED: 1}
    assert "needs the 'clock' control" in report.lines()[1]
    report.write(tmp_path / "out" / "summary.md")
    assert "| failed | R1 |  | 1 failed: t1 |" in (tmp_path / "out" / "summary.md").read_text()


def test_log_reader_finds_the_newest_code_and_token() -> None:
    lines = [
        "moonkey-mock listening on http://127.0.0.1:8080",
        "[outbox] otp by email to Ada@Example.com: code 111111",
        "[outbox] otp by email to bob@example.com: code 222222",
        "[outbox] otp by email to ada@example.com: code 333333",
        "[outbox] magic_link by email to ada@example.com: link http://x/auth?token=TOKEN48&a=b",
    ]
    assert log_reader.newest(lines, "ada@example.com", "otp") == "333333"
    assert log_reader.newest(lines, "ada@example.com", "magic_link") == "TOKEN48"
    assert log_reader.newest(lines, "eve@example.com", "otp") is None


def test_log_reader_command_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "server.log"
    log.write_text("[outbox] otp by sms to +14155550123: code 424242\n")
    assert log_reader.main([str(log), "+14155550123", "otp"]) == 0
    assert capsys.readouterr().out.strip() == "424242"
    assert log_reader.main([str(log), "+14155550000", "otp"]) == 1
    assert log_reader.main([str(log)]) == 2


def test_command_translates_its_options_and_passes_the_rest() -> None:
    args = command.pytest_args(["--target", "http://t", "--api-key", "sk_test_k", "-k", "jwt"])
    assert args[0] == str(command.SUITE)
    assert args[args.index("--moonkey-target") + 1] == "http://t"
    assert args[args.index("--moonkey-api-key") + 1] == "sk_test_k"
    assert args[-2:] == ["-k", "jwt"]
    assert "--ignore" in command.pytest_args(["--no-schema"])


def test_rule_report_counts_decision_differences_apart() -> None:
    """Off the fake, a failed decision rule is a difference (DIFF), not a failure."""
    report = RuleReport()
    report.record("published", "t1", FAILED)
    report.record("T2 window", "t2", FAILED)
    report.decide("T2 window", "T2")
    assert report.totals()[FAILED] == 2
    report.real_target = True
    assert report.totals() == {PASSED: 0, FAILED: 1, DIFFERS: 1, SKIPPED: 0}
    assert "1 failed, 1 differ from moonkey-mock's decisions" in report.totals_line()
    assert any(
        line.startswith("DIFF  T2 window") and "decision T2" in line for line in report.lines()
    )
