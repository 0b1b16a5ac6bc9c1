"""API keys: no key, a wrong key, a malformed header and a public token are all refused.

The Session Management guide ("All session endpoints require your secret API key"; unauthorized:
missing or incorrect key, Bearer format, secret not public key), the API reference's
Authentication page, decision D18 (``sources.AUTHENTICATION``, ``docs/decisions.md``).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.target import Target

UNKNOWN_USER = "user_" + "0" * 27
# (method, path, body or query): secret-key operations that create nothing.
OPERATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/auth/sessions/verify", {"session_token": "x" * 64}),
    ("GET", "/v1/auth/sessions/list", {"user_id": UNKNOWN_USER}),
    ("DELETE", "/v1/auth/sessions/delete", {"session_id": "sess_" + "0" * 27}),
    ("GET", f"/v1/auth/users/{UNKNOWN_USER}", {}),
    ("POST", "/v1/auth/users/search", {"limit": 10}),
    ("GET", "/v1/auth/jwks/default", {}),
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def _call(api: ApiClient, operation: tuple[str, str, dict[str, Any]], **options: Any) -> Any:
    method, path, data = operation
    if method == "GET":
        return api.call(method, path, params=data, **options)
    return api.call(method, path, json_body=data, **options)


def _wrong_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "sk_test_" + "".join(secrets.choice(alphabet) for _ in range(48))


@pytest.mark.rule(
    "D18: a request without an API key: 401 unauthorized", source=sources.AUTHENTICATION
)
@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_no_key_refused(api: ApiClient, expect: Expect, operation: Any) -> None:
    """No ``Authorization`` header at all."""
    expect.error(_call(api, operation, key=None), 401, "unauthorized")


@pytest.mark.rule("D18: an unknown secret key: 401 unauthorized", source=sources.AUTHENTICATION)
@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_wrong_key_refused(api: ApiClient, expect: Expect, operation: Any) -> None:
    """A well-formed ``sk_test_`` key that no app has."""
    refused = _call(api, operation, key=_wrong_key(), auth_label="unknown sk_test_ key")
    expect.error(refused, 401, "unauthorized")


@pytest.mark.rule(
    "D18: a header that is not 'Bearer <key>': 401 unauthorized", source=sources.AUTHENTICATION
)
def test_malformed_header_refused(api: ApiClient, target: Target, expect: Expect) -> None:
    """``Authorization: Basic <key>``."""
    refused = api.call(
        "POST",
        "/v1/auth/sessions/verify",
        json_body={"session_token": "x" * 64},
        key=None,
        headers={"Authorization": f"Basic {target.api_key}"},
        auth_label="Basic scheme",
    )
    expect.error(refused, 401, "unauthorized")


@pytest.mark.rule(
    "D18: the public token on a secret-key endpoint: 401", source=sources.AUTHENTICATION
)
@pytest.mark.parametrize("operation", OPERATIONS[:4], ids=IDS[:4])
def test_public_token_refused(
    api: ApiClient, target: Target, expect: Expect, operation: Any
) -> None:
    """The app's own ``pk_…`` token as Bearer: 401 ``public_token_not_allowed``."""
    if not target.public_token:
        pytest.skip("needs the app's public token: pass --moonkey-public-token pk_…")
    refused = _call(api, operation, key=target.public_token, auth_label="public token")
    expect.error(refused, 401, "public_token_not_allowed")
