"""RFC 6238 codes computed by the suite itself (``cryptography``), not by the target.

The target returns the TOTP secret once, at CreateTOTP; with it the suite computes the codes an
authenticator app would show, at the target's time (its ``X-Moonkey-Mock-Now`` or ``Date``
header), so the check is independent of the target's implementation (decision D20, T1).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP_SECONDS = 30


def code(secret: str, at: float) -> str:
    """The 6-digit HMAC-SHA-1 30-second code of a base32 ``secret`` at unix time ``at``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = SHA1()  # noqa: S303 - RFC 6238's HMAC-SHA-1, what authenticator apps use
    return TOTP(key, 6, digest, STEP_SECONDS, enforce_key_length=False).generate(at).decode()


def wrong_code(secret: str, at: float) -> str:
    """A 6-digit code no step within two of ``at`` accepts."""
    near = {code(secret, at + offset * STEP_SECONDS) for offset in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 111_111)) if c not in near)
