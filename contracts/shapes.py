"""Answer bodies as Pact v4 examples and matching rules: what varies by rule, the rest exact.

Values that change from run to run (ids the fake mints with a prefix, tokens, JWTs, timestamps,
TOTP secrets) are written as a neutral example and a rule; what an app branches on (statuses,
``error_type``, factor ``type`` and ``delivery_channel``, booleans) stays exact, which is Pact's
default when no rule names a path. The recorded value of a secret is never written.
"""

from __future__ import annotations

import re
from typing import Any

ID_PREFIXES = (
    "user_", "email_", "sess_", "totp_", "pn_", "wallet_", "walletrr_", "webauthn_",
    "idpuser_", "password_", "msg_", "app_", "jwk_",
)  # fmt: skip
ID_RE = re.compile(r"^(" + "|".join(ID_PREFIXES) + r")[A-Za-z0-9]+$")
JWT_RE = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
TOKEN_RE = r"^[A-Za-z0-9_-]{16,}$"
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"
EXAMPLE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX2V4YW1wbGUifQ.c2lnbmF0dXJl"
EXAMPLE_TOKEN = "example-session-token-0000000000000000000000000000000000000000000"

# answer keys whose value is a credential: an example and a rule, never the value
SECRET_ANSWERS: dict[str, tuple[str, str]] = {
    "session_token": (EXAMPLE_TOKEN, TOKEN_RE),
    "session_jwt": (EXAMPLE_JWT, JWT_RE),
    "token": ("example-token-000000000000000000", TOKEN_RE),
    "secret": ("EXAMPLESECRETEXAMPLESECRETEXAMPL", r"^[A-Z2-7]+=*$"),
    "qr_base64": ("iVBORw0KGgo=", r"^[A-Za-z0-9+/]+=*$"),
    "otpauth_uri": ("otpauth://totp/example?secret=EXAMPLE", r"^otpauth://totp/"),
    "code": ("000000", r"^\d+$"),
    "private_key": ("example-private-key", r"^.+$"),
}
SECRET_LISTS = frozenset({"recovery_codes", "backup_codes"})
TIME_KEYS = frozenset({"iat", "exp", "nbf"})
LOOSE_TEXT = frozenset({"error_message", "message", "request_id", "nonce", "challenge"})
EXACT_ARRAYS = frozenset({"factors", "authentication_factors"})  # the app branches on each


def rule(**matcher: Any) -> dict[str, Any]:
    """One matcher in Pact v4's ``{"combine", "matchers"}`` form."""
    return {"combine": "AND", "matchers": [matcher]}


def regex(pattern: str) -> dict[str, Any]:
    """A regex rule."""
    return rule(match="regex", regex=pattern)


def example_id(value: str) -> str:
    """A neutral id of the same prefix (the run's ids differ each run; the prefix is the rule)."""
    prefix = value.split("_", 1)[0] + "_"
    return prefix + "0" * 27


def shape(value: Any, path: str = "$", key: str = "") -> tuple[Any, dict[str, Any]]:
    """The example to write for ``value`` at ``path`` and the matching rules under it."""
    rules: dict[str, Any] = {}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, item in value.items():
            out[name], sub = shape(item, f"{path}.{name}", name)
            rules.update(sub)
        return out, rules
    if isinstance(value, list):
        return _array(value, path, key)
    if key in SECRET_ANSWERS and isinstance(value, str) and (key != "code" or value.isdigit()):
        example, pattern = SECRET_ANSWERS[key]
        return example, {path: regex(pattern)}
    if isinstance(value, bool) or value is None:
        return value, {}
    if isinstance(value, int):
        if key.endswith("_at") or key in TIME_KEYS:
            return value, {path: rule(match="integer")}
        return value, {}
    if isinstance(value, float):
        return value, {path: rule(match="number")}
    if isinstance(value, str):
        return _text(value, path, key)
    return value, {}


def _array(value: list[Any], path: str, key: str) -> tuple[Any, dict[str, Any]]:
    if key in SECRET_LISTS:
        return ["example-code"], {path: rule(match="type", min=0)}
    rules: dict[str, Any] = {}
    if key in EXACT_ARRAYS or not value:
        out = []
        for item in value:
            example, sub = shape(item, f"{path}[*]", key)
            out.append(example)
            rules.update(sub)  # the same rules for every element: they share one shape
        if not value:
            rules[path] = rule(match="type", min=0)
        return out, rules
    first, sub = shape(value[0], f"{path}[*]", key)
    rules[path] = rule(match="type", min=1)  # eachLike: at least one, each like the first
    rules.update(sub)
    return [first], rules


def _text(value: str, path: str, key: str) -> tuple[Any, dict[str, Any]]:
    if ID_RE.match(value):
        prefix = value.split("_", 1)[0] + "_"
        return example_id(value), {path: regex("^" + prefix + "[A-Za-z0-9]+$")}
    if re.match(JWT_RE, value) and value.startswith("eyJ"):
        return EXAMPLE_JWT, {path: regex(JWT_RE)}
    if re.match(DATETIME_RE, value):
        return value, {path: regex(DATETIME_RE)}
    if key in LOOSE_TEXT:
        return value, {path: rule(match="type")}
    return value, {}


def request_shape(value: Any) -> Any:
    """The keys and value types of a request body: what makes two calls the same kind."""
    if isinstance(value, dict):
        return tuple(sorted((k, request_shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", request_shape(value[0]) if value else None)
    return type(value).__name__
