"""Handlers of the ``users`` tag."""

from __future__ import annotations

from typing import Any

from mock_server.call import Call, Reply
from mock_server.domain import users


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
    """GET /v1/auth/users/{user_id}."""
    return Reply(users.get(call.state, call.app, call.path["user_id"]).to_json())


def delete_user(call: Call) -> Reply:
    """DELETE /v1/auth/users/{user_id}/delete (also ends the user's sessions)."""
    user = users.delete(call.state, call.app, call.path["user_id"])
    return Reply({"message": "Successfully deleted user", "user_id": user.user_id})


def search_users(call: Call) -> Reply:
    """POST /v1/auth/users/search (cursor pagination)."""
    page, total, more = users.search(call.state, call.app, call.body)
    return Reply({"users": [u.to_json() for u in page], "total_count": total, "has_more": more})
