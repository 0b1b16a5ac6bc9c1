"""What a login leaves behind and reports: the user it creates, the method it verifies, deletion.

The API reference's pages for LoginOrCreateUserByEmailOtp (``user_id``, ``email_id``, ``status``
and ``user_created``, all required), VerifyOtp (``method_id``, ``method_type``, ``user_id``),
GetUser (the User object) and DeleteUser (``{message, user_id}``; the user is gone after it).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import sources
from conformance.expect import Expect
from conformance.flows import Flows

USER_FIELDS = (
    "user_id",
    "first_name",
    "middle_name",
    "last_name",
    "status",
    "emails",
    "phone_numbers",
    "created_at",
    "updated_at",
)


@pytest.mark.rule(
    "LoginOrCreateUserByEmailOtp creates the user once: user_created true, then false",
    source=sources.LOGIN_OR_CREATE_EMAIL_OTP,
)
def test_login_or_create_reports_user_created(flows: Flows, expect: Expect) -> None:
    """A new address creates a user; the same address again finds that user."""
    email = flows.email("created")
    first = flows.api.post("/v1/auth/otps/email/login_or_create", {"email": email})
    body = expect.ok(first)
    flows.remember(str(body.get("user_id", "")))
    for name in ("user_id", "email_id", "status", "user_created"):
        expect.true(name in body, f"'{name}' in the answer", "absent", first)
    expect.equal("user_created of a new address", True, body.get("user_created"), first)
    again = flows.api.post("/v1/auth/otps/email/login_or_create", {"email": email})
    second = expect.ok(again)
    expect.equal("user_created of a known address", False, second.get("user_created"), again)
    expect.equal("user_id of a known address", body.get("user_id"), second.get("user_id"), again)


@pytest.mark.rule(
    "VerifyOtp answers the method it verified: method_id, method_type email, user_id",
    source=sources.VERIFY_OTP,
)
def test_verify_otp_names_the_method(flows: Flows, expect: Expect) -> None:
    """``method_id`` is the ``email_id`` the code was sent to; ``method_type`` is ``email``."""
    email = flows.email("method")
    sent = flows.send_otp(email)
    verified = flows.api.post(
        "/v1/auth/otps/verify",
        {"method_id": sent["email_id"], "otp": flows.read(email), "session_expires_in": 60},
    )
    body = expect.ok(verified)
    expect.equal("method_id", sent["email_id"], body.get("method_id"), verified)
    expect.equal("method_type", "email", body.get("method_type"), verified)
    expect.equal("user_id", sent["user_id"], body.get("user_id"), verified)


@pytest.mark.rule(
    "GetUser after an email OTP login: the User object with the address verified",
    source=sources.GET_USER,
)
def test_get_user_after_login(flows: Flows, expect: Expect) -> None:
    """Every documented field; ``emails`` holds the address, its ``email_id`` and ``verified``."""
    login = flows.login()
    got = flows.api.get(f"/v1/auth/users/{login.user_id}")
    user: dict[str, Any] = expect.ok(got)
    for name in USER_FIELDS:
        expect.true(name in user, f"user.{name} present", "absent", got)
    expect.equal("user.user_id", login.user_id, user.get("user_id"), got)
    listed = user.get("emails")
    emails: list[Any] = listed if isinstance(listed, list) else []
    mine = [e for e in emails if isinstance(e, dict) and e.get("email") == login.email]
    expect.true(bool(mine), f"user.emails lists {login.email}", repr(emails)[:300], got)
    expect.equal("the email's id", login.method_id, mine[0].get("id"), got)
    expect.equal("the email's verified flag after VerifyOtp", True, mine[0].get("verified"), got)


@pytest.mark.rule(
    "DeleteUser answers {message, user_id} and the user is gone (GetUser 404)",
    source=sources.DELETE_USER,
)
def test_delete_user_removes_the_user(flows: Flows, expect: Expect) -> None:
    """The suite's own user: deleted, then GetUser answers 404 ``user_not_found``."""
    user_id = flows.create_user()
    deleted = flows.api.delete(f"/v1/auth/users/{user_id}/delete")
    body = expect.ok(deleted)
    expect.equal("user_id", user_id, body.get("user_id"), deleted)
    expect.true(bool(body.get("message")), "a message", repr(body), deleted)
    expect.error(flows.api.get(f"/v1/auth/users/{user_id}"), 404, "user_not_found")
