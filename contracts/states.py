"""The provider states a contract names, their params and the values their set-up provides.

A recorded interaction lists the states that must exist before it (``providerStates`` of Pact v4,
each ``{"name", "params"}``), and each request value that refers to such a state carries a
provider-state generator whose expression names one of the values below (``${session_token}``).
A verifier sets the state up through real flows and injects what the set-up returned.

The names are sentences a person reads in a Pact broker; the params make them concrete. Values
provided by several states of one interaction (``user_id``) are the same user's: an interaction's
states all concern the ``email`` they name.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER = "moonkey"
PACT_SPECIFICATION = "4.0"


@dataclass(frozen=True)
class StateKind:
    """One kind of provider state: its name, the params it takes, the values it provides."""

    key: str
    name: str  # what Pact's ``providerStates[].name`` holds
    params: tuple[str, ...]
    provides: tuple[str, ...]
    fake_only: bool = False  # only the fake can make it (time travel); a real target skips


USER = StateKind("user", "a user with email {email}", ("email",), ("user_id", "email"))
LIVE_SESSION = StateKind(
    "live_session",
    "a live session for {email} with factors {factors}",
    ("email", "factors"),  # factors: [{"type": "otp", "delivery_channel": "email"}, ...]
    ("session_token", "session_jwt", "session_id", "user_id", "email"),
)
DELETED_SESSION = StateKind(
    "deleted_session",
    "a deleted session for {email}",
    ("email",),
    ("session_token", "session_jwt", "session_id", "user_id", "email"),
)
EXPIRED_SESSION = StateKind(
    "expired_session",
    "an expired session for {email}",
    ("email",),
    ("session_token", "session_jwt", "session_id", "user_id", "email"),
    fake_only=True,
)
OTP_SENT = StateKind(
    "otp_sent",
    "an OTP sent to {email}",
    ("email",),
    ("email_id", "method_id", "code", "user_id", "email"),
)
TOTP_ENROLLED = StateKind(
    "totp_enrolled",
    "a TOTP enrolled for {email}",
    ("email",),
    ("totp_id", "code", "user_id", "email"),  # code: valid at set-up time
)

KINDS: tuple[StateKind, ...] = (
    USER,
    LIVE_SESSION,
    DELETED_SESSION,
    EXPIRED_SESSION,
    OTP_SENT,
    TOTP_ENROLLED,
)
BY_NAME = {kind.name: kind for kind in KINDS}


def kind_named(name: str) -> StateKind | None:
    """The kind a Pact state name stands for: the template itself, or it with params filled."""
    if name in BY_NAME:
        return BY_NAME[name]
    for kind in KINDS:
        head = kind.name.split("{", 1)[0]
        if name.startswith(head) and head:
            return kind
    return None


def generator(value_key: str) -> dict[str, str]:
    """A Pact v4 provider-state generator injecting the set-up's ``value_key``."""
    return {"type": "ProviderState", "expression": "${" + value_key + "}", "dataType": "STRING"}


# Added by the recorder (docs/decisions.md K10): a magic link waiting to be redeemed.
MAGIC_LINK_SENT = StateKind(
    "magic_link_sent",
    "a magic link sent to {email}",
    ("email",),
    ("token", "user_id", "email"),  # token: the link's token, unredeemed at set-up time
)
KINDS = (*KINDS, MAGIC_LINK_SENT)
BY_NAME = {kind.name: kind for kind in KINDS}
