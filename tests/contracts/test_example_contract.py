"""The Flask example's tests record a contract (``--moonkey-contract``), alone and under xdist.

The example's suite runs in a subprocess with a small plugin that notes every secret of the run
(each app's secret key and public token, the codes the outbox sent, the session tokens and JWTs
the fake answered); none of them may appear in the file. pact-python's FFI (the Rust core
every Pact verifier uses) parses the file as a v4 pact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.rules import broken_rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flask_app"
SECRETS_PLUGIN = """
import json, os, pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    mock = getattr(item, "funcargs", {}).get("moonkey_mock")
    if mock is not None:
        found = [mock.secret_key, mock.public_token]
        found += [m["code"] for m in mock.control.outbox() if m.get("code")]
        for entry in mock.control.requests():
            answer = entry["response"] if isinstance(entry["response"], dict) else {}
            found += [answer[k] for k in ("session_token", "session_jwt", "secret") if k in answer]
        with open(os.path.join(os.environ["SECRETS_DIR"], f"{os.getpid()}.json"), "a") as out:
            out.write(json.dumps(found) + "\\n")
    return (yield)
"""


def record(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], list[str]]:
    (tmp_path / "note_secrets.py").write_text(SECRETS_PLUGIN)
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    out = tmp_path / "contract.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "SECRETS_DIR": str(secrets_dir),
        "PACT_DO_NOT_TRACK": "true",
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "note_secrets",
        "--moonkey-contract",
        str(out),
        "--moonkey-contract-consumer",
        "flask-example",
        *extra,
        ".",
    ]
    done = subprocess.run(
        command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    secrets = [
        value
        for path in secrets_dir.iterdir()
        for line in path.read_text().splitlines()
        for value in json.loads(line)
    ]
    assert secrets
    return json.loads(out.read_text()), secrets


def check(document: dict[str, Any], secrets: list[str], raw: str) -> None:
    assert document["consumer"] == {"name": "flask-example"}
    assert document["provider"] == {"name": "moonkey"}
    assert document["metadata"]["pactSpecification"]["version"] == "4.0"
    found = {i["description"]: i for i in document["interactions"]}
    for wanted in (
        "verify a live session → 200",
        "verify a deleted session → 401 invalid_session",
        "verify an expired session → 401 invalid_session",
        "send an email OTP to a new user → 200",
        "verify an OTP → 200",
        "verify an OTP with a wrong code → 400 invalid_otp",
        # traced through the journal's preview of the step-up's 5 KiB answer
        "verify a live session with factors otp/email, totp/totp_authenticator → 200",
    ):
        assert wanted in found, sorted(found)
    assert all(i["type"] == "Synchronous/HTTP" for i in document["interactions"])
    deleted = found["verify a deleted session → 401 invalid_session"]
    assert deleted["providerStates"][0]["name"].startswith("a deleted session for ")
    token_generator = deleted["request"]["generators"]["body"]["$.session_token"]
    assert token_generator["expression"] == "${session_token}"
    code = found["verify an OTP → 200"]["request"]["generators"]["body"]["$.code"]
    assert code["expression"] == "${code}"
    for secret in secrets:
        assert secret not in raw, "a secret of the run was written"
    for interaction in document["interactions"]:
        response = interaction["response"]
        rules = response.get("matchingRules", {}).get("body", {})
        assert broken_rules(response.get("body", {}).get("content"), rules) == []
    keys = [i["key"] for i in document["interactions"]]
    assert len(keys) == len(set(keys))


def parse_with_pact_ffi(raw: str) -> list[str]:
    """The descriptions pact-python's FFI reads from the file (and that it reads it as v4)."""
    ffi = pytest.importorskip("pact_ffi")
    pointer = ffi.lib.pactffi_parse_pact_json(raw.encode())
    assert pointer != ffi.ffi.NULL
    pact = ffi.Pact(pointer)
    assert ffi.lib.pactffi_pact_spec_version(pointer) == ffi.PactSpecification.V4.value
    iterator = ffi.pact_model_interaction_iterator(pact)
    descriptions = []
    while True:
        try:
            interaction = ffi.pact_interaction_iter_next(iterator)
        except StopIteration:
            break
        http = ffi.pact_interaction_as_synchronous_http(interaction)
        descriptions.append(ffi.sync_http_get_description(http))
    return descriptions


def test_the_flask_examples_tests_record_a_pact_v4_contract_alone_and_under_xdist(
    tmp_path: Path,
) -> None:
    keys = []
    for run, extra in (("alone", ()), ("xdist", ("-n", "2"))):
        (tmp_path / run).mkdir()
        document, secrets = record(tmp_path / run, *extra)
        raw = (tmp_path / run / "contract.json").read_text()
        check(document, secrets, raw)
        descriptions = parse_with_pact_ffi(raw)
        assert sorted(descriptions) == sorted(i["description"] for i in document["interactions"])
        keys.append(sorted(i["key"] for i in document["interactions"]))
    assert keys[0] == keys[1]  # the workers' parts merged: the same interactions, once each
    stateless_interactions_verify_with_pacts_verifier(tmp_path / "alone" / "contract.json")
    every_interaction_verifies_against_a_fresh_fake(tmp_path / "alone" / "contract.json")


def every_interaction_verifies_against_a_fresh_fake(path: Path) -> None:
    """``contract verify`` sets up each state, replays and finds nothing differs (exit 0)."""
    from conformance.server import MockServer
    from contracts.replay_command import main

    with MockServer() as server:
        report = path.with_name("report.md")
        argv = ["verify", str(path), "--target", server.url, "--api-key"]
        code = main([*argv, server.config.secret_key, "--report", str(report)])
    assert code == 0, report.read_text()


def stateless_interactions_verify_with_pacts_verifier(path: Path) -> None:
    """Pact's own verifier reads the recorded rules and finds a fresh fake keeps them.

    Only interactions that need no provider state: setting states up is the verifier's side
    (``POST /_mock/contract/states``), not the recorder's.
    """
    from pact import Verifier

    from conformance.fake import MoonkeyMockServer

    document = json.loads(path.read_text())
    document["interactions"] = [
        i for i in document["interactions"] if not i["providerStates"] and "body" in i["response"]
    ]
    assert "send an email OTP to a new user → 200" in [
        i["description"] for i in document["interactions"]
    ]
    stateless = path.with_name("stateless.json")
    stateless.write_text(json.dumps(document))
    server = MoonkeyMockServer.in_process()
    try:
        app = server.control.create_app(name="pact-verifier")
        key = str(app.get("secret_key") or app["secret_keys"][0])
        verifier = (
            Verifier("moonkey", host="127.0.0.1")
            .add_transport(url=server.url)
            .add_source(str(stateless))
            .add_custom_header("Authorization", f"Bearer {key}")
        )
        verifier.verify()
        results = verifier.results["interactionResults"]
    finally:
        server.close()
    assert len(results) == len(document["interactions"])
    assert [r["description"] for r in results if r.get("mismatch")] == []
