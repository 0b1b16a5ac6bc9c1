"""pact-python's Verifier against the fake: a contract made with its consumer DSL, and one in
the recorded form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pact import Pact, Verifier, generate, match

from conformance.server import MockServer

os.environ["PACT_DO_NOT_TRACK"] = "true"
RECORDED = Path(__file__).parent / "data" / "recorded.json"


@pytest.fixture
def fake() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _dsl_contract(directory: Path) -> Path:
    pact = Pact("dsl-app", "moonkey").with_specification("V4")
    token = match.str(generator=generate.provider_state("${session_token}"))
    (
        pact.upon_receiving("verify a live session made with the DSL")
        .given("a live session for dee@example.com with factors []", {"email": "dee@example.com"})
        .with_request("POST", "/v1/auth/sessions/verify")
        .with_header("Content-Type", "application/json")
        .with_body({"session_token": token}, "application/json")
        .will_respond_with(200)
        .with_body(
            {
                "session": {
                    "id": match.regex("sess_abc", regex=r"^sess_[A-Za-z0-9]+$"),
                    "expires_at": match.int(1700000000),
                    "device_info": match.like({"ip_address": ""}),
                },
                "session_jwt": match.str("a.b.c"),
            },
            "application/json",
        )
    )
    with pact.serve() as server:
        sent = requests.post(
            f"{server.url}/v1/auth/sessions/verify",
            json={"session_token": "tok_example_from_the_consumer"},
            timeout=10,
        )
        assert sent.status_code == 200
    pact.write_file(directory, overwrite=True)
    return directory / "dsl-app-moonkey.json"


def _verify(fake: MockServer, source: Path) -> None:
    (
        Verifier("moonkey", host="127.0.0.1")
        .add_transport(url=fake.url)
        .add_source(source)
        .add_custom_header("Authorization", f"Bearer {fake.config.secret_key}")
        .state_handler(f"{fake.url}/_mock/contract/states", teardown=True, body=True)
        .verify()
    )


def test_pact_python_verifies_a_dsl_contract(fake: MockServer, tmp_path: Path) -> None:
    _verify(fake, _dsl_contract(tmp_path))


def test_pact_python_verifies_a_recorded_contract(fake: MockServer) -> None:
    _verify(fake, RECORDED)


def test_pact_python_fails_a_changed_error_type(fake: MockServer, tmp_path: Path) -> None:
    edited = tmp_path / "edited.json"
    text = RECORDED.read_text(encoding="utf-8")
    edited.write_text(text.replace('"invalid_session"', '"session_expired"'), encoding="utf-8")
    with pytest.raises(RuntimeError):
        _verify(fake, edited)
