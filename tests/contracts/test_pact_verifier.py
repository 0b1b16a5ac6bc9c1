"""Pact's own verifiers (pact-python's Verifier, the pact verifier binary) against the fake."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.server import MockServer

os.environ["PACT_DO_NOT_TRACK"] = "true"
RECORDED = Path(__file__).parent / "data" / "recorded.json"


@pytest.fixture
def fake() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _binary() -> str:
    found = shutil.which("pact") or str(Path(sys.executable).parent / "pact")
    if not Path(found).exists():
        pytest.fail("the pact binary of pact-python-cli is missing (test extra)")
    return found


def _run(fake: MockServer, file: Path, junit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _binary(),
            "verifier",
            "--file",
            str(file),
            "--hostname",
            "127.0.0.1",
            "--port",
            str(fake.port),
            "--state-change-url",
            f"{fake.url}/_mock/contract/states",
            "--state-change-teardown",
            "--header",
            f"Authorization=Bearer {fake.config.secret_key}",
            "--junit",
            str(junit),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true"},
    )


def test_the_pact_verifier_binary_verifies_a_recorded_contract(
    fake: MockServer, tmp_path: Path
) -> None:
    done = _run(fake, RECORDED, tmp_path / "pact.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "pact.xml").read_text(encoding="utf-8").count("<testcase") == 3


def test_the_pact_verifier_binary_sees_a_changed_error_type(
    fake: MockServer, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.json"
    text = RECORDED.read_text(encoding="utf-8")
    edited.write_text(text.replace('"invalid_session"', '"session_expired"'), encoding="utf-8")
    done = _run(fake, edited, tmp_path / "pact.xml")
    assert done.returncode != 0
    assert "session_expired" in done.stdout + done.stderr
