"""Broken WebAuthn variants of the fake; conformance/test_webauthn.py must kill each one."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest

from mock_server.domain import webauthn
from mock_server.models import WebauthnChallenge
from mock_server.store import InMemoryStore

Variant = Callable[[pytest.MonkeyPatch], None]
# The module, not the function the package re-exports under the same name.
_ASSERTIONS = importlib.import_module("webauthn.authentication.verify_authentication_response")


def bad_signature_accepted(mp: pytest.MonkeyPatch) -> None:
    """An assertion is accepted whatever its signature (the check is skipped)."""
    mp.setattr(_ASSERTIONS, "verify_signature", lambda **kwargs: True)


def replayed_challenge_accepted(mp: pytest.MonkeyPatch) -> None:
    """Challenges are never spent, so a replayed assertion signs in again."""

    def peek(self: InMemoryStore, app_id: str, challenge: str) -> WebauthnChallenge | None:
        pending = self.webauthn_challenges(app_id)
        return next((c for c in pending if c.challenge == challenge), None)

    mp.setattr(InMemoryStore, "take_webauthn_challenge", peek)


def any_origin_accepted(mp: pytest.MonkeyPatch) -> None:
    """Client data from any origin is accepted (a phishing page's assertion signs in)."""

    def check_origin(origin: str, rp_id: str) -> str:
        return origin

    mp.setattr(webauthn, "check_origin", check_origin)


VARIANTS: dict[str, Variant] = {
    "a WebAuthn assertion with a bad signature is accepted": bad_signature_accepted,
    "a replayed WebAuthn challenge is accepted": replayed_challenge_accepted,
    "a WebAuthn assertion from any origin is accepted": any_origin_accepted,
}
