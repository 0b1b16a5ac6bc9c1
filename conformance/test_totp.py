"""TOTP: create, verify, recovery codes, recovery, delete (D20, T1-T6).

Published pages: https://developers.streambird.io/operation/operation-createtotp.md,
https://developers.streambird.io/operation/operation-verifytotp,
https://developers.streambird.io/operation/operation-gettotprecoverycodes,
https://developers.streambird.io/operation/operation-verifytotprecovery,
https://developers.streambird.io/operation/operation-deleteusertotp and the guide
https://docs.streambird.io/methods/totp/totp-api. Codes are computed by the suite from the
secret CreateTOTP returns, so no control is needed except to move time.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from conformance import sources, totp
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows, Login
from conformance.timing import TimeTravel

CREATE = "/v1/auth/totps/create"
VERIFY = "/v1/auth/totps/verify"
CODES = "/v1/auth/totps/recovery_codes"
RECOVERY = "/v1/auth/totps/recovery"
RECOVERY_CODE = re.compile(r"^[0-9a-z]{5}-[0-9a-z]{5}$")


def _now(exchange: Exchange) -> float:
    at = exchange.server_now()
    assert at is not None, "the target sends neither X-Moonkey-Mock-Now nor Date"
    return at


def create(
    api: ApiClient, expect: Expect, user_id: str, **extra: Any
) -> tuple[dict[str, Any], float]:
    """CreateTOTP for ``user_id``: its body and the target's time then."""
    made = api.post(CREATE, {"user_id": user_id, **extra})
    return expect.ok(made), _now(made)


def activate(api: ApiClient, expect: Expect, login: Login) -> dict[str, Any]:
    """A verified TOTP for ``login``'s user (no session credential sent)."""
    made, at = create(api, expect, login.user_id)
    body = {"user_id": login.user_id, "totp": totp.code(made["secret"], at)}
    expect.ok(api.post(VERIFY, body))
    return made


@pytest.mark.rule(
    "T1: CreateTOTP gives a base32 secret, 16 codes, a PNG QR", source=sources.CREATE_TOTP
)
def test_create_totp_shape(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """``secret`` is base32, ``recovery_codes`` 16 ``xxxxx-xxxxx``, ``qr_base64`` a PNG."""
    made, _ = create(api, expect, flows.create_user())
    secret = str(made.get("secret", ""))
    try:
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except ValueError:
        key = b""
    expect.true(len(key) >= 10, "a base32 secret of 80 bits or more", repr(secret))
    codes = made.get("recovery_codes") or []
    expect.equal("len(recovery_codes)", 16, len(codes))
    expect.true(all(RECOVERY_CODE.match(str(c)) for c in codes), "codes xxxxx-xxxxx", repr(codes))
    png = base64.b64decode(str(made.get("qr_base64", "")) + "==")
    expect.true(png[:8] == b"\x89PNG\r\n\x1a\n", "qr_base64 is a PNG", repr(png[:8]))


@pytest.mark.rule("D19, T2: a TOTP steps up an email-OTP session", source=sources.VERIFY_TOTP)
def test_verify_totp_steps_up_session(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The code the suite computes activates the TOTP and adds a factor to the same session."""
    login = flows.login()
    made, at = create(api, expect, login.user_id)
    body = {"user_id": login.user_id, "totp": totp.code(made["secret"], at)}
    verified = api.post(VERIFY, {**body, "session_token": login.token})
    result = expect.ok(verified)
    expect.equal("totp_id", made["totp_id"], result.get("totp_id"), verified)
    session = expect.field(verified, "session")
    expect.equal("session.id", login.session_id, session.get("id"), verified)
    types = [f.get("type") for f in session.get("factors", [])]
    expect.equal("factor types", ["otp", "totp"], types, verified)


@pytest.mark.rule(
    "T2 / RFC 6238: a TOTP code is accepted once",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
def test_verify_totp_code_once(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The same code sent again is refused with 400 ``invalid_totp``."""
    login = flows.login()
    made, at = create(api, expect, login.user_id)
    body = {"user_id": login.user_id, "totp": totp.code(made["secret"], at)}
    expect.ok(api.post(VERIFY, body))
    expect.error(api.post(VERIFY, body), 400, "invalid_totp")


@pytest.mark.rule("T2: a wrong TOTP code is refused", source=sources.USERS_TOTP_PASSWORDS_DECISIONS)
def test_verify_totp_wrong_code(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """A code of no step near now → 400 ``invalid_totp``; the right one still works."""
    login = flows.login()
    made, at = create(api, expect, login.user_id)
    wrong = {"user_id": login.user_id, "totp": totp.wrong_code(made["secret"], at)}
    expect.error(api.post(VERIFY, wrong), 400, "invalid_totp")
    right = {"user_id": login.user_id, "totp": totp.code(made["secret"], at)}
    expect.ok(api.post(VERIFY, right))


@pytest.mark.rule("T2: the next step's code is accepted too", source=sources.TOTP_GUIDE)
def test_verify_totp_accepts_next_step(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The guide: the codes of the previous and next 30-second steps are accepted too."""
    login = flows.login()
    made, at = create(api, expect, login.user_id)
    body = {"user_id": login.user_id, "totp": totp.code(made["secret"], at + 30)}
    expect.ok(api.post(VERIFY, body))


@pytest.mark.rule("T3: a TOTP not verified within expires_in is gone", source=sources.CREATE_TOTP)
@pytest.mark.time_dependent
def test_verify_totp_after_activation_window(
    flows: Flows, api: ApiClient, expect: Expect, travel: TimeTravel
) -> None:
    """CreateTOTP ``expires_in: 5``; 5 minutes later its current code → 404 ``totp_not_found``."""
    login = flows.login()
    made, at = create(api, expect, login.user_id, expires_in="5")
    travel.at(at + 5 * 60)
    now = travel.now()
    body = {"user_id": login.user_id, "totp": totp.code(made["secret"], now)}
    expect.error(api.post(VERIFY, body), 404, "totp_not_found")


@pytest.mark.rule(
    "T4, T5: each recovery code works once", source=sources.USERS_TOTP_PASSWORDS_DECISIONS
)
def test_totp_recovery_codes_single_use(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """A code logs in once (either field name), then 400 ``invalid_recovery_code``.

    The used codes leave GetTOTPRecoveryCodes' list.
    """
    login = flows.login()
    made = activate(api, expect, login)
    first, second = made["recovery_codes"][:2]
    recovered = api.post(
        RECOVERY, {"user_id": login.user_id, "recovery_code": first, "session_token": login.token}
    )
    session = expect.field(recovered, "session")
    expect.equal("session.id", login.session_id, session.get("id"), recovered)
    again = api.post(RECOVERY, {"user_id": login.user_id, "recovery_code": first})
    expect.error(again, 400, "invalid_recovery_code")
    expect.ok(api.post(RECOVERY, {"user_id": login.user_id, "totp": second}))
    listed = api.post(CODES, {"user_id": login.user_id})
    left = expect.field(listed, "totps", 0, "recovery_codes")
    expect.equal("recovery codes left", made["recovery_codes"][2:], left, listed)


@pytest.mark.rule(
    "T6: DeleteUserTOTP answers {message, user_id}; then 404", source=sources.DELETE_USER_TOTP
)
def test_delete_user_totp(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The TOTP goes from the user; deleting it again → 404 ``totp_not_found``."""
    login = flows.login()
    made = activate(api, expect, login)
    path = f"/v1/auth/users/totps/{made['totp_id']}/delete"
    deleted = api.delete(path)
    body = expect.ok(deleted)
    expect.equal("user_id", login.user_id, body.get("user_id"), deleted)
    expect.true(bool(body.get("message")), "a message", repr(body), deleted)
    user = api.get(f"/v1/auth/users/{login.user_id}")
    expect.equal("user.totps", [], expect.field(user, "totps"), user)
    expect.error(api.delete(path), 404, "totp_not_found")


def _refused_both_ways(flows: Flows, api: ApiClient, expect: Expect, steps: int) -> None:
    """Codes ``steps`` 30-second steps before and after now are refused; now's still works."""
    user_id = flows.create_user()
    made, at = create(api, expect, user_id)
    for offset in (-steps, steps):
        sent = {"user_id": user_id, "totp": totp.code(made["secret"], at + offset * 30)}
        expect.error(api.post(VERIFY, sent), 400, "invalid_totp")
    expect.ok(api.post(VERIFY, {"user_id": user_id, "totp": totp.code(made["secret"], at)}))


@pytest.mark.rule(
    "RFC 6238 section 5.2: a TOTP code 5 minutes old or 5 minutes ahead is refused",
    source=sources.RFC_6238,
)
def test_verify_totp_refuses_distant_steps(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """RFC 6238 §5.2 allows a small window (the guide: one step each way), not ±10 steps."""
    _refused_both_ways(flows, api, expect, 10)


@pytest.mark.rule(
    "T2 (moonkey-mock's window): a code two steps away is refused, either way",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
@pytest.mark.decision("T2")
def test_verify_totp_window_is_one_step(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """The exact window is the fake's decision T2 (±1 step): 60 s before or after is refused."""
    _refused_both_ways(flows, api, expect, 2)


@pytest.mark.rule(
    "T3 (the fake's choice): CreateTOTP while a verified TOTP exists → 409 duplicate_totp",
    source=sources.USERS_TOTP_PASSWORDS_DECISIONS,
)
@pytest.mark.decision("T3")
def test_create_totp_twice_is_duplicate(flows: Flows, api: ApiClient, expect: Expect) -> None:
    """A user holds one TOTP: a second create after activation is refused, the first stays."""
    user_id = flows.create_user()
    made, at = create(api, expect, user_id)
    expect.ok(api.post(VERIFY, {"user_id": user_id, "totp": totp.code(made["secret"], at)}))
    expect.error(api.post(CREATE, {"user_id": user_id}), 409, "duplicate_totp")
    user = api.get(f"/v1/auth/users/{user_id}")
    ids = [t.get("totp_id", t.get("id")) for t in expect.field(user, "totps")]
    expect.equal("the user's TOTPs", [made["totp_id"]], ids, user)
