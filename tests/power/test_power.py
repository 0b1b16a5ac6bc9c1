"""The conformance suite tells a faithful fake from broken ones.

Each variant of ``tests/power/variants.py`` breaks one documented rule; the suite (its behaviour
tests, in a child pytest against the served variant) must fail for every one of them and pass on
the unbroken fake. The number killed is printed at the end of the run and written to
``reports/power-summary.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server import MockConfig
from tests.power.runner import POWER_KEY, PowerReport, serve_and_run
from tests.power.variants import VARIANTS


@pytest.fixture(scope="module")
def power(
    pytestconfig: pytest.Config, signing_key_file: str, tmp_path_factory: pytest.TempPathFactory
) -> PowerReport:
    """Run the suite against the unbroken fake and every variant (once for the module)."""
    config = MockConfig(signing_key_file=signing_key_file, strict=False)
    workdir: Path = tmp_path_factory.mktemp("power")
    report = PowerReport()
    report.baseline = serve_and_run("unbroken", None, config, workdir)
    for name, variant in VARIANTS.items():
        report.variants.append(serve_and_run(name, variant, config, workdir))
    pytestconfig.stash[POWER_KEY] = report
    return report


def test_power_unbroken_fake_passes(power: PowerReport) -> None:
    """The faithful fake passes every behaviour test it can run."""
    baseline = power.baseline
    assert baseline is not None
    assert not baseline.failed, f"the unbroken fake fails {baseline.failed}\n{baseline.output}"
    assert baseline.passed > 0


@pytest.mark.parametrize("name", list(VARIANTS))
def test_power_variant_is_killed(power: PowerReport, name: str) -> None:
    """At least one conformance test fails against the broken variant."""
    outcome = next(v for v in power.variants if v.name == name)
    assert outcome.killed, f"variant '{name}' survived the suite:\n{outcome.output}"
