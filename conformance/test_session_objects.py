"""The documented shape of what a login returns: ids, tokens, codes, timestamps, the session.

The API reference's examples and schemas (ids are a prefix and 27 base62 characters, a session
token 64 base62 characters, a magic-link token 48; every ``*_at`` is a number of unix seconds;
the Session object's fields), decision D7 for the formats, D14 and C20 for the order of a list,
and the Verify OTP page's six-digit passcode.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import sources
from conformance.client import Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.timing import TimeTravel

BASE62 = "[0-9A-Za-z]"
ID_BODY = 27
FORMATS = {
    "user_id": rf"^user_{BASE62}{{{ID_BODY}}}$",
    "session.id": rf"^sess_{BASE62}{{{ID_BODY}}}$",
    "method_id": rf"^email_{BASE62}{{{ID_BODY}}}$",
    "session_token": rf"^{BASE62}{{64}}$",
}
MAGIC_TOKEN = rf"^{BASE62}{{48}}$"
PASSCODE = r"^[0-9]{6}$"
TIMESTAMPS = ("started_at", "expires_at", "last_active_at", "created_at", "updated_at")
SESSION_FIELDS = ("id", "user_id", "factors", "device_fingerprint", *TIMESTAMPS)
# a documented *_at may lie this far from the target's clock (its Date header) and still be
# "unix seconds": a session lasts at most a year, milliseconds are a thousand times larger
YEAR = 366 * 86_400
MINUTE = 60


def _value(body: dict[str, Any], dotted: str) -> Any:
    value: Any = body
    for step in dotted.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _check_format(expect: Expect, what: str, value: Any, pattern: str, shown: Exchange) -> None:
    text = value if isinstance(value, str) else repr(value)
    expect.true(
        isinstance(value, str) and re.fullmatch(pattern, value) is not None,
        f"{what} matching {pattern}",
        f"{what} = {text[:80]!r}",
        shown,
    )


@pytest.mark.rule(
    "D7: ids and tokens have their documented prefix and length", source=sources.DECISIONS
)
def test_ids_and_tokens_have_documented_formats(flows: Flows, expect: Expect) -> None:
    """``user_``/``sess_``/``email_`` + 27 base62; a 64-character session token; 48 for links."""
    login = flows.login()
    for what, pattern in FORMATS.items():
        _check_format(expect, what, _value(login.body, what), pattern, login.exchange)
    token = flows.magic_token(login.user_id)
    _check_format(expect, "the magic-link token", token, MAGIC_TOKEN, login.exchange)


@pytest.mark.rule(
    "Every *_at of a session is a number of unix seconds", source=sources.VERIFY_SESSION
)
def test_session_timestamps_are_unix_seconds(flows: Flows, expect: Expect) -> None:
    """Numbers (not strings), within a year of the target's clock: seconds, not milliseconds."""
    login = flows.login(minutes=60)
    server_now = login.exchange.server_now()
    for name in TIMESTAMPS:
        value: Any = login.session.get(name)
        expect.true(
            isinstance(value, int | float) and not isinstance(value, bool),
            f"session.{name} is a number",
            f"session.{name} = {value!r}",
            login.exchange,
        )
        if server_now is not None:
            expect.true(
                abs(float(value) - server_now) <= YEAR,
                f"session.{name} in unix seconds, near the target's time {server_now:.0f}",
                f"session.{name} = {value!r}",
                login.exchange,
            )
    length = login.session["expires_at"] - login.session.get("started_at", 0)
    expect.equal("expires_at - started_at", 60 * MINUTE, length, login.exchange)


@pytest.mark.rule(
    "The Session object carries every documented field", source=sources.VERIFY_SESSION
)
def test_session_object_has_documented_fields(flows: Flows, expect: Expect) -> None:
    """id, user_id, the five timestamps, device_fingerprint and a non-empty ``factors``."""
    login = flows.login()
    verified = flows.verify_session(session_token=login.token)
    session = expect.field(verified, "session")
    for name in SESSION_FIELDS:
        expect.true(name in session, f"session.{name} present", "absent", verified)
    factors = session.get("factors")
    expect.true(
        isinstance(factors, list) and len(factors) >= 1,
        "at least one factor",
        repr(factors),
        verified,
    )
    factor = factors[0] if isinstance(factors, list) and factors else {}
    expect.equal(
        "factors[0] of an email OTP login",
        {"delivery_channel": "email", "type": "otp"},
        {k: factor.get(k) for k in ("delivery_channel", "type")},
        verified,
    )
    fingerprint = session.get("device_fingerprint")
    expect.true(
        isinstance(fingerprint, dict) and {"ip", "user_agent"} <= set(fingerprint),
        "device_fingerprint {ip, user_agent}",
        repr(fingerprint),
        verified,
    )


@pytest.mark.rule(
    "D14, C20: ListSessions lists the newest login first, even within one second",
    source=sources.SUITE_SETUP,
)
def test_list_sessions_newest_login_first(flows: Flows, expect: Expect) -> None:
    """Three logins in a row: the list is the reverse of the order they happened in."""
    email = flows.email("order")
    ids = [flows.login(email).session_id for _ in range(3)]
    listed = flows.list_sessions(flows.login(email).user_id)
    sessions = expect.field(listed, "sessions")
    order = [str(s.get("id")) for s in sessions if str(s.get("id")) in ids]
    expect.equal("listed session ids (newest first)", list(reversed(ids)), order, listed)


@pytest.mark.rule("The passcode an email OTP sends has six digits", source=sources.VERIFY_OTP)
def test_email_otp_has_six_digits(flows: Flows, expect: Expect) -> None:
    """The code the target delivers, as the reader gets it."""
    email = flows.email("digits")
    flows.send_otp(email)
    code = flows.read(email, "otp")
    expect.true(re.fullmatch(PASSCODE, code) is not None, "six digits", repr(code))


@pytest.mark.rule("VerifySession refreshes last_active_at", source=sources.VERIFY_SESSION)
@pytest.mark.time_dependent
def test_verify_session_refreshes_last_active_at(
    flows: Flows, travel: TimeTravel, expect: Expect
) -> None:
    """A verification a minute after the login moves ``last_active_at`` to its own time."""
    login = flows.login(minutes=60)
    before = float(login.session["last_active_at"])
    travel.at(before + MINUTE)
    verified = flows.verify_session(session_token=login.token)
    after = expect.field(verified, "session", "last_active_at")
    expect.true(
        float(after) >= before + MINUTE,
        f"last_active_at >= {before + MINUTE:.0f} (the verification's time)",
        f"last_active_at = {after!r}",
        verified,
    )
