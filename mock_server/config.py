"""The fake's settings: a frozen :class:`MockConfig`, the only reader of ``MOONKEY_MOCK_*``."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, replace
from typing import Any

from mock_server.hosts import is_loopback, names_this_fake, own_names

ENV_PREFIX = "MOONKEY_MOCK_"
HOSTS_REMEMBERED = 256  # distinct Host headers whose verdict a fake keeps (host_allowed)
# Variables of the same family read by other tools, not by the server: never "unknown".
OTHER_TOOLS_VARIABLES = {
    "MOONKEY_MOCK_URL": "the pytest plugin's external fake",
    "MOONKEY_MOCK_BIN": "the Express example's moonkey-mock binary",
}
# Old names kept working (with a warning): variable -> field.
DEPRECATED_VARIABLES = {
    "MOONKEY_MOCK_SEED_FILE": "seed_file",
    "MOONKEY_MOCK_SIGNING_KEY_FILE": "signing_key_file",
}

# The default app's keys when none are configured: stable, so a README curl works as written.
DEFAULT_APP_ID = "app_2mockDefaultAppMoonKeyMock0"[:31]
DEFAULT_SECRET_KEY = "sk_test_" + "moonkeymockDefaultSecretKey0123456789abcdefABCDE"[:48]
DEFAULT_PUBLIC_TOKEN = "pk_test_" + "moonkeymockDefaultPublicToken0123456789abcdefABC"[:48]


@dataclass(frozen=True)
class MockConfig:
    """Settings of one fake instance.

    Every field is a ``moonkey-mock serve`` option (:func:`option_name`, the field's name
    unless its metadata says otherwise) and an environment variable ``MOONKEY_MOCK_<OPTION>``
    (upper case, dashes as underscores: ``--seed`` is ``MOONKEY_MOCK_SEED``); keywords win over
    variables, and an empty variable counts as unset.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    app_id: str = DEFAULT_APP_ID
    secret_key: str = DEFAULT_SECRET_KEY
    public_token: str = DEFAULT_PUBLIC_TOKEN
    default_redirect_url: str = "http://localhost:3000/authenticate"
    random_seed: str | None = None
    signing_key_file: str | None = field(default=None, metadata={"option": "signing_key"})
    strict: bool = False
    max_body_bytes: int = 1_048_576
    control: bool | None = None
    admin_token: str | None = None
    journal_size: int = 10_000
    outbox_size: int = 10_000
    otp_max_attempts: int = 5
    threads: int = 8
    server: str = "native"
    seed_file: str | None = field(default=None, metadata={"option": "seed"})
    allow_remote_control: bool = False
    allowed_hosts: str | None = None
    allow_hostname: bool = False
    max_held_calls: int | None = None
    store: str = "memory://"
    workers: int = 1
    max_connections: int = 16_384
    header_timeout: int = 10

    def __post_init__(self) -> None:
        """Refuse values the server cannot run with (a clean start-up error, not a hang)."""
        secret_ok = self.secret_key.startswith(("sk_test_", "sk_live_"))
        token = self.admin_token
        token_ok = token is None or (token.strip() == token and token.isprintable() and token != "")
        rules = (
            ("port", 0 <= self.port <= 65535, "must be 0..65535"),
            ("threads", self.threads >= 1, "must be at least 1"),
            ("server", self.server in {"native", "waitress"}, "must be native or waitress"),
            ("max_held_calls", (self.max_held_calls or 1) >= 1, "must be at least 1"),
            ("max_body_bytes", self.max_body_bytes >= 1, "must be at least 1"),
            ("otp_max_attempts", self.otp_max_attempts >= 1, "must be at least 1"),
            ("journal_size", self.journal_size >= 1, "must be at least 1"),
            ("outbox_size", self.outbox_size >= 1, "must be at least 1"),
            ("secret_key", secret_ok, "must start with sk_test_ or sk_live_"),
            ("public_token", self.public_token.startswith("pk_"), "must start with pk_"),
            ("app_id", self.app_id.startswith("app_"), "must start with app_"),
            ("admin_token", token_ok, "must be non-empty, printable, without surrounding spaces"),
            ("workers", self.workers >= 1, "must be at least 1"),
            ("max_connections", self.max_connections >= 1, "must be at least 1"),
            ("header_timeout", self.header_timeout >= 1, "must be at least 1 (seconds)"),
            (
                "workers",
                self.workers == 1 or not self.store.strip().lower().startswith("memory:"),
                "more than one worker needs a shared store (--store sqlite:///FILE.db or "
                "redis://HOST:PORT/DB): with memory:// each process would be a separate fake",
            ),
        )
        for name, ok, rule in rules:
            if not ok:
                value = getattr(self, name)
                raise ValueError(f"{env_name(name)}: {rule}, got {value!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> MockConfig:
        """Build from ``MOONKEY_MOCK_*`` variables, then apply ``overrides`` (None skipped)."""
        source = os.environ if env is None else env
        aliases = {name: old for old, name in DEPRECATED_VARIABLES.items()}
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = source.get(env_name(spec.name)) or source.get(aliases.get(spec.name, ""))
            if raw:
                values[spec.name] = _coerce(spec.type, raw, spec.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> MockConfig:
        """A copy with ``changes``."""
        return replace(self, **changes)

    @property
    def control_enabled(self) -> bool:
        """The control API is on by default only on a loopback bind."""
        if self.control is not None:
            return self.control
        return is_loopback(self.host)

    @property
    def held_limit(self) -> int:
        """How many calls delay/hang faults may hold at once (default: two threads stay free)."""
        return self.max_held_calls or max(1, self.threads - 2)

    @property
    def extra_hosts(self) -> frozenset[str]:
        """Host names allowed besides the bound address and loopback (``*``: any).

        ``--allowed-hosts``, and with ``--allow-hostname`` this machine's hostname and its
        addresses (:func:`mock_server.hosts.own_names`; the container image sets it).
        """
        names = (self.allowed_hosts or "").split(",")
        given = frozenset(n.strip().lower() for n in names if n.strip())
        return given | own_names() if self.allow_hostname else given

    def host_allowed(self, host_header: str) -> bool:
        """Whether a ``Host`` header names this fake: its bound address, loopback, or allowed.

        Refusing other names keeps a DNS-rebinding page from reaching the control API; the
        rule is :func:`mock_server.hosts.names_this_fake` (exact names, parsed addresses).
        """
        seen = self._hosts_seen
        allowed = seen.get(host_header)
        if allowed is None:
            allowed = names_this_fake(host_header, self.host, self.extra_hosts)
            if len(seen) < HOSTS_REMEMBERED:  # the header is the client's: a bounded memo
                seen[host_header] = allowed
        return allowed

    @functools.cached_property
    def _hosts_seen(self) -> dict[str, bool]:
        """Host headers already judged (every API call asks: parsing was 5% of a verify)."""
        return {}


def option_name(name: str) -> str:
    """The ``serve`` option of a field, with underscores: ``seed_file`` -> ``seed``."""
    spec: Field[Any] = {f.name: f for f in fields(MockConfig)}[name]
    option: str = spec.metadata.get("option", name)
    return option


def env_name(name: str) -> str:
    """The environment variable of a field: ``MOONKEY_MOCK_`` + its option in upper case."""
    return ENV_PREFIX + option_name(name).upper()


def env_warnings(env: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong with the ``MOONKEY_MOCK_*`` variables: deprecated or unknown names."""
    source = os.environ if env is None else env
    known = {env_name(spec.name) for spec in fields(MockConfig)}
    problems: list[str] = []
    for variable in sorted(name for name in source if name.startswith(ENV_PREFIX)):
        if variable in known or variable in OTHER_TOOLS_VARIABLES:
            continue
        if variable in DEPRECATED_VARIABLES:
            new = env_name(DEPRECATED_VARIABLES[variable])
            problems.append(f"{variable} is deprecated, use {new}")
            continue
        suffixes = sorted(name.removeprefix(ENV_PREFIX) for name in known)
        close = difflib.get_close_matches(variable.removeprefix(ENV_PREFIX), suffixes, n=1)
        hint = f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else ""
        problems.append(f"{variable} is not a moonkey-mock setting and is ignored{hint}")
    return problems


def exposure_warnings(config: MockConfig) -> list[str]:
    """Risks of where the fake is bound; ValueError for a setup refused outright.

    ``--control`` on a non-loopback address without ``--admin-token`` hands anyone who reaches
    the address every secret key, token and code (``/_mock/state``): refused unless
    ``--allow-remote-control``. The published default secret key on such an address lets anyone
    there call the API as the default app: a warning.
    """
    if is_loopback(config.host):
        return []
    if config.control and not config.admin_token and not config.allow_remote_control:
        raise ValueError(
            f"--control on {config.host} without --admin-token would let anyone who can reach "
            "it read and change every app's keys, tokens and codes (/_mock/state); set "
            "--admin-token T, or --allow-remote-control to accept that"
        )
    if config.secret_key == DEFAULT_SECRET_KEY:
        return [
            f"bound to {config.host} with the published default secret key "
            f"({DEFAULT_SECRET_KEY[:16]}...): anyone who can reach this address can call the "
            "API as the default app; set --secret-key (MOONKEY_MOCK_SECRET_KEY)"
        ]
    return []


def _coerce(type_name: object, raw: str, name: str) -> Any:
    text = str(type_name)
    if "bool" in text:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{env_name(name)}: expected a boolean, got {raw!r}")
    if text.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{env_name(name)}: expected an integer, got {raw!r}") from None
    return raw
