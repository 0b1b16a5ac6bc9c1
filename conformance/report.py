"""The per-rule summary of a conformance run: passed, failed, skipped (with the reason).

Each test names its rule with ``@pytest.mark.rule("D13: ...")``; several tests (or parameters)
may check one rule. The summary prints at the end of the run and is written as Markdown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_RANK = {FAILED: 0, SKIPPED: 1, PASSED: 2}


@dataclass
class RuleResult:
    """The outcomes of every test of one rule."""

    rule: str
    outcomes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Failed if any test failed; passed if any passed and none failed; else skipped."""
        values = set(self.outcomes.values())
        if FAILED in values:
            return FAILED
        return PASSED if PASSED in values else SKIPPED

    def count(self, outcome: str) -> int:
        """How many tests of this rule ended with ``outcome``."""
        return sum(1 for value in self.outcomes.values() if value == outcome)

    def detail(self) -> str:
        """Counts, plus the failing tests or the skip reasons."""
        counts = ", ".join(
            f"{self.count(o)} {o}" for o in (PASSED, FAILED, SKIPPED) if self.count(o)
        )
        if self.status == FAILED:
            failed = [n for n, o in self.outcomes.items() if o == FAILED]
            return f"{counts}: " + ", ".join(n.split("::")[-1] for n in failed)
        if self.status == SKIPPED:
            return f"{counts}: " + "; ".join(sorted(set(self.reasons.values())))
        return counts


class RuleReport:
    """Collects test outcomes by rule."""

    def __init__(self) -> None:
        self.rules: dict[str, RuleResult] = {}
        self.target = ""

    def record(self, rule: str, nodeid: str, outcome: str, reason: str = "") -> None:
        """Record one test phase's outcome (a failure anywhere wins over a pass)."""
        result = self.rules.setdefault(rule, RuleResult(rule))
        previous = result.outcomes.get(nodeid)
        if previous is None or _RANK[outcome] < _RANK[previous]:
            result.outcomes[nodeid] = outcome
        if outcome == SKIPPED and reason:
            result.reasons[nodeid] = reason

    def totals(self) -> dict[str, int]:
        """Rules per status."""
        totals: dict[str, int] = defaultdict(int)
        for result in self.rules.values():
            totals[result.status] += 1
        return {key: totals[key] for key in (PASSED, FAILED, SKIPPED)}

    def ordered(self) -> list[RuleResult]:
        """Failed first, then skipped, then passed; by rule text within each."""
        return sorted(self.rules.values(), key=lambda r: (_RANK[r.status], r.rule))

    def lines(self) -> list[str]:
        """The terminal summary."""
        marks = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP"}
        lines = [f"target: {self.target}"] if self.target else []
        lines += [f"{marks[r.status]}  {r.rule}  ({r.detail()})" for r in self.ordered()]
        totals = self.totals()
        lines.append(
            f"{len(self.rules)} rules: {totals[PASSED]} passed, {totals[FAILED]} failed, "
            f"{totals[SKIPPED]} skipped"
        )
        return lines

    def markdown(self) -> str:
        """The summary as a Markdown document."""
        totals = self.totals()
        out = [
            "# MoonKey conformance summary",
            "",
            f"Target: {self.target or 'unknown'}",
            "",
            f"{len(self.rules)} rules: {totals[PASSED]} passed, {totals[FAILED]} failed, "
            f"{totals[SKIPPED]} skipped.",
            "",
            "| Status | Rule | Detail |",
            "|---|---|---|",
        ]
        for result in self.ordered():
            detail = result.detail().replace("|", "\\|")
            rule = result.rule.replace("|", "\\|")
            out.append(f"| {result.status} | {rule} | {detail} |")
        return "\n".join(out) + "\n"

    def write(self, path: Path) -> None:
        """Write :meth:`markdown` to ``path`` (creating its directory)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")
