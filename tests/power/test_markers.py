"""The ``decision`` marker and the hygiene rules, seen from a user's run (issue 25).

A served fake broken on one decision (a TOTP window of two steps, which RFC 6238 allows but the
fake's T2 does not) is a target that *differs*: its failure reads "differs from moonkey-mock's
decision T2" and the summary counts it apart from failures of published rules; ``-m "not
decision"`` leaves it out. The hygiene rules fail on a served fake with its control plane and
default keys, and pass on one served with ``--no-control`` and keys of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.server import MockServer
from mock_server import MockConfig
from tests.power.runner import SUITE, run_suite
from tests.power.variants_new_areas import totp_window_two_steps

OWN_SECRET = "sk_test_" + "hygieneOwnSecretKey0123456789abcdefghijklmnopqrs"[:48]
OWN_PUBLIC = "pk_test_" + "hygieneOwnPublicToken0123456789abcdefghijklmnop"[:48]


def test_decision_marker_against_the_in_process_fake() -> None:
    """On the fake the decision rules run and pass; ``-m "not decision"`` deselects them."""
    where = [str(SUITE / "test_totp.py"), str(SUITE / "test_step_up.py")]
    base = [sys.executable, "-m", "pytest", *where, "-q", "-p", "no:cacheprovider"]
    ran = subprocess.run([*base, "-m", "decision"], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "5 passed" in ran.stdout, ran.stdout[-3000:]
    left = subprocess.run([*base, "-m", "not decision", "--collect-only"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert "test_verify_totp_window_is_one_step" not in left.stdout
    assert "test_step_up_rotates_session_token" not in left.stdout
    assert "test_verify_totp_refuses_distant_steps" in left.stdout


def test_decision_difference_counted_apart(signing_key_file: str, tmp_path: Path) -> None:
    """A target that differs on T2: one difference, no failure of a published rule."""
    config = MockConfig(signing_key_file=signing_key_file, strict=False)
    with pytest.MonkeyPatch.context() as mp:
        totp_window_two_steps(mp)
        with MockServer(config) as server:
            differs = run_suite("differs", server, tmp_path, ("test_totp.py",))
            deselected = run_suite(
                "deselected", server, tmp_path, ("test_totp.py",), "not hygiene and not decision"
            )
    assert differs.failed == ["test_verify_totp_window_is_one_step"], differs.output
    assert "differs from moonkey-mock's decision T2" in differs.output
    assert "0 failed, 1 differ from moonkey-mock's decisions" in differs.output
    assert "DIFF  T2 (moonkey-mock's window)" in differs.output
    assert not deselected.failed, deselected.output
    assert "differ from moonkey-mock's decisions" in deselected.output


def test_hygiene_fails_on_a_served_fake_with_control_and_default_keys(
    signing_key_file: str, tmp_path: Path
) -> None:
    """``/_mock/`` answers and the default keys work: both hygiene rules fail, with reasons."""
    config = MockConfig(signing_key_file=signing_key_file, strict=False)
    with MockServer(config) as server:
        outcome = run_suite("exposed", server, tmp_path, ("test_hygiene.py",), "hygiene")
    assert sorted(outcome.failed) == [
        "test_control_plane_not_exposed",
        "test_default_and_published_keys_refused",
    ], outcome.output
    junit = (tmp_path / "exposed.xml").read_text("utf-8")
    assert "the /_mock/ control plane is exposed" in junit
    assert "a published or moonkey-mock default secret key is accepted" in junit


def test_hygiene_passes_without_control_and_with_own_keys(
    signing_key_file: str, tmp_path: Path
) -> None:
    """``--no-control``, a secret key and public token of its own: the hygiene rules pass."""
    config = MockConfig(
        signing_key_file=signing_key_file,
        strict=False,
        control=False,
        secret_key=OWN_SECRET,
        public_token=OWN_PUBLIC,
    )
    with MockServer(config) as server:
        outcome = run_suite("clean", server, tmp_path, ("test_hygiene.py",), "hygiene")
    assert not outcome.failed, outcome.output
    assert outcome.passed == 2, outcome.output
