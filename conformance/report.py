"""The per-rule summary of a conformance run: passed, failed, skipped (with the reason).

Each test names its rule with ``@pytest.mark.rule("D13: ...")``; several tests (or parameters)
may check one rule. The summary prints at the end of the run and is written as Markdown.

A rule marked ``@pytest.mark.decision("L10")`` checks one of moonkey-mock's own decisions; on a
target other than the in-process fake its failure is a *difference* (``DIFF``), counted apart
from the failures of published rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
DIFFERS = "differs"
_RANK = {FAILED: 0, SKIPPED: 1, PASSED: 2}
_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``D2`` before ``D10`` (numbers compared as numbers)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _NUMBER.split(text)
        if part
    )


@dataclass
class RuleResult:
    """The outcomes of every test of one rule."""

    rule: str
    outcomes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    source: str = ""
    decision: str = ""

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
        self.cleanup_problems: list[str] = []
        self.fail_on_skip = False
        # off the in-process fake, failed decision rules are differences, not failures
        self.real_target = False

    def record(self, rule: str, nodeid: str, outcome: str, reason: str = "") -> None:
        """Record one test phase's outcome (a failure anywhere wins over a pass)."""
        result = self.rules.setdefault(rule, RuleResult(rule))
        previous = result.outcomes.get(nodeid)
        if previous is None or _RANK[outcome] < _RANK[previous]:
            result.outcomes[nodeid] = outcome
        if outcome == SKIPPED and reason:
            result.reasons[nodeid] = reason

    def cite(self, rule: str, source: str) -> None:
        """Where ``rule`` is documented (a public URL or a ``docs/decisions.md`` entry)."""
        self.rules.setdefault(rule, RuleResult(rule)).source = source

    def decide(self, rule: str, decision: str) -> None:
        """``rule`` checks moonkey-mock's decision ``decision`` (its ``decision`` marker)."""
        self.rules.setdefault(rule, RuleResult(rule)).decision = decision

    def differs(self, result: RuleResult) -> bool:
        """A failed decision rule on a target that is not the in-process fake."""
        return self.real_target and bool(result.decision) and result.status == FAILED

    def totals(self) -> dict[str, int]:
        """Rules per status (failed decision rules off the fake under ``differs``)."""
        totals: dict[str, int] = defaultdict(int)
        for result in self.rules.values():
            totals[DIFFERS if self.differs(result) else result.status] += 1
        return {key: totals[key] for key in (PASSED, FAILED, DIFFERS, SKIPPED)}

    def partly_skipped(self) -> int:
        """Rules that passed or failed although some of their tests were skipped."""
        return sum(1 for r in self.rules.values() if r.status != SKIPPED and r.count(SKIPPED))

    def checked(self) -> int:
        """Rules at least one test of which ran (passed or failed)."""
        return sum(1 for r in self.rules.values() if r.status != SKIPPED)

    def ordered(self) -> list[RuleResult]:
        """Failed first, then skipped, then passed; in natural order of the rule text."""
        return sorted(self.rules.values(), key=lambda r: (_RANK[r.status], natural_key(r.rule)))

    def totals_line(self) -> str:
        """``N of M rules checked: p passed, f failed; s skipped``."""
        totals = self.totals()
        line = (
            f"{self.checked()} of {len(self.rules)} rules checked: {totals[PASSED]} passed, "
            f"{totals[FAILED]} failed"
        )
        if self.real_target:
            line += f", {totals[DIFFERS]} differ from moonkey-mock's decisions"
        line += f"; {totals[SKIPPED]} skipped"
        if self.partly_skipped():
            line += f" (and {self.partly_skipped()} checked only in part)"
        return line

    def tail(self) -> list[str]:
        """What the totals leave out: clean-up problems and ``--moonkey-fail-on-skip``."""
        lines = [f"could not delete: {problem}" for problem in self.cleanup_problems]
        if self.fail_on_skip:
            lines.append("--moonkey-fail-on-skip: skipped rules fail the run")
        return lines

    def lines(self) -> list[str]:
        """The terminal summary."""
        marks = {PASSED: "PASS", FAILED: "FAIL", SKIPPED: "SKIP"}
        lines = [f"target: {self.target}"] if self.target else []
        for result in self.ordered():
            mark = "DIFF" if self.differs(result) else marks[result.status]
            line = f"{mark}  {result.rule}  ({result.detail()})"
            if self.differs(result):
                line = f"{line}  differs from moonkey-mock's decision {result.decision}"
            if result.status == FAILED and result.source:
                line += f"  see {result.source}"
            lines.append(line)
        lines.append(self.totals_line())
        return lines + self.tail()

    def markdown(self) -> str:
        """The summary as a Markdown document."""
        out = [
            "# MoonKey conformance summary",
            "",
            f"Target: {self.target or 'unknown'}",
            "",
            self.totals_line() + ".",
            "",
            *[f"- {line}" for line in self.tail()],
            *([""] if self.tail() else []),
            "| Status | Rule | Source | Detail |",
            "|---|---|---|---|",
        ]
        for result in self.ordered():
            detail = result.detail().replace("|", "\\|")
            rule = result.rule.replace("|", "\\|")
            status = DIFFERS if self.differs(result) else result.status
            out.append(f"| {status} | {rule} | {result.source} | {detail} |")
        return "\n".join(out) + "\n"

    def write(self, path: Path) -> None:
        """Write :meth:`markdown` to ``path`` (creating its directory)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")
