"""UpdateUser and the email / phone-number deletes (more reference §3; decisions T12-T15).

Emails and phone numbers sent to UpdateUser are attached, unverified, next to the existing ones.
One the user already has is kept as it is; one another user of the app has → 409. Metadata is
merged at the top level (``null`` deletes a key, ``{}`` clears all) unless ``replace_metadata``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mock_server.errors import DuplicateEmail, DuplicatePhoneNumber, MethodNotFound
from mock_server.models import App, Email, PhoneNumber, User
from mock_server.state import MockState

from . import users


@dataclass(frozen=True)
class Updated:
    """The updated user and the identifiers this request named (new or already there)."""

    user: User
    emails: list[Email]
    phone_numbers: list[PhoneNumber]


def merge_metadata(current: dict[str, Any], sent: Any, *, replace_all: bool) -> dict[str, Any]:
    """Reference §10.4: top-level merge, ``null`` deletes, ``{}`` clears, ``null`` ignored."""
    if sent is None:
        return current
    if replace_all or not sent:
        return {k: v for k, v in sent.items() if v is not None}
    merged = dict(current)
    for key, value in sent.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def update(state: MockState, app: App, user_id: str, body: dict[str, Any]) -> Updated:
    """UpdateUser: names, metadata, attached emails and phone numbers."""
    with state.store.atomic():
        user = users.get(state, app, user_id)
        now = state.now_ts()
        emails, named_emails = _attach_emails(state, app, user, body.get("emails") or [], now)
        phones, named_phones = _attach_phones(
            state, app, user, body.get("phone_numbers") or [], now
        )
        metadata = merge_metadata(
            dict(user.metadata),
            body.get("metadata"),
            replace_all=body.get("replace_metadata", False),
        )
        user = replace(
            user,
            first_name=body.get("first_name", user.first_name),
            middle_name=body.get("middle_name", user.middle_name),
            last_name=body.get("last_name", user.last_name),
            emails=emails,
            phone_numbers=phones,
            metadata=tuple(metadata.items()),
            updated_at=now,
        )
        state.store.put_user(user)
    return Updated(user, named_emails, named_phones)


def _attach_emails(
    state: MockState, app: App, user: User, sent: list[dict[str, str]], now: int
) -> tuple[tuple[Email, ...], list[Email]]:
    emails = list(user.emails)
    named: list[Email] = []
    for item in sent:
        address = item["email"].strip()
        mine = next((e for e in emails if e.email.lower() == address.lower()), None)
        if mine is None:
            owner = state.store.user_by_email(app.app_id, address)
            if owner is not None:
                raise DuplicateEmail(f"The email '{address}' belongs to another user")
            mine = Email(state.ids.new("email_"), address, False, now, now)
            emails.append(mine)
        if mine not in named:
            named.append(mine)
    return tuple(emails), named


def _attach_phones(
    state: MockState, app: App, user: User, sent: list[dict[str, str]], now: int
) -> tuple[tuple[PhoneNumber, ...], list[PhoneNumber]]:
    phones = list(user.phone_numbers)
    named: list[PhoneNumber] = []
    for item in sent:
        number = item["phone_number"]
        mine = next((p for p in phones if p.phone_number == number), None)
        if mine is None:
            owner = state.store.user_by_phone(app.app_id, number)
            if owner is not None:
                raise DuplicatePhoneNumber(f"The phone number '{number}' belongs to another user")
            mine = PhoneNumber(state.ids.new("pn_"), number, False, now, now)
            phones.append(mine)
        if mine not in named:
            named.append(mine)
    return tuple(phones), named


def delete_email(state: MockState, app: App, email_id: str) -> User:
    """DeleteUserEmail: the owner, or 404 ``method_not_found``; its pending passcode goes too."""
    return _delete_method(state, app, email_id, "emails", "email")


def delete_phone_number(state: MockState, app: App, phone_number_id: str) -> User:
    """DeleteUserPhoneNumber: the owner, or 404 ``method_not_found``."""
    return _delete_method(state, app, phone_number_id, "phone_numbers", "phone number")


def _delete_method(state: MockState, app: App, method_id: str, field: str, what: str) -> User:
    """Remove the email or phone number ``method_id`` (``field`` of the User) and its passcode."""
    with state.store.atomic():
        user = state.store.user_by_method(app.app_id, method_id)
        methods = getattr(user, field) if user is not None else ()
        if user is None or not any(m.id == method_id for m in methods):
            raise MethodNotFound(f"No {what} with id '{method_id}' in this app")
        kept = tuple(m for m in methods if m.id != method_id)
        changes: dict[str, Any] = {field: kept, "updated_at": state.now_ts()}
        user = replace(user, **changes)
        state.store.put_user(user)
        state.store.delete_otp(app.app_id, method_id)
    return user
