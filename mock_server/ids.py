"""Identifiers, tokens and passcodes in the published formats (decisions D7).

With a seed the sequence is deterministic run to run; without one it comes from the OS's
secure random source.
"""

from __future__ import annotations

import random
import secrets
import string
import threading

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_BODY_LENGTH = 27
SESSION_TOKEN_LENGTH = 64
MAGIC_TOKEN_LENGTH = 48
KEY_BODY_LENGTH = 48


class Ids:
    """Source of every random string the fake hands out.

    Args:
        seed: fixes the sequence (tests, ``--random-seed``); None uses ``secrets``.
    """

    def __init__(self, seed: int | str | None = None) -> None:
        self._lock = threading.Lock()
        self.reseed(seed)

    def reseed(self, seed: int | str | None) -> None:
        """Restart the sequence from ``seed`` (None: secure and unrepeatable)."""
        with self._lock:
            self._rng: random.Random = (
                secrets.SystemRandom() if seed is None else random.Random(str(seed))
            )

    def chars(self, length: int, alphabet: str = BASE62) -> str:
        """``length`` random characters from ``alphabet``."""
        with self._lock:
            return "".join(self._rng.choices(alphabet, k=length))

    def new(self, prefix: str) -> str:
        """An object id such as ``user_`` + 27 base62 characters."""
        return prefix + self.chars(ID_BODY_LENGTH)

    def session_token(self) -> str:
        """An opaque 64-character session token (no prefix)."""
        return self.chars(SESSION_TOKEN_LENGTH)

    def magic_token(self) -> str:
        """A 48-character magic-link token."""
        return self.chars(MAGIC_TOKEN_LENGTH)

    def otp(self, length: int) -> str:
        """A numeric passcode of ``length`` digits."""
        return self.chars(length, string.digits)

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high] from the same seeded sequence."""
        with self._lock:
            return self._rng.uniform(low, high)

    def chance(self, probability: float) -> bool:
        """True with ``probability`` (seeded)."""
        with self._lock:
            return self._rng.random() < probability
