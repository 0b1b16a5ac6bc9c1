"""Serve a (possibly broken) fake and run the conformance suite's behaviour tests against it.

The suite runs in a child ``pytest`` process pointed at the served fake with ``--moonkey-target``,
exactly as a user checks a deployment; its JUnit XML says which tests failed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import conformance
from conformance.server import MockServer
from mock_server import MockConfig
from tests.power.variants import Variant

SUITE = Path(conformance.__file__).resolve().parent
RUN_TIMEOUT = 300
UNBROKEN = "unbroken"


@dataclass
class Outcome:
    """What the suite said about one fake."""

    name: str
    passed: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

    @property
    def killed(self) -> bool:
        """At least one conformance test failed."""
        return bool(self.failed)


@dataclass
class PowerReport:
    """The baseline and every variant's outcome."""

    baseline: Outcome | None = None
    variants: list[Outcome] = field(default_factory=list)

    @property
    def killed(self) -> int:
        """How many variants the suite caught."""
        return sum(1 for v in self.variants if v.killed)

    def lines(self) -> list[str]:
        """The terminal summary."""
        out = []
        if self.baseline is not None:
            b = self.baseline
            state = "passes" if not b.failed else f"FAILS {len(b.failed)}"
            out.append(f"unbroken fake: {state} ({b.passed} passed, {b.skipped} skipped)")
        for v in self.variants:
            caught = (
                f"killed by {len(v.failed)} test(s), e.g. {v.failed[0]}" if v.killed else "SURVIVED"
            )
            out.append(f"  {v.name}: {caught} [{v.seconds:.1f}s]")
        out.append(f"killed {self.killed}/{len(self.variants)} broken variants")
        return out

    def markdown(self) -> str:
        """The summary as Markdown."""
        rows = [
            f"| {v.name} | {'killed' if v.killed else 'survived'} | {', '.join(v.failed[:5])} |"
            for v in self.variants
        ]
        head = [
            "# Conformance suite power",
            "",
            f"Killed {self.killed}/{len(self.variants)} broken variants of the fake.",
            "",
            "| Variant | Result | Failing tests (first 5) |",
            "|---|---|---|",
        ]
        return "\n".join(head + rows) + "\n"


def run_suite(
    name: str,
    server: MockServer,
    workdir: Path,
    files: tuple[str, ...] = (),
    markers: str = "not hygiene",
) -> Outcome:
    """Run the behaviour tests of the suite (or ``files`` of it) against ``server``.

    ``markers`` is the ``-m`` expression: by default the hygiene rules are left out, as the served
    fake is a test double on purpose (its ``/_mock/`` and default keys are expected).
    """
    app = server.state.default_app()
    xml = workdir / f"{name.replace(' ', '_')}.xml"
    where = [str(SUITE / f) for f in files] or [
        str(SUITE),
        "--ignore",
        str(SUITE / "test_schema.py"),
    ]
    command = [
        sys.executable, "-m", "pytest", *where,
        "--moonkey-target", server.url,
        "--moonkey-api-key", app.secret_keys[0],
        "--moonkey-public-token", app.public_token,
        "--moonkey-report", str(workdir / "summary.md"),
        "--junitxml", str(xml),
        "-q", "-p", "no:cacheprovider",
        *(("-m", markers) if markers else ()),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False, cwd=workdir
    )
    outcome = Outcome(name, seconds=time.perf_counter() - started, output=done.stdout[-4000:])
    if not xml.exists():
        outcome.failed.append(
            f"the suite did not run: {done.stderr[-2000:] or done.stdout[-2000:]}"
        )
        return outcome
    for case in ET.parse(xml).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome.failed.append(case.get("name", "?"))
        elif case.find("skipped") is not None:
            outcome.skipped += 1
        else:
            outcome.passed += 1
    return outcome


def serve_and_run(
    name: str,
    variant: Variant | None,
    config: MockConfig,
    workdir: Path,
    files: tuple[str, ...] = (),
) -> Outcome:
    """Patch the fake with ``variant`` (None: unbroken), serve it, run the suite, undo the patch."""
    with pytest.MonkeyPatch.context() as mp:
        if variant is not None:
            variant(mp)
        with MockServer(config) as server:
            return run_suite(name, server, workdir, files)


def save(outcome: Outcome, folder: Path) -> None:
    """Write one outcome where the run's summary collects it (xdist workers write their own)."""
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", outcome.name.lower()).strip("-")
    (folder / f"{slug}.json").write_text(json.dumps(dataclasses.asdict(outcome)), "utf-8")


def load(folder: Path) -> PowerReport:
    """The outcomes saved in ``folder`` (the unbroken fake as the baseline)."""
    report = PowerReport()
    for path in sorted(folder.glob("*.json")):
        outcome = Outcome(**json.loads(path.read_text("utf-8")))
        if outcome.name == UNBROKEN:
            report.baseline = outcome
        else:
            report.variants.append(outcome)
    return report
