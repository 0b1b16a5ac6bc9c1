"""The sentence each interaction is known by: what the app did, to what, and what came back.

One table per operationId, in one place. A phrase may hold ``{subject}``, filled from what the
tracker learned about the request's main value (a live, deleted, expired or unknown session; a
new or existing user; a right or wrong code).
"""

from __future__ import annotations

from collections.abc import Iterable

SUBJECTS = {
    "live": "a live session",
    "deleted": "a deleted session",
    "expired": "an expired session",
    "unknown": "an unknown session",
}
USERS = {"new": "a new user", "existing": "an existing user"}
CODES = {"wrong": "a wrong code"}

PHRASES: dict[str, str] = {
    "VerifySession": "verify {subject}",
    "DeleteSession": "delete {subject}",
    "ListSessions": "list a user's sessions",
    "GetJWKs": "fetch the default JWKS",
    "GetJWKsByApp": "fetch the app's JWKS",
    "CreateEmailOtp": "send an email OTP",
    "CreateSmsOtp": "send an SMS OTP",
    "LoginOrCreateUserByEmailOtp": "send an email OTP to {user}",
    "LoginOrCreateUserBySms": "send an SMS OTP to {user}",
    "VerifyOtp": "verify an OTP{code}",
    "LoginOrCreateUserByMagicLink": "send a magic link to {user}",
    "InviteUserByMagicLink": "invite a user by magic link",
    "InviteUserByMagicLinkNodeSdk": "invite a user by magic link (Node SDK form)",
    "CreateEmbeddableMagicLink": "create an embeddable magic link",
    "GetMagicLinkLoginStatus": "poll a magic link's login status",
    "VerifyMagicToken": "verify a magic-link token",
    "VerifyOAuthToken": "verify an OAuth token",
    "VerifyWallet": "verify a wallet signature",
    "CreateUser": "create a user",
    "GetUser": "get a user",
    "DeleteUser": "delete a user",
    "UpdateUser": "update a user",
    "SearchUsers": "search users",
    "CreateTOTP": "enrol a TOTP",
    "VerifyTOTP": "verify a TOTP{code}",
    "GetTOTPRecoveryCodes": "read TOTP recovery codes",
    "VerifyTOTPRecovery": "recover with a TOTP recovery code",
    "DeleteUserTOTP": "remove a user's TOTP",
    "VerifyPassword": "verify a password",
    "UpdatePasswordBySession": "change a password with a session",
    "PasswordStrengthCheck": "check a password's strength",
}


def describe(operation_id: str, notes: Iterable[str], status: int, error_type: str) -> str:
    """``verify a deleted session → 401 invalid_session``."""
    noted = list(notes)
    subject = next((SUBJECTS[n] for n in noted if n in SUBJECTS), "a session")
    factors = next((n.split(":", 1)[1] for n in noted if n.startswith("factors:")), "")
    if factors:  # a stepped-up session is another state than a one-factor one
        subject += f" with factors {factors}"
    user = next((USERS[n] for n in noted if n in USERS), "a user")
    code = next((" with " + CODES[n] for n in noted if n in CODES), "")
    phrase = PHRASES.get(operation_id, _words(operation_id))
    text = phrase.format(subject=subject, user=user, code=code)
    if "{" not in phrase and "deleted" in noted:
        text += " with a deleted session"
    elif "{" not in phrase and "expired" in noted:
        text += " with an expired session"
    outcome = f"{status} {error_type}".strip()
    return f"{text} → {outcome}"


def _words(operation_id: str) -> str:
    """``BeginGoogleOAuth`` → ``begin google o auth``: a fallback for operations not listed."""
    out: list[str] = []
    for char in operation_id:
        if char.isupper() and out:
            out.append(" ")
        out.append(char.lower())
    return "call " + "".join(out)
