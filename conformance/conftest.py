"""Fixtures, markers and option aliases of the conformance suite (loaded only when it is collected).

``pytest conformance --target URL --api-key KEY`` checks a deployment; without a target the
suite starts the fake in-process. Markers:

- ``rule(text, source=URL)``: the documented rule a test checks (naming decisions ``Dn``/``Cn``
  in the text) and where anyone can read it: a public documentation URL or a
  ``docs/decisions.md#section`` (:mod:`conformance.sources`); used by the report.
- ``needs_control(*names)``: the test drives the fake through ``/_mock/<name>``; skipped, with a
  reason naming the control, on a target that does not offer it.
- ``time_dependent``: the test moves time: the ``clock`` control, or real waiting with
  ``--moonkey-real-time``; skipped otherwise.
- ``decision(id)`` and ``hygiene`` (declared by :mod:`conformance.suite_plugin`): the rule checks
  moonkey-mock's own decision ``id`` rather than a published fact (off the fake its failure reads
  "differs from moonkey-mock's decision id" and is counted apart), or a real target's safety
  (no ``/_mock/``, no published or default key; skipped on the in-process fake).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import suite_plugin
from conformance.client import ApiClient
from conformance.expect import ConformanceFailure, Expect
from conformance.flows import Flows
from conformance.readers import CodeReader
from conformance.target import Target
from conformance.timing import TimeTravel

UNNAMED_RULE = "unnamed rule"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """``--target`` and ``--api-key``: aliases of the plugin's namespaced options."""
    if not pluginmanager.has_plugin("moonkey_conformance"):
        pluginmanager.register(suite_plugin, "moonkey_conformance")
    group = parser.getgroup("moonkey-conformance")
    group.addoption(
        "--target", dest="conformance_target_alias", metavar="URL", help="= --moonkey-target"
    )
    group.addoption(
        "--api-key", dest="conformance_api_key_alias", metavar="KEY", help="= --moonkey-api-key"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the suite's markers and turn its per-rule report on."""
    config.addinivalue_line(
        "markers", "rule(text, source=URL): the documented rule the test checks, and where"
    )
    config.addinivalue_line(
        "markers", "needs_control(*names): the test needs these /_mock/ controls"
    )
    config.addinivalue_line(
        "markers", "time_dependent: needs the clock control or --moonkey-real-time"
    )
    suite_plugin.mark_suite(config)


@pytest.fixture(scope="session")
def target(moonkey_target: Target) -> Target:
    """The deployment under test."""
    return moonkey_target


@pytest.fixture(scope="session")
def api(target: Target) -> Iterator[ApiClient]:
    """A client with the suite's secret key."""
    client = target.client()
    yield client
    client.close()


@pytest.fixture(scope="session")
def reader(pytestconfig: pytest.Config, target: Target) -> CodeReader:
    """Reads codes: the user's hook, else ``--moonkey-code-command``, else the fake's outbox."""
    caller = pytestconfig.hook.pytest_moonkey_read_code
    hook = caller if caller.get_hookimpls() else None
    command = pytestconfig.getoption("moonkey_code_command", default=None)
    return CodeReader(target, hook=hook, command=command)


@pytest.fixture(scope="session")
def flows(pytestconfig: pytest.Config, api: ApiClient, reader: CodeReader) -> Iterator[Flows]:
    """The suite's users and logins; every user it created is deleted at the end.

    The clean-up runs however the run ends (failures, Ctrl-C); what could not be deleted is
    listed in the summary and fails the run.
    """
    made = Flows(api, reader)
    try:
        yield made
    finally:
        suite_plugin.note_cleanup(pytestconfig, made.cleanup())


@pytest.fixture(scope="session")
def users(flows: Flows) -> Flows:
    """The same :class:`Flows`, for tests that only create users (no code reader needed)."""
    return flows


@pytest.fixture
def expect(request: pytest.FixtureRequest, target: Target) -> Expect:
    """Expectations bound to the test's ``rule`` marker (and ``decision``, off the fake)."""
    decision = suite_plugin.decision_of(request.node)
    differs = decision if decision and not target.in_process else None
    return Expect(suite_plugin.rule_of(request.node) or UNNAMED_RULE, differs)


@pytest.fixture
def travel(target: Target, api: ApiClient) -> Iterator[TimeTravel]:
    """Moves the target in time (fake clock, frozen for the test, restored after)."""
    machine = TimeTravel(target, api)
    machine.start()
    yield machine
    machine.finish()


@pytest.fixture(autouse=True)
def _requirements(request: pytest.FixtureRequest, target: Target) -> Iterator[None]:
    """Skip a test whose control is missing; fail one during which the in-process fake crashed."""
    for marker in request.node.iter_markers("needs_control"):
        for control in marker.args:
            if not target.has(control):
                pytest.skip(target.missing(control))
    timed = request.node.get_closest_marker("time_dependent") is not None
    if timed and not target.has("clock") and not target.real_time:
        pytest.skip(
            "time-dependent: needs the 'clock' control (/_mock/clock) or "
            "--moonkey-real-time to wait for real (minutes)"
        )
    yield
    if target.server is not None:
        crashes = target.server.state.take_crashes()
        if crashes:
            raise ConformanceFailure(
                "the fake never crashes and never breaks openapi.yaml (strict mode)",
                "no recorded crash",
                f"{type(crashes[0]).__name__}: {crashes[0]}",
            )
