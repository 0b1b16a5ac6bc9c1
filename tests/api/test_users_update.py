"""UpdateUser and the email / phone-number deletes (more reference §3; T12-T14)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, assert_error, latest_code, login

T0 = int(START.timestamp())
EMAIL = "ann@example.com"
PHONE = "+14155550123"


def _create(api: Api, **fields: Any) -> dict[str, Any]:
    reply = api.post("/v1/auth/users/create", {"include_user": True, **fields})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _update(api: Api, user_id: str, **body: Any) -> dict[str, Any]:
    reply = api.put(f"/v1/auth/users/{user_id}/update", body)
    assert reply.status_code == 200, reply.get_json()
    result: dict[str, Any] = reply.get_json()
    return result


# --- UpdateUser --------------------------------------------------------------------------


def test_update_user_names(api: Api) -> None:
    user_id = _create(api, email=EMAIL, first_name="Ann", middle_name="B")["user_id"]
    body = _update(api, user_id, first_name="Anna", middle_name="", last_name="Lee")
    user = body["user"]
    assert (user["first_name"], user["middle_name"], user["last_name"]) == ("Anna", "", "Lee")
    assert (body["emails"], body["phone_numbers"]) == ([], [])
    assert api.get(f"/v1/auth/users/{user_id}").get_json() == user


def test_update_user_empty_body_changes_nothing_but_updated_at(api: Api) -> None:
    made = _create(api, email=EMAIL, first_name="Ann")
    body = _update(api, made["user_id"])
    assert body["user"] == made["user"]


def test_update_user_without_body(api: Api) -> None:
    made = _create(api, email=EMAIL, first_name="Ann")
    reply = api.client.put(f"/v1/auth/users/{made['user_id']}/update", headers=api._headers(None))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["user"] == made["user"]


def test_update_user_attaches_emails_and_phones_unverified(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    user_id = first["user_id"]
    body = _update(
        api,
        user_id,
        emails=[{"email": "ann.work@example.com"}, {"email": EMAIL.upper()}],
        phone_numbers=[{"phone_number": PHONE}],
    )
    user = body["user"]
    assert [e["email"] for e in user["emails"]] == [EMAIL, "ann.work@example.com"]
    assert [e["verified"] for e in user["emails"]] == [True, False]
    assert [e["email"] for e in body["emails"]] == ["ann.work@example.com", EMAIL]
    assert body["phone_numbers"] == user["phone_numbers"]
    assert user["phone_numbers"][0]["verified"] is False
    assert (user["status"], user["email"]) == ("active", EMAIL)
    # The attached email can now receive a passcode and log in.
    reply = api.post("/v1/auth/otps/email/send", {"email": "ann.work@example.com"})
    assert reply.status_code == 200, reply.get_json()
    code = latest_code(state, "ann.work@example.com")
    verify = api.post("/v1/auth/otps/verify", {"email": "ann.work@example.com", "code": code})
    assert verify.get_json()["user_id"] == user_id


def test_update_user_same_identifier_twice_is_attached_once(api: Api) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    body = _update(api, user_id, emails=[{"email": "x@example.com"}, {"email": "X@example.com"}])
    assert len(body["emails"]) == 1
    assert len(body["user"]["emails"]) == 2


def test_update_user_email_of_another_user(api: Api) -> None:
    _create(api, email="bob@example.com")
    user_id = _create(api, email=EMAIL)["user_id"]
    reply = api.put(
        f"/v1/auth/users/{user_id}/update",
        {"first_name": "Changed", "emails": [{"email": "BOB@example.com"}]},
    )
    assert_error(reply, 409, "duplicate_email", "another user")
    assert api.get(f"/v1/auth/users/{user_id}").get_json()["first_name"] == ""


def test_update_user_phone_of_another_user(api: Api) -> None:
    _create(api, phone_number=PHONE)
    user_id = _create(api, email=EMAIL)["user_id"]
    reply = api.put(
        f"/v1/auth/users/{user_id}/update", {"phone_numbers": [{"phone_number": PHONE}]}
    )
    assert_error(reply, 409, "duplicate_phone_number", "another user")


def test_update_user_metadata_merges(api: Api) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    _update(api, user_id, metadata={"plan": "pro", "seats": 3, "prefs": {"a": 1}})
    body = _update(api, user_id, metadata={"seats": None, "prefs": {"b": 2}, "new": True})
    assert body["user"]["metadata"] == {"plan": "pro", "prefs": {"b": 2}, "new": True}
    assert _update(api, user_id, metadata=None)["user"]["metadata"] == body["user"]["metadata"]
    assert _update(api, user_id, metadata={})["user"]["metadata"] == {}


def test_update_user_replace_metadata(api: Api) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    _update(api, user_id, metadata={"plan": "pro", "seats": 3})
    body = _update(api, user_id, metadata={"seats": 5, "gone": None}, replace_metadata=True)
    assert body["user"]["metadata"] == {"seats": 5}


def test_update_user_accepts_empty_lists(api: Api) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    body = _update(api, user_id, emails=[], phone_numbers=[])
    assert len(body["user"]["emails"]) == 1


def test_update_user_unknown_user(api: Api) -> None:
    reply = api.put("/v1/auth/users/user_nope/update", {"first_name": "X"})
    assert_error(reply, 404, "user_not_found", "user_nope")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": [{"email": "not-an-email"}]}, "email"),
        ({"emails": ["ann@example.com"]}, "emails"),
        ({"phone_numbers": [{"phone_number": "4155550123"}]}, "phone_number"),
        ({"metadata": "x"}, "metadata"),
        ({"replace_metadata": "yes"}, "replace_metadata"),
        ({"first_name": 5}, "first_name"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_update_user_bad_input(api: Api, body: dict[str, Any], field: str) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    reply = api.put(f"/v1/auth/users/{user_id}/update", body)
    assert_error(reply, 400, "validation_error", field)


# --- DeleteUserEmail / DeleteUserPhoneNumber ---------------------------------------------


def test_delete_user_email(api: Api) -> None:
    made = _create(api, email=EMAIL, phone_number=PHONE)
    reply = api.delete(f"/v1/auth/users/emails/{made['email_id']}/delete")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {
        "message": "Successfully deleted user email",
        "user_id": made["user_id"],
    }
    user = api.get(f"/v1/auth/users/{made['user_id']}").get_json()
    assert (user["emails"], user["email"]) == ([], "")
    # The address is free again for another user.
    assert api.post("/v1/auth/users/create", {"email": EMAIL}).status_code == 200


def test_delete_user_email_drops_its_pending_code(api: Api, state: MockState) -> None:
    made = _create(api, email=EMAIL)
    assert api.post("/v1/auth/otps/email/send", {"email": EMAIL}).status_code == 200
    api.delete(f"/v1/auth/users/emails/{made['email_id']}/delete")
    assert state.store.get_otp(state.default_app().app_id, made["email_id"]) is None


def test_delete_user_email_unknown(api: Api) -> None:
    reply = api.delete("/v1/auth/users/emails/email_nope/delete")
    assert_error(reply, 404, "method_not_found", "email_nope")


def test_delete_user_email_given_a_phone_number_id(api: Api) -> None:
    made = _create(api, phone_number=PHONE)
    reply = api.delete(f"/v1/auth/users/emails/{made['phone_number_id']}/delete")
    assert_error(reply, 404, "method_not_found")


@pytest.mark.parametrize("spelling", ["phone_numbers", "phone_number"])
def test_delete_user_phone_number_both_paths(api: Api, spelling: str) -> None:
    made = _create(api, email=EMAIL, phone_number=PHONE)
    reply = api.delete(f"/v1/auth/users/{spelling}/{made['phone_number_id']}/delete")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {
        "message": "Successfully deleted user phone number",
        "user_id": made["user_id"],
    }
    assert api.get(f"/v1/auth/users/{made['user_id']}").get_json()["phone_numbers"] == []
    again = api.delete(f"/v1/auth/users/{spelling}/{made['phone_number_id']}/delete")
    assert_error(again, 404, "method_not_found", made["phone_number_id"])


def test_delete_user_email_keeps_sessions(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    user = api.get(f"/v1/auth/users/{first['user_id']}").get_json()
    api.delete(f"/v1/auth/users/emails/{user['email_id']}/delete")
    reply = api.post("/v1/auth/sessions/verify", {"session_token": first["session_token"]})
    assert reply.status_code == 200, reply.get_json()
