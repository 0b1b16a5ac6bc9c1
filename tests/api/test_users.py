"""Users: CreateUser, GetUser, DeleteUser and SearchUsers (reference §9; D6, L8, L9, L14, L21)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.state import MockState
from tests.conftest import START
from tests.helpers import Api, add_app, assert_error, latest_code, login

CREATE = "/v1/auth/users/create"
SEARCH = "/v1/auth/users/search"
T0 = int(START.timestamp())
EMAIL = "ann@example.com"
PHONE = "+14155550123"


def _create(api: Api, **fields: Any) -> dict[str, Any]:
    reply = api.post(CREATE, fields)
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _search(api: Api, **body: Any) -> dict[str, Any]:
    reply = api.post(SEARCH, body)
    assert reply.status_code == 200, reply.get_json()
    result: dict[str, Any] = reply.get_json()
    return result


def _rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _found(api: Api, operator: str, *rules: dict[str, Any]) -> list[str]:
    users = _search(api, filters={"operator": operator, "fields": list(rules)})["users"]
    return [u["email"] or u["phone_number"] for u in users]


# --- CreateUser ------------------------------------------------------------------------


def test_create_user_with_email(api: Api) -> None:
    body = _create(api, email=EMAIL)
    assert body["user_id"].startswith("user_")
    assert body["email_id"].startswith("email_")
    assert (body["status"], body["phone_number_id"]) == ("active", "")
    assert "user" not in body


def test_create_user_with_phone_number(api: Api) -> None:
    body = _create(api, phone_number=PHONE)
    assert body["phone_number_id"].startswith("pn_")
    assert body["email_id"] == ""


def test_create_user_with_both_and_include_user(api: Api) -> None:
    body = _create(
        api,
        email=EMAIL,
        phone_number=PHONE,
        first_name="Ann",
        middle_name="B",
        last_name="Lee",
        include_user=True,
    )
    user = body["user"]
    assert user["id"] == user["user_id"] == body["user_id"]
    assert (user["email"], user["email_id"]) == (EMAIL, body["email_id"])
    assert (user["phone_number"], user["phone_number_id"]) == (PHONE, body["phone_number_id"])
    assert (user["first_name"], user["middle_name"], user["last_name"]) == ("Ann", "B", "Lee")
    assert (user["status"], user["active"]) == ("active", True)
    assert user["emails"] == [
        {
            "id": body["email_id"],
            "email": EMAIL,
            "verified": False,
            "created_at": T0,
            "updated_at": T0,
        }
    ]
    assert user["phone_numbers"][0]["phone_number"] == PHONE
    assert (user["created_at"], user["updated_at"]) == (T0, T0)


def test_create_user_requires_verification_is_pending(api: Api) -> None:
    body = _create(api, email=EMAIL, requires_verification=True, include_user=True)
    assert body["status"] == "pending"
    assert body["user"]["active"] is False


def test_create_user_with_wallet_type_has_a_default_wallet(api: Api) -> None:
    user = _create(api, email=EMAIL, wallet_type="ethereum", include_user=True)["user"]
    [wallet] = user["wallets"]
    assert (wallet["wallet_type"], wallet["is_default"]) == ("ethereum", True)
    assert wallet["public_address"].startswith("0x")


@pytest.mark.parametrize("email", [EMAIL, "ANN@Example.COM"])
def test_create_user_duplicate_email_is_409(api: Api, email: str) -> None:
    _create(api, email=EMAIL)
    reply = api.post(CREATE, {"email": email})
    assert_error(reply, 409, "duplicate_email", f"email '{email}' already exists")


def test_create_user_duplicate_phone_number_is_409(api: Api) -> None:
    _create(api, phone_number=PHONE)
    reply = api.post(CREATE, {"email": "new@example.com", "phone_number": PHONE})
    assert_error(reply, 409, "duplicate_phone_number", PHONE)
    assert _search(api)["total_count"] == 1  # nothing half-created


def test_create_user_same_email_in_another_app_is_fine(api: Api, state: MockState) -> None:
    _create(api, email=EMAIL)
    other = Api(api.client, add_app(state).secret_keys[0])
    assert other.post(CREATE, {"email": EMAIL}).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "at least one of 'email', 'phone_number'"),
        ({"first_name": "Ann"}, "at least one of 'email', 'phone_number'"),
        ({"email": "not-an-email"}, "email"),
        ({"phone_number": "555-0123"}, "phone_number"),
        ({"email": EMAIL, "first_name": ""}, "first_name"),
        ({"email": EMAIL, "wallet_type": "dogecoin"}, "wallet_type"),
        ({"email": EMAIL, "include_user": "yes"}, "expected a boolean"),
        ({"email": EMAIL, "nickname": "x"}, "Unknown body field 'nickname'"),
    ],
)
def test_create_user_invalid_body_is_400(api: Api, body: dict[str, Any], message: str) -> None:
    assert_error(api.post(CREATE, body), 400, "validation_error", message)


# --- GetUser ---------------------------------------------------------------------------


def test_get_user_returns_the_user(api: Api) -> None:
    created = _create(api, email=EMAIL, include_user=True)
    reply = api.get(f"/v1/auth/users/{created['user_id']}")
    assert reply.status_code == 200
    assert reply.get_json() == created["user"]


def test_get_user_unknown_is_404(api: Api) -> None:
    reply = api.get("/v1/auth/users/user_nobody")
    assert_error(reply, 404, "user_not_found", "user_nobody")


def test_get_user_of_another_app_is_404(api: Api, state: MockState) -> None:
    other = Api(api.client, add_app(state).secret_keys[0])
    user_id = _create(other, email=EMAIL)["user_id"]
    assert_error(api.get(f"/v1/auth/users/{user_id}"), 404, "user_not_found", user_id)


# --- DeleteUser ------------------------------------------------------------------------


def test_delete_user_removes_the_user_and_revokes_its_sessions(api: Api, state: MockState) -> None:
    first = login(api, state, EMAIL)
    second = login(api, state, EMAIL)
    bob = login(api, state, "bob@example.com")
    user_id = first["user_id"]
    reply = api.delete(f"/v1/auth/users/{user_id}/delete")
    assert reply.status_code == 200
    assert reply.get_json() == {"message": "Successfully deleted user", "user_id": user_id}
    assert_error(api.get(f"/v1/auth/users/{user_id}"), 404, "user_not_found", user_id)
    for logged in (first, second):
        for field in ("session_token", "session_jwt"):
            verify = api.post("/v1/auth/sessions/verify", {field: logged[field]})
            assert_error(verify, 401, "invalid_session", "Session not found")
    listed = api.get("/v1/auth/sessions/list", user_id=user_id)
    assert_error(listed, 404, "user_not_found", user_id)
    assert state.store.session_count() == 1
    assert (
        api.post("/v1/auth/sessions/verify", {"session_token": bob["session_token"]}).status_code
        == 200
    )


def test_delete_user_twice_is_404(api: Api) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    assert api.delete(f"/v1/auth/users/{user_id}/delete").status_code == 200
    again = api.delete(f"/v1/auth/users/{user_id}/delete")
    assert_error(again, 404, "user_not_found", user_id)


def test_delete_user_frees_its_email_and_drops_pending_codes(api: Api, state: MockState) -> None:
    user_id = _create(api, email=EMAIL)["user_id"]
    assert api.post("/v1/auth/otps/email/send", {"email": EMAIL}).status_code == 200
    code = latest_code(state, EMAIL)
    assert api.delete(f"/v1/auth/users/{user_id}/delete").status_code == 200
    verify = api.post("/v1/auth/otps/verify", {"email": EMAIL, "code": code})
    assert_error(verify, 404, "method_not_found", EMAIL)
    again = _create(api, email=EMAIL)
    assert again["user_id"] != user_id
    stale = api.post("/v1/auth/otps/verify", {"email": EMAIL, "code": code})
    assert_error(stale, 400, "invalid_otp", "No passcode is pending")


# --- SearchUsers -----------------------------------------------------------------------


@pytest.fixture
def people(api: Api, state: MockState) -> dict[str, dict[str, Any]]:
    """Three users: Ann (email, active), Bob (phone, pending), Cat (both, active)."""
    return {
        "ann": _create(api, email=EMAIL, first_name="Ann", last_name="Lee"),
        "bob": _create(
            api, phone_number=PHONE, first_name="Bob", last_name="Ray", requires_verification=True
        ),
        "cat": _create(api, email="cat@example.org", phone_number="+4930123456", first_name="Cat"),
    }


def test_search_users_without_filters_lists_all_in_creation_order(
    api: Api, people: dict[str, Any]
) -> None:
    body = _search(api)
    assert [u["user_id"] for u in body["users"]] == [p["user_id"] for p in people.values()]
    assert (body["total_count"], body["has_more"]) == (3, False)
    assert all(u["id"] == u["user_id"] for u in body["users"])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (("status", "eq", "pending"), [PHONE]),
        (("status", "in", ["active", "pending"]), [EMAIL, PHONE, "cat@example.org"]),
        (("email", "eq", "ANN@example.com"), [EMAIL]),
        (("email", "in", [EMAIL, "cat@example.org"]), [EMAIL, "cat@example.org"]),
        (("email_match", "eq", "EXAMPLE.org"), ["cat@example.org"]),
        (("phone_number", "eq", PHONE), [PHONE]),
        (("phone_number", "in", [PHONE, "+4930123456"]), [PHONE, "cat@example.org"]),
        (("phone_number_match", "eq", "30123"), ["cat@example.org"]),
        (("full_name_match", "eq", "ann lee"), [EMAIL]),
        (("full_name_match", "eq", "a"), [EMAIL, PHONE, "cat@example.org"]),
        (("email", "eq", "nobody@example.com"), []),
    ],
)
def test_search_users_filter_by_field(
    api: Api, people: dict[str, Any], rule: tuple[str, str, Any], expected: list[str]
) -> None:
    assert _found(api, "AND", _rule(*rule)) == expected


def test_search_users_filter_by_ids(api: Api, people: dict[str, Any]) -> None:
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    assert _found(api, "AND", _rule("user_id", "eq", bob["user_id"])) == [PHONE]
    ids = [ann["user_id"], cat["user_id"]]
    assert _found(api, "AND", _rule("user_id", "in", ids)) == [EMAIL, "cat@example.org"]
    assert _found(api, "AND", _rule("email_id", "eq", cat["email_id"])) == ["cat@example.org"]
    by_phone_id = _rule("phone_number_id", "in", [bob["phone_number_id"]])
    assert _found(api, "AND", by_phone_id) == [PHONE]


def test_search_users_and_or_combine_conditions(api: Api, people: dict[str, Any]) -> None:
    active = _rule("status", "eq", "active")
    has_phone = _rule("phone_number_match", "eq", "+")
    assert _found(api, "AND", active, has_phone) == ["cat@example.org"]
    assert _found(api, "OR", active, has_phone) == [EMAIL, PHONE, "cat@example.org"]


def test_search_users_paginates_with_cursor(api: Api) -> None:
    created = [_create(api, email=f"u{i:02d}@example.com")["user_id"] for i in range(25)]
    seen: list[str] = []
    pages: list[tuple[int, int, bool]] = []
    cursor: dict[str, Any] = {}
    while True:
        body = _search(api, limit=10, **cursor)
        seen += [u["user_id"] for u in body["users"]]
        pages.append((len(body["users"]), body["total_count"], body["has_more"]))
        if not body["has_more"]:
            break
        cursor = {"starting_after": body["users"][-1]["user_id"]}
    assert pages == [(10, 25, True), (10, 25, True), (5, 25, False)]
    assert seen == created


def test_search_users_exact_page_has_no_more(api: Api) -> None:
    for i in range(10):
        _create(api, email=f"u{i}@example.com")
    body = _search(api, limit=10)
    assert (len(body["users"]), body["has_more"]) == (10, False)


def test_search_users_cursor_that_no_longer_matches_still_pages_on(
    api: Api, state: MockState
) -> None:
    pending = [
        _create(api, email=f"u{i:02d}@example.com", requires_verification=True) for i in range(12)
    ]
    only_pending = {"operator": "AND", "fields": [_rule("status", "eq", "pending")]}
    first = _search(api, limit=10, filters=only_pending)
    last = first["users"][-1]
    login(api, state, last["email"])  # the cursor user becomes active meanwhile
    rest = _search(api, limit=10, filters=only_pending, starting_after=last["user_id"])
    assert [u["user_id"] for u in rest["users"]] == [p["user_id"] for p in pending[10:]]
    assert (rest["total_count"], rest["has_more"]) == (11, False)


@pytest.mark.parametrize(("limit", "ok"), [(9, False), (10, True), (100, True), (101, False)])
def test_search_users_limit_bounds(api: Api, limit: int, ok: bool) -> None:
    reply = api.post(SEARCH, {"limit": limit})
    if ok:
        assert reply.status_code == 200
    else:
        assert_error(reply, 400, "validation_error", "limit")


@pytest.mark.parametrize("cursor", ["user_unknown", "deleted"])
def test_search_users_bad_cursor_is_400(api: Api, cursor: str) -> None:
    if cursor == "deleted":
        cursor = _create(api, email=EMAIL)["user_id"]
        assert api.delete(f"/v1/auth/users/{cursor}/delete").status_code == 200
    reply = api.post(SEARCH, {"starting_after": cursor})
    assert_error(reply, 400, "invalid_cursor", cursor)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (("full_name_match", "in", ["ann"]), "accepts operator eq, not 'in'"),
        (("email_match", "in", ["ann"]), "accepts operator eq, not 'in'"),
        (("status", "eq", ["active"]), "'eq' needs a string value"),
        (("status", "in", "active"), "'in' needs a list value"),
    ],
)
def test_search_users_bad_operator_is_400_invalid_filter(
    api: Api, rule: tuple[str, str, Any], message: str
) -> None:
    reply = api.post(SEARCH, {"filters": {"operator": "AND", "fields": [_rule(*rule)]}})
    assert_error(reply, 400, "invalid_filter", message)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"operator": "XOR", "fields": [_rule("status", "eq", "active")]}, "operator"),
        ({"operator": "AND", "fields": []}, "fields"),
        ({"operator": "AND"}, "Missing required body field 'filters.fields'"),
        ({"operator": "AND", "fields": [_rule("age", "eq", "3")]}, "field"),
        ({"operator": "AND", "fields": [_rule("status", "ne", "x")]}, "operator"),
        ({"operator": "AND", "fields": [_rule("status", "in", [])]}, "value"),
    ],
)
def test_search_users_malformed_filters_are_400(
    api: Api, filters: dict[str, Any], message: str
) -> None:
    assert_error(api.post(SEARCH, {"filters": filters}), 400, "validation_error", message)


def test_search_users_sees_only_its_own_app(api: Api, state: MockState) -> None:
    _create(api, email=EMAIL)
    other = Api(api.client, add_app(state).secret_keys[0])
    assert _search(other) == {"users": [], "total_count": 0, "has_more": False}
