"""ListSessions: the active sessions of one user, newest first.

The Session Management guide ("View all active sessions for a specific user"), the
ListSessions reference page, decision D14.
"""

from __future__ import annotations

import pytest

from conformance import sources
from conformance.client import Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.timing import TimeTravel


def _listed(expect: Expect, listed: Exchange) -> list[dict[str, object]]:
    expect.ok(listed)
    sessions = expect.field(listed, "sessions")
    expect.true(isinstance(sessions, list), "sessions is a list", repr(sessions), listed)
    return list(sessions)


@pytest.mark.rule(
    "D14: ListSessions shows only the user's active sessions", source=sources.LIST_SESSIONS
)
def test_list_sessions_only_active_of_that_user(flows: Flows, expect: Expect) -> None:
    """Two logins of A (one then deleted) and one of B: A's list is exactly A's live session."""
    email = flows.email("lister")
    first = flows.login(email)
    second = flows.login(email)
    other = flows.login()
    expect.ok(flows.delete_session(session_id=first.session_id))
    listed = flows.list_sessions(first.user_id)
    sessions = _listed(expect, listed)
    ids = sorted(str(s.get("id")) for s in sessions)
    expect.equal("listed session ids", [second.session_id], ids, listed)
    owners = {s.get("user_id") for s in sessions}
    expect.equal("owners of the listed sessions", {first.user_id}, owners, listed)
    expect.true(other.session_id not in ids, "no other user's session", f"{ids}", listed)


@pytest.mark.rule("D14: ListSessions lists the newest session first", source=sources.DECISIONS)
def test_list_sessions_newest_first(flows: Flows, expect: Expect) -> None:
    """``created_at`` never increases down the list."""
    email = flows.email("order")
    for _ in range(3):
        flows.login(email)
    user_id = flows.login(email).user_id
    listed = flows.list_sessions(user_id)
    created = [s.get("created_at", 0) for s in _listed(expect, listed)]
    expect.equal("number of sessions", 4, len(created), listed)
    expect.equal("created_at order", sorted(created, reverse=True), created, listed)


@pytest.mark.rule(
    "D14: ListSessions leaves expired sessions out", source=sources.SESSION_MANAGEMENT
)
@pytest.mark.time_dependent
def test_list_sessions_excludes_expired(flows: Flows, travel: TimeTravel, expect: Expect) -> None:
    """A 5-minute session disappears from the list at its ``expires_at``; a 60-minute one stays."""
    email = flows.email("expiry")
    short = flows.login(email, minutes=5)
    long = flows.login(email, minutes=60)
    travel.at(float(short.session["expires_at"]))
    listed = flows.list_sessions(short.user_id)
    ids = [str(s.get("id")) for s in _listed(expect, listed)]
    expect.equal("listed session ids", [long.session_id], ids, listed)


@pytest.mark.rule(
    "D14: ListSessions of an unknown user: 404 user_not_found", source=sources.DECISIONS
)
def test_list_sessions_unknown_user(flows: Flows, expect: Expect) -> None:
    """A user id that never existed."""
    listed = flows.list_sessions("user_" + "0" * 27)
    expect.error(listed, 404, "user_not_found")
