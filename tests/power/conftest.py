"""The power run's summary: how many broken variants the conformance suite caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.power.runner import POWER_KEY, PowerReport

REPORT = Path("reports") / "power-summary.md"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the kills (when the power tests ran) and write them to reports/power-summary.md."""
    report: PowerReport | None = config.stash.get(POWER_KEY, None)
    if report is None:
        return
    terminalreporter.section("conformance suite power")
    for line in report.lines():
        terminalreporter.write_line(line)
    path = Path(config.rootpath) / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.markdown(), encoding="utf-8")
    terminalreporter.write_line(f"written to {path}")
