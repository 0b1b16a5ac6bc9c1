"""UpdateUser and the email / phone-number deletes (T12-T14).

Published pages: https://developers.streambird.io/operation/operation-updateuser,
https://docs.streambird.io/api-reference/users/update-user,
https://docs.streambird.io/api-reference/users/delete-user-email.md and
https://developers.streambird.io/operation/operation-deleteuserphonenumber.
"""

from __future__ import annotations

import pytest

from conformance import sources
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.flows import Flows


@pytest.mark.rule("T12: UpdateUser attaches emails, unverified", source=sources.UPDATE_USER)
def test_update_user_attaches_email(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The old email stays; the new one is added with ``verified: false``."""
    login = flows.login()
    extra = flows.email("attached")
    updated = api.call(
        "PUT",
        f"/v1/auth/users/{login.user_id}/update",
        json_body={"emails": [{"email": extra}], "first_name": "Conformance"},
    )
    emails = expect.field(updated, "user", "emails")
    listed = [(e.get("email"), e.get("verified")) for e in emails]
    expect.equal("user.emails", [(login.email, True), (extra, False)], listed, updated)
    expect.equal("user.first_name", "Conformance", updated.json["user"].get("first_name"), updated)


@pytest.mark.rule(
    "T12: UpdateUser with another user's email → 409 duplicate_email",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
def test_update_user_duplicate_email(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """Nothing changes when one identifier belongs to someone else."""
    taken = flows.email("taken")
    flows.create_user(taken)
    user_id = flows.create_user()
    refused = api.call(
        "PUT", f"/v1/auth/users/{user_id}/update", json_body={"emails": [{"email": taken}]}
    )
    expect.error(refused, 409, "duplicate_email")


@pytest.mark.rule(
    "T12: metadata merges; null deletes; replace_metadata replaces", source=sources.UPDATE_USER
)
def test_update_user_metadata(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """Top-level merge, a ``null`` value deletes the key, ``replace_metadata`` replaces all."""
    user_id = flows.create_user()
    path = f"/v1/auth/users/{user_id}/update"
    expect.ok(api.call("PUT", path, json_body={"metadata": {"a": 1, "b": {"x": 1}}}))
    merged = api.call("PUT", path, json_body={"metadata": {"a": None, "b": {"y": 2}, "c": 3}})
    got = expect.field(merged, "user", "metadata")
    expect.equal("merged metadata", {"b": {"y": 2}, "c": 3}, got, merged)
    replaced = api.call("PUT", path, json_body={"metadata": {"d": 4}, "replace_metadata": True})
    expect.equal("replaced metadata", {"d": 4}, expect.field(replaced, "user", "metadata"))


@pytest.mark.rule(
    "T14: DeleteUserEmail answers {message, user_id}; then 404",
    source=sources.DELETE_USER_EMAIL,
)
def test_delete_user_email(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The email leaves the user; deleting it again → 404 ``method_not_found``."""
    created = api.post("/v1/auth/users/create", {"email": flows.email("delemail")})
    body = expect.ok(created)
    flows.remember(str(body.get("user_id", "")))
    path = f"/v1/auth/users/emails/{body['email_id']}/delete"
    deleted = api.delete(path)
    expect.equal("user_id", body["user_id"], expect.ok(deleted).get("user_id"), deleted)
    user = api.get(f"/v1/auth/users/{body['user_id']}")
    expect.equal("user.emails", [], expect.field(user, "emails"), user)
    expect.error(api.delete(path), 404, "method_not_found")


@pytest.mark.rule(
    "T13: both DeleteUserPhoneNumber paths work", source=sources.DELETE_USER_PHONE_NUMBER
)
@pytest.mark.parametrize("spelling", ["phone_numbers", "phone_number"])
def test_delete_user_phone_number(
    flows: Flows, api: ApiClient, expect: Expect, spelling: str
) -> None:
    """The plural (SDKs) and singular (Bump curl) paths delete the phone number."""
    user_id = flows.create_user()
    digits = int(flows.run_id, 16) % 1_000_000 * 10 + len(spelling) % 10
    phone = f"+1555{digits:07d}"
    updated = api.call(
        "PUT",
        f"/v1/auth/users/{user_id}/update",
        json_body={"phone_numbers": [{"phone_number": phone}]},
    )
    phone_id = expect.field(updated, "phone_numbers", 0, "id")
    deleted = api.delete(f"/v1/auth/users/{spelling}/{phone_id}/delete")
    expect.equal("user_id", user_id, expect.ok(deleted).get("user_id"), deleted)
    expect.error(api.delete(f"/v1/auth/users/{spelling}/{phone_id}/delete"), 404)
