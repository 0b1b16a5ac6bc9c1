"""Seeding: ``--seed FILE.yaml`` (``examples/seed.yaml``), POST /_mock/seed, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server import MockConfig, create_app, state_of
from mock_server.cli import build_parser
from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.state import MockState
from tests.helpers import Api, assert_error

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seed.yaml"
ADA_TOKEN = "seedSessionTokenAda000000000000000000000000000000000000000000001"
SECOND = "app_seedSecondApp00000000000001"
SECOND_KEY = "sk_test_seedSecondAppSecretKey000000000000000000000001"
VERIFY = "/v1/auth/sessions/verify"


@pytest.fixture
def seeded(config: MockConfig, clock: ControllableClock) -> Flask:
    """A fake started from ``examples/seed.yaml``."""
    return create_app(config.with_(seed_file=str(EXAMPLE)), clock=clock)


def test_seed_file_example_creates_users_sessions_and_apps(seeded: Flask) -> None:
    client = seeded.test_client()
    api = Api(client, state_of(seeded).config.secret_key)
    ada = api.post(VERIFY, {"session_token": ADA_TOKEN})
    assert ada.status_code == 200, ada.get_json()
    user = ada.get_json()["user"]
    assert (user["email"], user["first_name"], user["status"]) == (
        "ada@example.com",
        "Ada",
        "active",
    )
    assert user["emails"][0]["verified"] is True
    assert ada.get_json()["session"]["expires_at"] - ada.get_json()["session"]["started_at"] == 3600
    pending = api.get("/v1/auth/users/user_seedPendingUser0000000001").get_json()
    assert (pending["email"], pending["status"]) == ("new.user@example.com", "pending")
    second = Api(client, SECOND_KEY)
    assert state_of(seeded).store.get_app(SECOND) is not None
    assert state_of(seeded).store.get_app(SECOND).otp_length == 8  # type: ignore[union-attr]
    assert_error(second.post(VERIFY, {"session_token": ADA_TOKEN}), 401, "invalid_session")
    assert len(state_of(seeded).store.sessions(SECOND)) == 1


def test_seed_file_is_applied_again_by_a_reset(seeded: Flask) -> None:
    client = seeded.test_client()
    api = Api(client, state_of(seeded).config.secret_key)
    api.delete("/v1/auth/sessions/delete", {"session_token": ADA_TOKEN})
    assert api.post(VERIFY, {"session_token": ADA_TOKEN}).status_code == 401
    client.post("/_mock/reset", json={"keep_clock": True})
    assert api.post(VERIFY, {"session_token": ADA_TOKEN}).status_code == 200
    client.post("/_mock/reset", json={"app_id": SECOND})
    assert len(state_of(seeded).store.users(SECOND)) == 1


def test_seed_random_seed_makes_ids_repeat(config: MockConfig, clock: ControllableClock) -> None:
    seeded = config.with_(seed_file=str(EXAMPLE), random_seed=None)
    first, second = create_app(seeded, clock=clock), create_app(seeded, clock=clock)
    ids = [
        sorted(u.user_id for u in state_of(a).store.users(config.app_id)) for a in (first, second)
    ]
    assert ids[0] == ids[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users:\n  - first_name: NoEmail\n", "users.0"),
        ("users: [{email: a@x.io}, {email: a@x.io}]\n", "already exists"),
        ("sessions: [{email: nobody@x.io}]\n", "no user with email 'nobody@x.io'"),
        ("colour: red\n", "Unknown body field 'colour'"),
        ("users: [\n", "seed file"),
    ],
)
def test_seed_file_errors_stop_start_up(
    config: MockConfig, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="seed file") as raised:
        create_app(config.with_(seed_file=str(path)))
    assert message in str(raised.value)


def test_seed_file_missing_is_a_start_up_error(config: MockConfig, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seed file"):
        create_app(config.with_(seed_file=str(tmp_path / "nope.yaml")))


def test_seed_over_http_adds_users_and_sessions(client: FlaskClient, api: Api) -> None:
    document = {
        "users": [{"email": "zoe@example.com", "first_name": "Zoe"}],
        "sessions": [{"email": "zoe@example.com", "expires_in": 5}],
        "apps": [{"name": "Seeded", "users": [{"phone_number": "+15555550100"}]}],
    }
    made = client.post("/_mock/seed", json=document).get_json()
    assert len(made["apps"]) == 1
    assert [u.get("email") for u in made["users"]] == ["zoe@example.com", None]
    token = made["sessions"][0]["session_token"]
    assert api.post(VERIFY, {"session_token": token}).get_json()["user"]["first_name"] == "Zoe"


def test_seed_in_process(state: MockState) -> None:
    made = Controls(state).seed({"users": [{"email": "yan@example.com", "status": "pending"}]})
    assert made["users"][0]["email"] == "yan@example.com"
    assert state.store.user_by_email(state.config.app_id, "yan@example.com").status == "pending"  # type: ignore[union-attr]


def test_cli_parses_the_control_options() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--no-control",
            "--admin-token",
            "t",
            "--seed",
            "s.yaml",
            "--journal-size",
            "5",
            "--outbox-size",
            "6",
        ]
    )
    assert (args.control, args.admin_token, args.seed_file) == (False, "t", "s.yaml")
    assert (args.journal_size, args.outbox_size) == (5, 6)
    assert build_parser().parse_args(["serve", "--control"]).control is True
    assert build_parser().parse_args(["serve"]).control is None
