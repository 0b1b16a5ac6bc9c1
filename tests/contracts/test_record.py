"""Recording: collapsing, matchers, descriptions, state tracing and redaction, from entries."""

from __future__ import annotations

import json
from typing import Any

from contracts import states
from contracts.record import contract, interactions
from contracts.shapes import JWT_RE, shape
from tests.contracts.rules import broken_rules

EMAIL = "ada@example.com"
TOKEN = "SshISGfCKQg2wDDMqUhxzdPGZ3wZPNWaMz97R0hBKeYZ3rc0pcS02eQNfcZwCX0g"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX1JlY29yZGVkUnVuVmFsdWUifQ.UmVjb3JkZWRTaWduYXR1cmU"
CODE = "981296"
USER = "user_3p9jB2kL4KWPHdPPZzyJZv3yzc7"
EMAIL_ID = "email_gXkviV8t79quNYoPllGBJNJX6R1"
SESSION_ID = "sess_6nou5BsNdoAk6z8thr5BzFqrG3M"
ERROR = {
    "status_code": 401,
    "error_type": "invalid_session",
    "error_message": "Session not found or has expired",
    "error": {"code": "invalid_session", "message": "Session not found or has expired"},
}


class Journal:
    """Entries in the control API's form, numbered as the fake numbers them."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(
        self, op: str, method: str, path: str, body: Any, status: int, answer: Any, **extra: Any
    ) -> None:
        error_type = answer.get("error_type", "") if isinstance(answer, dict) else ""
        self.entries.append(
            {
                "seq": len(self.entries) + 1,
                "at": extra.pop("at", 1000.0 + len(self.entries)),
                "app_id": "app_test",
                "method": method,
                "path": path,
                "operation_id": op,
                "query": extra.pop("query", {}),
                "body": body,
                "response": answer,
                "status": status,
                "injected": extra.pop("injected", False),
                "error_type": error_type,
            }
        )


def session_answer(expires_at: int = 5000) -> dict[str, Any]:
    factor = {"delivery_channel": "email", "type": "otp", "method": {"email": EMAIL}}
    return {
        "session_token": TOKEN,
        "session_jwt": JWT,
        "user_id": USER,
        "session": {
            "id": SESSION_ID,
            "user_id": USER,
            "session_token": TOKEN,
            "started_at": 1000,
            "expires_at": expires_at,
            "factors": [factor],
        },
        "user": {"user_id": USER, "email": EMAIL, "active": True, "emails": [{"id": EMAIL_ID}]},
    }


def logged_in(expires_at: int = 5000) -> Journal:
    journal = Journal()
    sent = {"user_id": USER, "email_id": EMAIL_ID, "status": "pending", "user_created": True}
    journal.add(
        "LoginOrCreateUserByEmailOtp",
        "POST",
        "/v1/auth/otps/email/login_or_create",
        {"email": EMAIL},
        200,
        sent,
    )
    journal.add(
        "VerifyOtp",
        "POST",
        "/v1/auth/otps/verify",
        {"email": EMAIL, "code": CODE},
        200,
        session_answer(expires_at),
    )
    return journal


OUTBOX = [{"kind": "otp", "to": EMAIL, "code": CODE, "method_id": EMAIL_ID}]


def verify(journal: Journal, status: int = 200, **extra: Any) -> None:
    answer = session_answer() if status == 200 else ERROR
    journal.add(
        "VerifySession",
        "POST",
        "/v1/auth/sessions/verify",
        {"session_token": TOKEN},
        status,
        answer,
        **extra,
    )


def by_description(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i["description"]): i for i in contract("app", found)["interactions"]}


def test_repeated_calls_collapse_into_one_interaction() -> None:
    journal = logged_in()
    for _ in range(3):
        verify(journal)
    found = by_description(interactions(journal.entries, OUTBOX))
    assert sorted(found) == [
        "send an email OTP to a new user → 200",
        "verify a live session → 200",
        "verify an OTP → 200",
    ]


def test_a_deleted_session_is_a_deleted_session_state_with_a_generator() -> None:
    journal = logged_in()
    verify(journal)
    journal.add(
        "DeleteSession",
        "DELETE",
        "/v1/auth/sessions/delete",
        {"session_token": TOKEN},
        200,
        {"message": "Successfully deleted session"},
    )
    verify(journal, 401)
    found = by_description(interactions(journal.entries, OUTBOX))
    deleted = found["verify a deleted session → 401 invalid_session"]
    assert deleted["providerStates"] == [
        {"name": f"a deleted session for {EMAIL}", "params": {"email": EMAIL}}
    ]
    assert deleted["request"]["generators"] == {
        "body": {"$.session_token": states.generator("session_token")}
    }
    assert deleted["request"]["body"]["content"] == {"session_token": "example-session-token"}
    live = found["verify a live session → 200"]
    factors = [{"type": "otp", "delivery_channel": "email"}]
    assert live["providerStates"] == [
        {
            "name": f"a live session for {EMAIL} with factors otp/email",
            "params": {"email": EMAIL, "factors": factors},
        }
    ]
    assert "delete a live session → 200" in found


def test_time_travel_past_expiry_is_an_expired_session() -> None:
    journal = logged_in(expires_at=2000)
    verify(journal, 401, at=2500.0)
    found = by_description(interactions(journal.entries, OUTBOX))
    expired = found["verify an expired session → 401 invalid_session"]
    assert states.kind_named(expired["providerStates"][0]["name"]) is states.EXPIRED_SESSION


def test_an_otp_code_from_the_outbox_is_an_otp_sent_state_and_a_wrong_one_is_not_generated() -> (
    None
):
    journal = logged_in()
    journal.add(
        "VerifyOtp",
        "POST",
        "/v1/auth/otps/verify",
        {"email": EMAIL, "code": "000001"},
        400,
        {**ERROR, "status_code": 400, "error_type": "invalid_otp"},
    )
    found = by_description(interactions(journal.entries, OUTBOX))
    right = found["verify an OTP → 200"]
    assert right["providerStates"] == [
        {"name": f"an OTP sent to {EMAIL}", "params": {"email": EMAIL}}
    ]
    assert right["request"]["generators"] == {"body": {"$.code": states.generator("code")}}
    wrong = found["verify an OTP with a wrong code → 400 invalid_otp"]
    assert "generators" not in wrong["request"]
    assert wrong["request"]["body"]["content"]["code"] == "000000"


def test_an_existing_user_is_a_user_state_and_user_ids_in_the_query_are_generated() -> None:
    journal = Journal()
    journal.add(
        "LoginOrCreateUserByEmailOtp",
        "POST",
        "/v1/auth/otps/email/login_or_create",
        {"email": EMAIL},
        200,
        {"user_id": USER, "email_id": EMAIL_ID, "user_created": False},
    )
    journal.add(
        "ListSessions",
        "GET",
        "/v1/auth/sessions/list",
        {},
        200,
        {"sessions": []},
        query={"user_id": USER},
    )
    journal.add("GetUser", "GET", f"/v1/auth/users/{USER}", None, 200, {"user_id": USER})
    found = by_description(interactions(journal.entries))
    existing = found["send an email OTP to an existing user → 200"]
    assert existing["providerStates"][0]["name"] == f"a user with email {EMAIL}"
    listed = found["list a user's sessions → 200"]
    assert listed["request"]["generators"] == {"query": {"user_id": states.generator("user_id")}}
    assert listed["request"]["query"] == {"user_id": ["user_000000000000000000000000000"]}
    assert "body" not in listed["request"]
    assert "headers" not in listed["request"]
    got = found["get a user → 200"]
    assert got["request"]["generators"]["path"]["expression"] == "/v1/auth/users/${user_id}"
    assert got["request"]["path"] == "/v1/auth/users/user_000000000000000000000000000"


def test_injected_faults_and_dropped_calls_are_left_out() -> None:
    journal = logged_in()
    verify(journal, 401, injected=True)
    journal.add(
        "VerifySession", "POST", "/v1/auth/sessions/verify", {"session_token": TOKEN}, 0, None
    )
    found = by_description(interactions(journal.entries, OUTBOX))
    assert not any("verify a" in d and "session" in d for d in found)


def test_answers_get_rules_for_what_varies_and_stay_exact_for_what_apps_branch_on() -> None:
    example, rules = shape(session_answer())
    assert rules["$.session_jwt"]["matchers"] == [{"match": "regex", "regex": JWT_RE}]
    assert rules["$.user_id"]["matchers"][0]["regex"] == "^user_[A-Za-z0-9]+$"
    assert rules["$.session.started_at"]["matchers"] == [{"match": "integer"}]
    assert rules["$.user.emails"]["matchers"] == [{"match": "type", "min": 1}]
    assert rules["$.user.emails[*].id"]["matchers"][0]["regex"] == "^email_[A-Za-z0-9]+$"
    for exact in (
        "$.session.factors[*].type",
        "$.session.factors[*].delivery_channel",
        "$.user.active",
        "$.session.factors",
    ):
        assert exact not in rules
    assert example["session"]["factors"][0]["type"] == "otp"
    _, error_rules = shape(ERROR)
    assert set(error_rules) == {"$.error_message", "$.error.message"}  # error_type, code exact


def test_no_secret_of_the_run_is_written() -> None:
    journal = logged_in()
    verify(journal)
    journal.add(
        "UpdatePasswordBySession",
        "POST",
        "/v1/auth/passwords/session/update",
        {"session_token": TOKEN, "password": "My-chosen-Secret-42"},
        200,
        session_answer(),
    )
    journal.add(
        "CreateTOTP",
        "POST",
        "/v1/auth/totps/create",
        {"user_id": USER},
        200,
        {
            "user_id": USER,
            "totp_id": "totp_abc",
            "secret": "GQDPJIVDJFJ7L37DR2Q4RU6PYS7RW7TJ",
            "recovery_codes": ["xluer-vo6sm"],
            "otpauth_uri": "otpauth://totp/x?secret=GQDP",
        },
    )
    text = json.dumps(contract("app", interactions(journal.entries, OUTBOX)))
    for secret in (
        TOKEN,
        JWT,
        CODE,
        "My-chosen-Secret-42",
        "GQDPJIVDJFJ7L37DR2Q4RU6PYS7RW7TJ",
        "xluer-vo6sm",
        SESSION_ID,
    ):
        assert secret not in text
    assert "Example-password-1" in text


def test_the_document_is_pact_v4_with_synchronous_http_interactions() -> None:
    document = contract("shop", interactions(logged_in().entries, OUTBOX))
    assert document["consumer"] == {"name": "shop"}
    assert document["provider"] == {"name": "moonkey"}
    assert document["metadata"]["pactSpecification"] == {"version": "4.0"}
    assert "version" in document["metadata"]["moonkeyMock"]
    for interaction in document["interactions"]:
        assert interaction["type"] == "Synchronous/HTTP"
        assert "Authorization" not in interaction["request"].get("headers", {})
        assert interaction["request"]["body"]["contentType"] == "application/json"


def test_merging_parts_collapses_by_key() -> None:
    part = interactions(logged_in().entries, OUTBOX)
    again = interactions(logged_in().entries, OUTBOX)
    assert len(contract("app", part + again)["interactions"]) == len(part)


def test_every_example_satisfies_its_own_rules() -> None:
    totp = {
        "user_id": USER,
        "totp_id": "totp_abc",
        "secret": "GQDPJIVDJFJ7L37DR2Q4RU6PYS7RW7TJ",
        "recovery_codes": ["xluer-vo6sm"],
        "qr_base64": "iVBORw0KGgoAAAANSUhEUgAAARQ=",
        "otpauth_uri": "otpauth://totp/x?secret=GQDP",
        "created_at": "2026-01-01T00:00:00Z",
        "score": 0.5,
    }
    for answer in (session_answer(), ERROR, totp, {"sessions": [], "users": [session_answer()]}):
        example, rules = shape(answer)
        assert broken_rules(example, rules) == []


def test_the_rule_check_itself_finds_a_broken_example() -> None:
    rules = {"$.a[*].id": {"matchers": [{"match": "regex", "regex": "^user_"}]}}
    assert broken_rules({"a": [{"id": "sess_1"}]}, rules) == [
        "$.a[*].id: 'sess_1' fails {'match': 'regex', 'regex': '^user_'}"
    ]
    assert broken_rules({}, rules) == ["$.a[*].id: names nothing"]


def test_a_magic_link_token_from_the_outbox_is_a_magic_link_sent_state() -> None:
    token = "CzJ1WTtyCF2wqhavQYiy9m7GayazthwamK4DKC07Ac6B2Fmn"
    outbox = [{"kind": "magic_link", "to": EMAIL, "token": token, "code": ""}]
    journal = Journal()
    journal.add(
        "VerifyMagicToken",
        "POST",
        "/v1/auth/magic_links/verify",
        {"token": token},
        200,
        session_answer(),
    )
    journal.add(
        "VerifyMagicToken",
        "POST",
        "/v1/auth/magic_links/verify",
        {"token": "forged"},
        400,
        {**ERROR, "status_code": 400, "error_type": "invalid_magic_token"},
    )
    found = by_description(interactions(journal.entries, outbox))
    redeemed = found["verify a magic-link token → 200"]
    assert redeemed["providerStates"] == [
        {"name": f"a magic link sent to {EMAIL}", "params": {"email": EMAIL}}
    ]
    assert redeemed["request"]["generators"] == {"body": {"$.token": states.generator("token")}}
    forged = found["verify a magic-link token → 400 invalid_magic_token"]
    assert forged["providerStates"] == []
    assert "generators" not in forged["request"]
    assert token not in json.dumps(found)
