"""Users and sessions of one app as the control API lists them (what the dashboard shows).

The MoonKey API lists sessions per user and searches users with structured filters; a person
looking at the fake wants every user matching a word and every live session of an app. These
views read the store through the domain rules (an expired session is never listed), and the
actions (delete a user, revoke or extend a session) reuse the API's own domain functions.
"""

from __future__ import annotations

import functools
import heapq
from typing import Any

from mock_server.domain import sessions as session_rules
from mock_server.domain import users as user_rules
from mock_server.models import App, Session, Transfer, User
from mock_server.state import MockState

Json = dict[str, Any]


def _words(user: User) -> str:
    """Everything a search matches against, lower case."""
    parts = [user.user_id, user.first_name, user.middle_name, user.last_name, user.status]
    parts += [e.email for e in user.emails] + [p.phone_number for p in user.phone_numbers]
    parts += [w.public_address for w in user.wallets]
    return " ".join(parts).lower()


def users(state: MockState, app: App, query: str | None, limit: int) -> Json:
    """``{users, total}``: the app's users whose ids, names, emails or phones contain ``query``.

    Newest first; ``total`` counts every match, ``users`` holds at most ``limit``.
    """
    needle = (query or "").strip().lower()
    found = [u for u in reversed(state.store.users(app.app_id)) if needle in _words(u)]
    now = state.now()
    counts: dict[str, int] = {}
    for session in state.store.sessions(app.app_id):
        if not session.expired(now):
            counts[session.user_id] = counts.get(session.user_id, 0) + 1
    listed = [{**u.to_json(), "session_count": counts.get(u.user_id, 0)} for u in found[:limit]]
    return {"users": listed, "total": len(found)}


def user(state: MockState, app: App, user_id: str) -> Json:
    """``{user, sessions, wallets}``: one user with its live sessions (newest first) and its
    wallets with their kind and balances (M16); 404 if unknown."""
    found = user_rules.get(state, app, user_id)
    live = session_rules.active_for_user(state, app, user_id)
    return {
        "user": found.to_json(),
        "sessions": [s.to_json() for s in live],
        "wallets": _wallets(state, app, found),
    }


def _wallets(state: MockState, app: App, user: User) -> list[Json]:
    """The user's wallets: managed, imported or linked, each with the balances set on it."""
    held: dict[str, list[Json]] = {}
    for wallet_id, token, amount in sorted(state.store.balances(app.app_id)):
        held.setdefault(wallet_id, []).append({"token_symbol": token, "balance": amount})
    views = []
    for wallet in user.wallets:
        kind = "linked" if not wallet.managed else "imported" if wallet.is_imported else "managed"
        body = wallet.to_json(app.app_id, user.user_id)
        views.append({**body, "kind": kind, "balances": held.get(wallet.id, [])})
    return views


def delete_user(state: MockState, app: App, user_id: str) -> User:
    """DeleteUser's rule: the user goes with its sessions and pending passcodes."""
    return user_rules.delete(state, app, user_id)


def _session_view(session: Session, owner: User | None) -> Json:
    email = owner.primary_email if owner else None
    phone = owner.primary_phone if owner else None
    return {
        **session.to_json(),
        "app_id": session.app_id,
        "email": email.email if email else "",
        "phone_number": phone.phone_number if phone else "",
    }


def sessions(state: MockState, app: App, limit: int) -> Json:
    """``{sessions, total}``: the app's live sessions, the ``limit`` soonest to expire first,
    each with its user's email and phone; ``total`` counts them all."""
    now = state.now()
    live = [s for s in state.store.sessions(app.app_id) if not s.expired(now)]
    shown = heapq.nsmallest(limit, live, key=lambda s: (s.expires_at, s.session_id))
    owner = functools.partial(state.store.get_user, app.app_id)
    return {"sessions": [_session_view(s, owner(s.user_id)) for s in shown], "total": len(live)}


def revoke(state: MockState, app: App, session_id: str) -> Session:
    """DeleteSession by id: 404 ``session_not_found`` when unknown, expired or gone."""
    return session_rules.delete(state, app, token=None, jwt=None, session_id=session_id)


def extend(state: MockState, app: App, session_id: str, minutes: int) -> Json:
    """The live session now expires ``minutes`` from the fake's now (as VerifySession does)."""
    moved = session_rules.extend_by_id(state, app, session_id, minutes)
    return _session_view(moved, state.store.get_user(app.app_id, moved.user_id))


def transfer_view(transfer: Transfer) -> Json:
    """The API's Transfer plus when it settles, how, and why it failed (M48, M51)."""
    return {
        **transfer.to_json(),
        "confirmed_at": transfer.confirmed_at,
        "settles_at": transfer.settles_at,
        "outcome": transfer.outcome,
        "failure_reason": transfer.failure_reason,
    }
