"""The conformance suite tells a faithful fake from broken ones.

Each variant of ``tests/power/variants.py`` breaks one documented rule; the suite (its behaviour
tests, in a child pytest against the served variant) must fail for every one of them and pass on
the unbroken fake. Each variant is its own test, so xdist spreads them over the cores; the number
killed is printed at the end of the run and written to ``reports/power-summary.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server import MockConfig
from tests.power.runner import UNBROKEN, Outcome, save, serve_and_run
from tests.power.variants import EXPECTED_FAILURES, SUITE_FILES, VARIANTS


def _run(name: str, signing_key_file: str, tmp_path: Path, pytestconfig: pytest.Config) -> Outcome:
    config = MockConfig(signing_key_file=signing_key_file, strict=False)
    outcome = serve_and_run(name, VARIANTS.get(name), config, tmp_path, SUITE_FILES.get(name, ()))
    save(outcome, Path(pytestconfig.rootpath) / "reports" / "power")
    return outcome


def test_power_unbroken_fake_passes(
    signing_key_file: str, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """The faithful fake passes every behaviour test it can run."""
    baseline = _run(UNBROKEN, signing_key_file, tmp_path, pytestconfig)
    assert not baseline.failed, f"the unbroken fake fails {baseline.failed}\n{baseline.output}"
    assert baseline.passed > 0


@pytest.mark.parametrize("name", list(VARIANTS))
def test_power_variant_is_killed(
    name: str, signing_key_file: str, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """At least one conformance test fails against the broken variant."""
    outcome = _run(name, signing_key_file, tmp_path, pytestconfig)
    assert outcome.killed, f"variant '{name}' survived the suite:\n{outcome.output}"
    caught_by = EXPECTED_FAILURES.get(name)
    if caught_by is not None:
        assert any(caught_by in failed for failed in outcome.failed), (
            f"variant '{name}' was not caught by {caught_by} (failed: {outcome.failed})"
        )
