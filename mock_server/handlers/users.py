"""Handlers of the ``users`` tag."""

from __future__ import annotations

from typing import Any

from mock_server.call import Call, Reply
from mock_server.domain import totps, user_updates, users


def create_user(call: Call) -> Reply:
    """POST /v1/auth/users/create."""
    user = users.create(call.state, call.app, call.body)
    email, phone = user.primary_email, user.primary_phone
    body: dict[str, Any] = {
        "user_id": user.user_id,
        "status": user.status,
        "email_id": email.id if email else "",
        "phone_number_id": phone.id if phone else "",
    }
    if call.body.get("include_user"):
        body["user"] = user.to_json()
    return Reply(body)


def get_user(call: Call) -> Reply:
    """GET /v1/auth/users/{user_id} (a pending TOTP past its window is not listed, T3)."""
    user = users.get(call.state, call.app, call.path["user_id"])
    return Reply(totps.live(call.state, user).to_json())


def delete_user(call: Call) -> Reply:
    """DELETE /v1/auth/users/{user_id}/delete (also ends the user's sessions)."""
    user = users.delete(call.state, call.app, call.path["user_id"])
    return Reply({"message": "Successfully deleted user", "user_id": user.user_id})


def search_users(call: Call) -> Reply:
    """POST /v1/auth/users/search (cursor pagination)."""
    page, total, more = users.search(call.state, call.app, call.body)
    return Reply({"users": [u.to_json() for u in page], "total_count": total, "has_more": more})


def update_user(call: Call) -> Reply:
    """PUT /v1/auth/users/{user_id}/update (identifiers attached, not replaced)."""
    updated = user_updates.update(call.state, call.app, call.path["user_id"], call.body)
    return Reply(
        {
            "user_id": updated.user.user_id,
            "emails": [e.to_json() for e in updated.emails],
            "phone_numbers": [p.to_json() for p in updated.phone_numbers],
            "user": updated.user.to_json(),
        }
    )


def delete_user_email(call: Call) -> Reply:
    """DELETE /v1/auth/users/emails/{email_id}/delete."""
    user = user_updates.delete_email(call.state, call.app, call.path["email_id"])
    return Reply({"message": "Successfully deleted user email", "user_id": user.user_id})


def delete_user_phone_number(call: Call) -> Reply:
    """DELETE /v1/auth/users/phone_numbers/{phone_number_id}/delete."""
    user = user_updates.delete_phone_number(call.state, call.app, call.path["phone_number_id"])
    return Reply({"message": "Successfully deleted user phone number", "user_id": user.user_id})


def delete_user_phone_number_singular(call: Call) -> Reply:
    """DELETE /v1/auth/users/phone_number/{phone_number_id}/delete (Bump's spelling, T13)."""
    return delete_user_phone_number(call)


def delete_user_totp(call: Call) -> Reply:
    """DELETE /v1/auth/users/totps/{totp_id}/delete."""
    user = totps.delete(call.state, call.app, call.path["totp_id"])
    return Reply({"message": "Successfully deleted user totp", "user_id": user.user_id})
