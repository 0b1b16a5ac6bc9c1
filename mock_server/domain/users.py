"""Users: create, read, delete, search, and the method bookkeeping other areas share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from mock_server.errors import (
    DuplicateEmail,
    DuplicatePhoneNumber,
    InvalidCursor,
    InvalidFilter,
    UserNotFound,
)
from mock_server.models import App, Email, PhoneNumber, User
from mock_server.state import MockState

from . import managed_wallets

# Operators each search field accepts (reference §9.4; the email fields are the fake's choice).
SEARCH_OPERATORS = {
    "user_id": {"eq", "in"},
    "status": {"eq", "in"},
    "full_name_match": {"eq"},
    "phone_number": {"eq", "in"},
    "phone_number_id": {"eq", "in"},
    "phone_number_match": {"eq"},
    "email": {"eq", "in"},
    "email_id": {"eq", "in"},
    "email_match": {"eq"},
}


def get(state: MockState, app: App, user_id: str) -> User:
    """The user, or :class:`UserNotFound`."""
    user = state.store.get_user(app.app_id, user_id)
    if user is None:
        raise UserNotFound(f"No user with id '{user_id}' in this app")
    return user


def new_user(
    state: MockState,
    app: App,
    *,
    email: str | None = None,
    phone_number: str | None = None,
    status: str = "active",
    names: tuple[str, str, str] = ("", "", ""),
    wallet_type: str | None = None,
) -> User:
    """Build and store a user (no duplicate checks: callers look up first)."""
    now = state.now_ts()
    ids = state.ids
    emails = (Email(ids.new("email_"), email.strip(), False, now, now),) if email else ()
    phones = (PhoneNumber(ids.new("pn_"), phone_number, False, now, now),) if phone_number else ()
    user = User(
        user_id=ids.new("user_"),
        app_id=app.app_id,
        status=status,
        created_at=now,
        updated_at=now,
        first_name=names[0],
        middle_name=names[1],
        last_name=names[2],
        emails=emails,
        phone_numbers=phones,
    )
    with state.store.atomic():
        state.store.put_user(user)
        if wallet_type:  # a real managed wallet with its key (M11)
            user, _, _ = managed_wallets.create(state, app, user.user_id, wallet_type)
    return user


def create(state: MockState, app: App, body: dict[str, Any]) -> User:
    """CreateUser: 409 on an email or phone number another user has."""
    email, phone = body.get("email"), body.get("phone_number")
    with state.store.atomic():
        if email and state.store.user_by_email(app.app_id, email):
            raise DuplicateEmail(f"A user with email '{email}' already exists")
        if phone and state.store.user_by_phone(app.app_id, phone):
            raise DuplicatePhoneNumber(f"A user with phone number '{phone}' already exists")
        return new_user(
            state,
            app,
            email=email,
            phone_number=phone,
            status="pending" if body.get("requires_verification") else "active",
            names=(
                body.get("first_name", ""),
                body.get("middle_name", ""),
                body.get("last_name", ""),
            ),
            wallet_type=body.get("wallet_type"),
        )


def delete(state: MockState, app: App, user_id: str) -> User:
    """DeleteUser: the user's sessions and pending passcodes go with it."""
    user = state.store.delete_user(app.app_id, user_id)
    if user is None:
        raise UserNotFound(f"No user with id '{user_id}' in this app")
    return user


def mark_verified(state: MockState, user: User, method_id: str) -> User:
    """The method proven, the user active; stored and returned."""
    now = state.now_ts()
    emails = tuple(
        replace(e, verified=True, updated_at=now) if e.id == method_id else e for e in user.emails
    )
    phones = tuple(
        replace(p, verified=True, updated_at=now) if p.id == method_id else p
        for p in user.phone_numbers
    )
    updated = replace(user, emails=emails, phone_numbers=phones, status="active", updated_at=now)
    state.store.put_user(updated)
    return updated


def search(state: MockState, app: App, body: dict[str, Any]) -> tuple[list[User], int, bool]:
    """SearchUsers: (page, total_count, has_more), cursor after ``starting_after``.

    ``total_count`` counts every match (all pages). The cursor is placed in creation order
    among all users, so a cursor user that stopped matching the filters still pages on.
    """
    limit = int(body.get("limit", 50))
    users = state.store.users(app.app_id)
    filters = body.get("filters")
    if filters:
        tests = [_field_test(f) for f in filters["fields"]]
        combine = all if filters["operator"] == "AND" else any
        matches = {u.user_id for u in users if combine(t(u) for t in tests)}
    else:
        matches = {u.user_id for u in users}
    after = users
    cursor = body.get("starting_after")
    if cursor is not None:
        ids = [u.user_id for u in users]
        if cursor not in ids:
            raise InvalidCursor(f"starting_after '{cursor}' is not a user of this app")
        after = users[ids.index(cursor) + 1 :]
    page = [u for u in after if u.user_id in matches]
    return page[:limit], len(matches), len(page) > limit


def _field_test(rule: dict[str, Any]) -> Callable[[User], bool]:
    name, operator, value = rule["field"], rule["operator"], rule["value"]
    if operator not in SEARCH_OPERATORS[name]:
        allowed = ", ".join(sorted(SEARCH_OPERATORS[name]))
        raise InvalidFilter(f"Filter field '{name}' accepts operator {allowed}, not '{operator}'")
    if operator == "in" and not isinstance(value, list):
        raise InvalidFilter(f"Filter field '{name}' with operator 'in' needs a list value")
    if operator == "eq" and isinstance(value, list):
        raise InvalidFilter(f"Filter field '{name}' with operator 'eq' needs a string value")
    wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if name.endswith("_match"):
        needle = wanted[0].lower()
        return lambda u: any(needle in v.lower() for v in _values(u, name))
    if name == "email":
        wanted = [w.lower() for w in wanted]
        return lambda u: any(v.lower() in wanted for v in _values(u, name))
    return lambda u: any(v in wanted for v in _values(u, name))


def _values(user: User, name: str) -> Sequence[str]:
    if name == "user_id":
        return [user.user_id]
    if name == "status":
        return [user.status]
    if name == "full_name_match":
        return [" ".join(n for n in (user.first_name, user.last_name) if n)]
    if name in {"phone_number", "phone_number_match"}:
        return [p.phone_number for p in user.phone_numbers]
    if name == "phone_number_id":
        return [p.id for p in user.phone_numbers]
    if name in {"email", "email_match"}:
        return [e.email for e in user.emails]
    return [e.id for e in user.emails]
