"""pytest11 entry point ``moonkey_conformance``: options, fixtures and report of the suite.

Installing moonkey-mock registers this plugin. Its options are namespaced so they never collide
with another plugin's (``--target`` and ``--api-key`` are accepted only where the suite itself is
collected, see ``conformance/conftest.py``):

- ``--moonkey-target URL`` / ``--moonkey-api-key KEY``: the deployment to check (default: the
  fake, started in-process); ``--moonkey-admin-token`` for a fake started with one;
  ``--moonkey-public-token`` the app's public token (for the "public token refused" rule);
- ``--moonkey-code-command CMD``: ``CMD <to> <kind>`` prints the newest code sent to ``to``;
- ``--moonkey-real-time``: time-dependent tests may wait for real on a target without a clock;
- ``--moonkey-report PATH``: where the per-rule summary is written;
- ``--moonkey-fail-on-skip``: a run in which any rule was skipped fails (CI that must check
  everything).

Markers: ``decision(id)`` on a rule that checks one of moonkey-mock's own decisions
(``docs/decisions.md`` entry ``id``) where the published reference is silent: against a target
that is not the in-process fake its failure reads "differs from moonkey-mock's decision id" and
the summary counts it apart from failures of published rules (``-m "not decision"`` deselects
them); ``hygiene`` on the real-target safety rules (no ``/_mock/`` control plane, no published
or default key accepted), which ``-m "not hygiene"`` deselects for a served test fake.

A named target is checked once, after collection and before any test runs (URL, reachable,
MoonKey's error body, key accepted: :func:`conformance.target.preflight`); a set-up mistake
ends the run with one message and pytest's usage-error exit status (4).

Fixtures: ``moonkey_target`` (session: the :class:`~conformance.target.Target`) and
``moonkey_schema`` (session: the schemathesis schema bound to it). Hook:
``pytest_moonkey_read_code(to, kind, target)`` (see :mod:`conformance.hooks`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.report import FAILED, PASSED, SKIPPED, RuleReport

if TYPE_CHECKING:
    from conformance.target import Target, TargetOptions

DEFAULT_REPORT = "reports/conformance-summary.md"
REPORT_KEY = pytest.StashKey[RuleReport]()
TARGET_KEY = pytest.StashKey["Target"]()
# the fixtures whose tests log users in (and so need the codes a target sends)
CODE_FIXTURES = ("flows",)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Declare ``pytest_moonkey_read_code``."""
    from conformance import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--moonkey-*`` options."""
    group = parser.getgroup("moonkey-conformance", "MoonKey conformance suite")
    add = group.addoption
    add(
        "--moonkey-target",
        metavar="URL",
        help="the MoonKey deployment to check (default: the fake in-process)",
    )
    add("--moonkey-api-key", metavar="KEY", help="the secret key (sk_test_...) of the app to check")
    add("--moonkey-admin-token", metavar="TOKEN", help="the fake's --admin-token, if it has one")
    add("--moonkey-public-token", metavar="TOKEN", help="the same app's public token (pk_...)")
    add(
        "--moonkey-code-command",
        metavar="CMD",
        help="command printing the newest code/token sent to an address: CMD <to> <otp|magic_link>",
    )
    add(
        "--moonkey-real-time",
        action="store_true",
        default=False,
        help="let time-dependent tests wait for real (minutes) on a target without a clock control",
    )
    add(
        "--moonkey-report", metavar="PATH", help=f"per-rule summary file (default {DEFAULT_REPORT})"
    )
    add(
        "--moonkey-fail-on-skip",
        action="store_true",
        default=False,
        help="fail the run (exit 1) when any rule was skipped, so CI checks every rule",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``decision`` and ``hygiene`` markers."""
    config.addinivalue_line(
        "markers",
        "decision(id): the rule checks moonkey-mock's decision id (docs/decisions.md), not a "
        "published fact; off the fake a failure is counted as a difference",
    )
    config.addinivalue_line(
        "markers", "hygiene: a real target's safety (no /_mock/, no published or default key)"
    )


def _option(config: pytest.Config, name: str, alias: str | None = None) -> Any:
    value = config.getoption(name, default=None)
    if value is None and alias:
        value = config.getoption(alias, default=None)
    return value


def target_options(config: pytest.Config) -> TargetOptions:
    """What the command line says about the target (aliases included)."""
    from conformance.target import TargetOptions

    return TargetOptions(
        url=_option(config, "moonkey_target", "conformance_target_alias"),
        api_key=_option(config, "moonkey_api_key", "conformance_api_key_alias"),
        admin_token=_option(config, "moonkey_admin_token"),
        public_token=_option(config, "moonkey_public_token"),
        real_time=bool(_option(config, "moonkey_real_time")),
    )


def _arguments(item: pytest.Item) -> tuple[str, ...]:
    """The fixtures a test function asks for by name (not those they depend on)."""
    info = getattr(item, "_fixtureinfo", None)
    return tuple(getattr(info, "argnames", ()))


def _uses(items: list[pytest.Item], fixture: str) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for item in items)


def connect(config: pytest.Config) -> Target:
    """The run's target, resolved (and checked) once; a set-up mistake is a usage error."""
    from conformance.target import TargetError, resolve

    target = config.stash.get(TARGET_KEY, None)
    if target is None:
        try:
            target = resolve(target_options(config))
        except TargetError as error:
            raise pytest.UsageError(f"moonkey conformance: {error}") from None
        config.stash[TARGET_KEY] = target
        report = config.stash.get(REPORT_KEY, None)
        if report is not None:
            report.target = target.describe()
            report.real_target = not target.in_process
    return target


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Preflight: check the target once, before any test runs, when a test will use it."""
    config = session.config
    if config.option.collectonly or not _uses(session.items, "moonkey_target"):
        return
    target = connect(config)
    if _uses(session.items, "reader"):
        _announce_reader(session, target)


def _announce_reader(session: pytest.Session, target: Target) -> None:
    """Say once, at the start, how many rules will be skipped for want of a code reader."""
    from conformance.readers import CodeReader

    config = session.config
    caller = config.hook.pytest_moonkey_read_code
    reader = CodeReader(
        target,
        hook=caller if caller.get_hookimpls() else None,
        command=config.getoption("moonkey_code_command", default=None),
    )
    if reader.available:
        return
    needing = {
        rule_of(item) or item.nodeid
        for item in session.items
        if any(name in _arguments(item) for name in CODE_FIXTURES)
    }
    rules = {rule_of(item) or item.nodeid for item in session.items}
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    message = (
        f"moonkey conformance: no code reader, so up to {len(needing)} of {len(rules)} rules "
        f"(those that log a user in) will be skipped: they {reader.missing()}"
    )
    if terminal is not None:
        terminal.write_line(message, yellow=True)


@pytest.fixture(scope="session")
def moonkey_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The deployment under test: ``--moonkey-target``, else the fake started in-process."""
    target = connect(pytestconfig)
    try:
        yield target
    finally:
        target.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop an in-process fake the preflight started when no test used it."""
    target = config.stash.get(TARGET_KEY, None)
    if target is not None:
        target.close()


@pytest.fixture(scope="session")
def moonkey_schema(moonkey_target: Target) -> Any:
    """A schemathesis schema of ``openapi.yaml`` bound to the target.

    Its configuration holds the target's base URL and the secret key header (applied to the
    cases schemathesis generates; a hand-made ``Case`` needs ``headers=``), and the suite's
    checks. Example: ``moonkey_schema["/v1/auth/jwks/default"]["GET"].Case(headers=...)``.
    """
    from conformance.schema import load_schema

    return load_schema(moonkey_target.base_url, moonkey_target.api_key)


def mark_suite(config: pytest.Config) -> None:
    """Called by the suite's conftest: this run collects the conformance suite."""
    if config.stash.get(REPORT_KEY, None) is None:
        reporter = SuiteReporter(config)
        config.stash[REPORT_KEY] = reporter.report
        config.pluginmanager.register(reporter, "moonkey_conformance_report")


def note_cleanup(config: pytest.Config, problems: list[str]) -> None:
    """Record what the suite could not delete (shown in the summary; the run fails)."""
    report = config.stash.get(REPORT_KEY, None)
    if report is not None:
        report.cleanup_problems.extend(problems)
    elif problems:
        raise RuntimeError("could not delete: " + "; ".join(problems))


def rule_of(item: pytest.Item) -> str | None:
    """The rule a test checks (its ``rule`` marker)."""
    marker = item.get_closest_marker("rule")
    return str(marker.args[0]) if marker and marker.args else None


def decision_of(item: pytest.Item) -> str | None:
    """The moonkey-mock decision a rule checks (its ``decision`` marker), if any."""
    marker = item.get_closest_marker("decision")
    return str(marker.args[0]) if marker and marker.args else None


def source_of(item: pytest.Item) -> str | None:
    """Where the rule is documented: the ``rule`` marker's ``source`` (a public URL)."""
    marker = item.get_closest_marker("rule")
    source = marker.kwargs.get("source") if marker else None
    return str(source) if source else None


class SuiteReporter:
    """Collects outcomes by rule; prints and writes the summary (registered by the suite)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report = RuleReport()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Preflight before collecting the suite: a set-up mistake needs no collection."""
        if not self.config.option.collectonly:
            connect(self.config)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Put each test's rule into its JUnit XML properties; no hygiene rule on the fake.

        The hygiene rules concern a real target: on the in-process fake (the suite's own test
        double) they are deselected, so ``--moonkey-fail-on-skip`` is not tripped by them.
        """
        target = self.config.stash.get(TARGET_KEY, None)
        if target is not None and target.in_process:
            dropped = [item for item in items if item.get_closest_marker("hygiene")]
            if dropped:
                items[:] = [item for item in items if not item.get_closest_marker("hygiene")]
                self.config.hook.pytest_deselected(items=dropped)
        for item in items:
            rule = rule_of(item)
            if rule:
                item.user_properties.append(("rule", rule))
                source = source_of(item)
                if source:
                    item.user_properties.append(("source", source))
                decision = decision_of(item)
                if decision:
                    item.user_properties.append(("decision", decision))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record each phase's outcome under the test's rule."""
        properties = dict(report.user_properties)
        rule = properties.get("rule")
        if not isinstance(rule, str):
            return
        source = properties.get("source")
        if isinstance(source, str):
            self.report.cite(rule, source)
        decision = properties.get("decision")
        if isinstance(decision, str):
            self.report.decide(rule, decision)
        # schemathesis gives every operation the function's node id; its label is in head_line
        test = report.head_line or report.nodeid
        if report.failed:
            self.report.record(rule, test, FAILED)
        elif report.skipped:
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            self.report.record(rule, test, SKIPPED, reason.removeprefix("Skipped: "))
        elif report.when == "call":
            self.report.record(rule, test, PASSED)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """``--moonkey-fail-on-skip``: skipped rules fail an otherwise green run."""
        skipped = self.report.totals()[SKIPPED] + self.report.partly_skipped()
        fail_on_skip = self.config.getoption("moonkey_fail_on_skip", default=False)
        if fail_on_skip and skipped and session.exitstatus == pytest.ExitCode.OK:
            self.report.fail_on_skip = True
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.report.cleanup_problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the per-rule summary and write it to ``--moonkey-report``."""
        if not self.report.rules and not self.report.cleanup_problems:
            return
        terminalreporter.section("MoonKey conformance by rule")
        for line in self.report.lines():
            terminalreporter.write_line(line)
        option = self.config.getoption("moonkey_report", default=None)
        path = Path(option or DEFAULT_REPORT)
        if not path.is_absolute():
            path = Path(self.config.invocation_params.dir) / path
        self.report.write(path)
        terminalreporter.write_line(f"summary written to {path}")
