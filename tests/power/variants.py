"""Deliberately broken variants of the fake, each breaking one documented rule.

A variant is a function that patches the fake through a :class:`pytest.MonkeyPatch` (domain
functions, a model method, the key set, the error renderer); mock_server itself is never edited.
The power test serves each variant and runs the conformance suite against it: the suite is worth
as much as the variants it catches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mock_server import errors, pipeline
from mock_server.domain import sessions
from mock_server.models import Session
from mock_server.tokens import KeySet
from mock_server.validation import Validators

Variant = Callable[[pytest.MonkeyPatch], None]
MINUTE = 60


def never_expire(mp: pytest.MonkeyPatch) -> None:
    """Sessions never expire."""
    mp.setattr(Session, "expired", lambda self, now: False)


def delete_does_nothing(mp: pytest.MonkeyPatch) -> None:
    """DeleteSession answers 200 but deletes nothing."""
    mp.setattr(sessions, "delete", lambda state, app, **identifiers: None)


def list_includes_deleted(mp: pytest.MonkeyPatch) -> None:
    """ListSessions still shows the sessions that were deleted."""
    deleted: list[Session] = []
    original_delete, original_list = sessions.delete, sessions.active_for_user

    def delete(state: Any, app: Any, **identifiers: Any) -> Session:
        session: Session = original_delete(state, app, **identifiers)
        deleted.append(session)
        return session

    def active_for_user(state: Any, app: Any, user_id: str) -> list[Session]:
        gone = [s for s in deleted if s.user_id == user_id and s.app_id == app.app_id]
        return [*original_list(state, app, user_id), *gone]

    mp.setattr(sessions, "delete", delete)
    mp.setattr(sessions, "active_for_user", active_for_user)


def wrong_key_accepted(mp: pytest.MonkeyPatch) -> None:
    """An unknown secret key is treated as the default app's: 200 instead of 401."""
    original = pipeline.authenticate

    def authenticate(state: Any, op: Any, request: Any) -> Any:
        try:
            return original(state, op, request)
        except errors.Unauthorized:
            return state.default_app()

    mp.setattr(pipeline, "authenticate", authenticate)


def envelope_without_nested_error(mp: pytest.MonkeyPatch) -> None:
    """The error envelope lacks the seed's nested ``error`` object."""
    original = errors.envelope

    def envelope(status: int, code: str, message: str) -> dict[str, Any]:
        body = dict(original(status, code, message))
        body.pop("error", None)
        return body

    mp.setattr(errors, "envelope", envelope)
    mp.setattr(pipeline, "envelope", envelope)


def jwt_signed_by_other_key(mp: pytest.MonkeyPatch) -> None:
    """Session JWTs carry the published ``kid`` but are signed by a key the JWKS lacks."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def sign(self: KeySet, claims: dict[str, Any]) -> str:
        kid = self.current.kid
        return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid})

    mp.setattr(KeySet, "sign", sign)


def extend_from_old_expiry(mp: pytest.MonkeyPatch) -> None:
    """Extending adds N minutes to the old expiry instead of setting it to now + N."""

    def verify(state: Any, app: Any, *, token: Any, jwt: Any, minutes: Any) -> Any:
        now = state.now_ts()
        with state.store.atomic():
            session = sessions.find(state, app, token=token, jwt=jwt)
            extra = int(minutes) * MINUTE if minutes is not None else 0
            session = dataclasses.replace(
                session, last_active_at=now, updated_at=now, expires_at=session.expires_at + extra
            )
            state.store.put_session(session)
            user = sessions.owner(state, app, session)
        issued = sessions.Issued(session, session.token, sessions.sign(state, app, session))
        return issued, user

    mp.setattr(sessions, "verify", verify)


def bounds_not_enforced(mp: pytest.MonkeyPatch) -> None:
    """``session_expires_in`` is not validated (any number goes)."""
    original = Validators.check_body

    def check_body(self: Validators, op: Any, body: Any) -> None:
        if isinstance(body, dict) and "session_expires_in" in body:
            body = {k: v for k, v in body.items() if k != "session_expires_in"}
        original(self, op, body)

    mp.setattr(Validators, "check_body", check_body)


def verify_returns_other_users_session(mp: pytest.MonkeyPatch) -> None:
    """VerifySession answers with the newest session of some other user."""
    issued_log: list[Any] = []
    original_issue, original_verify = sessions.authenticate, sessions.verify

    def authenticate(*args: Any, **kwargs: Any) -> Any:
        issued = original_issue(*args, **kwargs)
        issued_log.append(issued)
        return issued

    def verify(state: Any, app: Any, **kwargs: Any) -> Any:
        issued, user = original_verify(state, app, **kwargs)
        mine = issued.session.user_id if issued.session is not None else None
        for other in reversed(issued_log):
            if other.session is not None and other.session.user_id != mine:
                owner = state.store.get_user(app.app_id, other.session.user_id)
                return (other, owner) if owner is not None else (issued, user)
        return issued, user

    mp.setattr(sessions, "authenticate", authenticate)
    mp.setattr(sessions, "verify", verify)


VARIANTS: dict[str, Variant] = {
    "sessions never expire": never_expire,
    "delete does nothing": delete_does_nothing,
    "list includes deleted sessions": list_includes_deleted,
    "a wrong API key gets 200": wrong_key_accepted,
    "the error envelope lacks a field": envelope_without_nested_error,
    "the JWT is not signed by the JWKS key": jwt_signed_by_other_key,
    "extension counts from the old expiry": extend_from_old_expiry,
    "session_expires_in bounds not enforced": bounds_not_enforced,
    "verify returns another user's session": verify_returns_other_users_session,
}

from tests.power.variants_conformance import VARIANTS as CONFORMANCE_VARIANTS  # noqa: E402
from tests.power.variants_managed_wallets import CAUGHT_BY as MANAGED_WALLETS_CAUGHT  # noqa: E402
from tests.power.variants_managed_wallets import SUITE_FILES as MANAGED_WALLETS_FILES  # noqa: E402
from tests.power.variants_managed_wallets import VARIANTS as MANAGED_WALLETS_VARIANTS  # noqa: E402
from tests.power.variants_new_areas import CAUGHT_BY  # noqa: E402
from tests.power.variants_new_areas import SUITE_FILES as NEW_AREA_FILES  # noqa: E402
from tests.power.variants_new_areas import VARIANTS as NEW_AREA_VARIANTS  # noqa: E402
from tests.power.variants_totp import VARIANTS as TOTP_VARIANTS  # noqa: E402
from tests.power.variants_transfers import CAUGHT_BY as TRANSFERS_CAUGHT  # noqa: E402
from tests.power.variants_transfers import SUITE_FILES as TRANSFERS_FILES  # noqa: E402
from tests.power.variants_transfers import VARIANTS as TRANSFERS_VARIANTS  # noqa: E402
from tests.power.variants_wallet_import import CAUGHT_BY as IMPORT_CAUGHT  # noqa: E402
from tests.power.variants_wallet_import import SUITE_FILES as IMPORT_FILES  # noqa: E402
from tests.power.variants_wallet_import import VARIANTS as IMPORT_VARIANTS  # noqa: E402
from tests.power.variants_wallet_signing import CAUGHT_BY as SIGNING_CAUGHT  # noqa: E402
from tests.power.variants_wallet_signing import SUITE_FILES as SIGNING_FILES  # noqa: E402
from tests.power.variants_wallet_signing import VARIANTS as SIGNING_VARIANTS  # noqa: E402
from tests.power.variants_wallets import VARIANTS as WALLET_VARIANTS  # noqa: E402
from tests.power.variants_webauthn import VARIANTS as WEBAUTHN_VARIANTS  # noqa: E402

VARIANTS.update(TOTP_VARIANTS)
VARIANTS.update(WEBAUTHN_VARIANTS)
VARIANTS.update(WALLET_VARIANTS)
VARIANTS.update(CONFORMANCE_VARIANTS)
VARIANTS.update(NEW_AREA_VARIANTS)
VARIANTS.update(MANAGED_WALLETS_VARIANTS)
VARIANTS.update(IMPORT_VARIANTS)  # wallet import (issue 26)
VARIANTS.update(TRANSFERS_VARIANTS)
VARIANTS.update(SIGNING_VARIANTS)  # wallet signing (issue 26)

# The rule files run against a variant of one area (the others cannot see it): the session and
# envelope variants face the whole behaviour suite.
SUITE_FILES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(TOTP_VARIANTS, ("test_totp.py", "test_passwords.py", "test_users_update.py")),
    **dict.fromkeys(WEBAUTHN_VARIANTS, ("test_webauthn.py",)),
    **dict.fromkeys(WALLET_VARIANTS, ("test_wallets.py",)),
    **NEW_AREA_FILES,
    **MANAGED_WALLETS_FILES,
    **IMPORT_FILES,
    **TRANSFERS_FILES,
    **SIGNING_FILES,
}
# variant → the conformance test (rule) that must be among its failures
EXPECTED_FAILURES: dict[str, str] = {
    **CAUGHT_BY,
    **MANAGED_WALLETS_CAUGHT,
    **IMPORT_CAUGHT,
    **TRANSFERS_CAUGHT,
    **SIGNING_CAUGHT,
}
