"""The power run's summary: how many broken variants the conformance suite caught."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.power.runner import load

REPORT = Path("reports") / "power-summary.md"
OUTCOMES = Path("reports") / "power"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Forget the last run's outcomes (the controller only; xdist workers write new ones)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(Path(session.config.rootpath) / OUTCOMES, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the kills (when the power tests ran) and write them to reports/power-summary.md."""
    folder = Path(config.rootpath) / OUTCOMES
    if hasattr(config, "workerinput") or not folder.is_dir():
        return
    report = load(folder)
    terminalreporter.section("conformance suite power")
    for line in report.lines():
        terminalreporter.write_line(line)
    path = Path(config.rootpath) / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.markdown(), encoding="utf-8")
    terminalreporter.write_line(f"written to {path}")
