"""State documents without HTTP: the type-driven dump/load of the models."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mock_server.control.snapshot import load
from mock_server.errors import ValidationError
from mock_server.models import Email, Factor, Session, User
from mock_server.outbox import Message
from mock_server.store.codec import dump

USER = User(
    user_id="user_1",
    app_id="app_1",
    status="active",
    created_at=1,
    updated_at=2,
    first_name="Ann",
    emails=(Email("email_1", "ann@example.com", True, 1, 2),),
    metadata=(("plan", {"tier": 2}),),
)
SESSION = Session(
    session_id="sess_1",
    app_id="app_1",
    user_id="user_1",
    token="t" * 64,
    started_at=1,
    expires_at=61,
    last_active_at=1,
    updated_at=1,
    created_at=1,
    factors=(Factor("email", "otp", "email_1", "email", 1, (("email", "ann@example.com"),)),),
)


@pytest.mark.parametrize(
    "record", [USER, SESSION, Message("m", "a", "otp", "email", "x", "u", "e", 1, 2)]
)
def test_dump_then_load_gives_the_same_record(record: Any) -> None:
    data = dump(record)
    assert isinstance(data, dict)
    assert load(type(record), data, "r") == record


def test_dump_turns_tuples_into_lists() -> None:
    data = dump(USER)
    assert data["emails"][0]["email"] == "ann@example.com"
    assert data["metadata"] == [["plan", {"tier": 2}]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": 1}, "'u.status' must be a JSON string"),
        ({"created_at": True}, "'u.created_at' must be a JSON integer"),
        ({"emails": {}}, "'u.emails' must be a JSON array"),
        ({"emails": [{"id": "e"}]}, "Missing state field 'u.emails[0].email'"),
        ({"metadata": [["a"]]}, "'u.metadata[0]' must have 2 items"),
        ({"extra": 1}, "Unknown state field 'u.extra'"),
    ],
)
def test_load_names_the_field_at_fault(change: dict[str, Any], message: str) -> None:
    data = {**dump(USER), **change}
    with pytest.raises(ValidationError, match=re.escape(message)):
        load(User, data, "u")


def test_load_a_missing_required_field() -> None:
    data = dump(USER)
    del data["user_id"]
    with pytest.raises(ValidationError, match=r"Missing state field 'u\.user_id'"):
        load(User, data, "u")
