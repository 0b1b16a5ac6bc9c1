"""DeleteSession: by token, by id or by JWT; exactly one identifier.

The Session Management guide (sign out by token, delete by session ID), the DeleteSession
reference page (exactly one identifier; more than one is "a validation error"), decisions D13
and D10.
"""

from __future__ import annotations

import pytest

from conformance import sources
from conformance.expect import Expect
from conformance.flows import Flows, Login

IDENTIFIERS = ["session_token", "session_id", "session_jwt"]


def _identifier(login: Login, name: str) -> str:
    return {"session_token": login.token, "session_id": login.session_id, "session_jwt": login.jwt}[
        name
    ]


@pytest.mark.rule("DeleteSession by token, by id or by JWT", source=sources.DELETE_SESSION)
@pytest.mark.parametrize("name", IDENTIFIERS)
def test_delete_session_by_each_identifier(flows: Flows, expect: Expect, name: str) -> None:
    """200 with a message; the session's token then fails with 401 ``invalid_session``."""
    login = flows.login()
    deleted = flows.delete_session(**{name: _identifier(login, name)})
    body = expect.ok(deleted)
    expect.true(bool(body.get("message")), "a message", repr(body), deleted)
    expect.error(flows.verify_session(session_token=login.token), 401, "invalid_session")


@pytest.mark.rule(
    "D13: deleting a deleted session: 404 session_not_found", source=sources.DECISIONS
)
def test_delete_session_twice(flows: Flows, expect: Expect) -> None:
    """The second delete of the same session finds nothing."""
    login = flows.login()
    expect.ok(flows.delete_session(session_id=login.session_id))
    expect.error(flows.delete_session(session_id=login.session_id), 404, "session_not_found")


@pytest.mark.rule(
    "D13: more than one identifier is rejected with 400", source=sources.DELETE_SESSION
)
@pytest.mark.parametrize(
    "names",
    [
        ("session_token", "session_id"),
        ("session_token", "session_jwt"),
        ("session_id", "session_jwt"),
        tuple(IDENTIFIERS),
    ],
    ids="+".join,
)
def test_delete_session_several_identifiers(
    flows: Flows, expect: Expect, names: tuple[str, ...]
) -> None:
    """A validation error, and the session is still alive."""
    login = flows.login()
    refused = flows.delete_session(**{name: _identifier(login, name) for name in names})
    expect.error(refused, 400)
    expect.ok(flows.verify_session(session_token=login.token))


@pytest.mark.rule(
    "D13: DeleteSession without any identifier is rejected with 400", source=sources.DECISIONS
)
def test_delete_session_no_identifier(flows: Flows, expect: Expect) -> None:
    """An empty body names no session."""
    expect.error(flows.delete_session(), 400)
