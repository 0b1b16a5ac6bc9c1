"""``POST /_mock/contract/states``: Pact's state change made by the fake, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from conformance.control_client import MockControl
from conformance.server import MockServer
from contracts import states


@pytest.fixture
def fake() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _post(server: MockServer, body: object) -> requests.Response:
    return requests.post(f"{server.url}/_mock/contract/states", json=body, timeout=10)


def test_a_live_session_set_up_gives_a_working_token(fake: MockServer) -> None:
    made = _post(
        fake,
        {
            "state": "a live session for ada@example.com with factors []",
            "params": {"email": "ada@example.com"},
            "action": "setup",
        },
    )
    assert made.status_code == 200
    values = made.json()
    assert set(states.LIVE_SESSION.provides) <= set(values)
    key = {"Authorization": f"Bearer {fake.config.secret_key}"}
    verified = requests.post(
        f"{fake.url}/v1/auth/sessions/verify",
        json={"session_token": values["session_token"]},
        headers=key,
        timeout=10,
    )
    assert verified.status_code == 200
    gone = _post(
        fake,
        {
            "state": states.LIVE_SESSION.name,
            "params": {"email": "ada@example.com"},
            "action": "teardown",
        },
    )
    assert gone.status_code == 200
    assert MockControl(fake.url).users()["users"] == []


@pytest.mark.parametrize("kind", states.KINDS, ids=lambda k: k.key)
def test_every_state_kind_is_made_with_what_it_provides(
    fake: MockServer, kind: states.StateKind
) -> None:
    made = _post(fake, {"state": kind.name, "params": {"email": "kim@example.com"}})
    assert made.status_code == 200, made.text
    assert set(kind.provides) <= set(made.json())
    assert (
        _post(
            fake, {"state": kind.name, "params": {"email": "kim@example.com"}, "action": "teardown"}
        ).status_code
        == 200
    )


def test_the_query_form_and_the_states_list(fake: MockServer) -> None:
    by_query = requests.post(
        f"{fake.url}/_mock/contract/states",
        params={"state": "a user with email q@example.com", "action": "setup"},
        timeout=10,
    )
    assert by_query.status_code == 200, by_query.text
    assert by_query.json()["email"] == "q@example.com"
    listed = _post(fake, {"states": ["a user with email r@example.com"], "action": "setup"})
    assert listed.json()["email"] == "r@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "a unicorn for bob"}, "a unicorn for bob"),
        ({"params": {}}, "state"),
        ({"state": states.USER.name, "action": "later"}, "action"),
        ({"state": states.USER.name, "params": {"email": 3}}, "params"),
    ],
)
def test_bad_bodies_name_the_field(fake: MockServer, body: object, field: str) -> None:
    answer = _post(fake, body)
    assert answer.status_code == 400
    assert field in answer.json()["error_message"]
