"""State export and import (JSON), and seeding from the friendly YAML format.

An export lists, per app, the app and its records exactly as the store holds them (the model
dataclasses, field by field) plus the app's outbox; importing it replaces each listed app
wholly. Conversion is driven by the models' type hints, so a field added to a model is exported
and imported without changes here.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml

from mock_server.domain import balances, chain_keys, users
from mock_server.errors import ApiError, DuplicateApp, DuplicateUser, UserNotFound, ValidationError
from mock_server.models import (
    App,
    MagicToken,
    OAuthToken,
    OtpChallenge,
    Session,
    Transfer,
    User,
    WalletBalance,
    WalletImportKey,
    WalletKey,
    WalletRegistration,
    WebauthnChallenge,
)
from mock_server.outbox import Message
from mock_server.state import MockState
from mock_server.store import Store
from mock_server.store.codec import dump

from . import apps, shortcuts
from .document import control_spec, control_validators

Json = dict[str, Any]
T = TypeVar("T")
VERSION = 1
# Record kinds of an app: (model, list them, store one).
KINDS: dict[str, tuple[type[Any], Callable[[Store, str], list[Any]], str]] = {
    "users": (User, lambda s, a: s.users(a), "put_user"),
    "sessions": (Session, lambda s, a: s.sessions(a), "put_session"),
    "otps": (OtpChallenge, lambda s, a: s.otps(a), "put_otp"),
    "magic_tokens": (MagicToken, lambda s, a: s.magic_tokens(a), "put_magic_token"),
    "oauth_tokens": (OAuthToken, lambda s, a: s.oauth_tokens(a), "put_oauth_token"),
    "webauthn_challenges": (
        WebauthnChallenge,
        lambda s, a: s.webauthn_challenges(a),
        "put_webauthn_challenge",
    ),
    "wallet_registrations": (
        WalletRegistration,
        lambda s, a: s.wallet_registrations(a),
        "put_wallet_registration",
    ),
    # managed wallets (M15): the private keys travel in the export, and only there
    "wallet_keys": (WalletKey, lambda s, a: s.wallet_keys(a), "put_wallet_key"),
    "balances": (
        WalletBalance,
        lambda s, a: [WalletBalance(a, w, t, m) for w, t, m in s.balances(a)],
        "put_wallet_balance",
    ),
    "wallet_import_keys": (
        WalletImportKey,
        lambda s, a: s.wallet_import_keys(a),
        "put_wallet_import_key",
    ),
    "transfers": (Transfer, lambda s, a: s.transfers(a), "put_transfer"),
}


def _put_wallet_balance(store: Store, balance: WalletBalance) -> None:
    store.put_balance(balance.app_id, balance.wallet_id, balance.token_symbol, balance.amount)


def _putter(store: Store, kind: str) -> Callable[[Any], None]:
    name = KINDS[kind][2]
    if name == "put_wallet_balance":
        return functools.partial(_put_wallet_balance, store)
    put: Callable[[Any], None] = getattr(store, name)
    return put


def _check_wallet_record(record: Any, where: str) -> None:
    """What a type cannot say: a key is a valid secret of its chain, an amount a decimal."""
    if isinstance(record, WalletKey):
        try:
            valid = chain_keys.valid_secret(record.chain, bytes.fromhex(record.secret_hex))
        except ValueError:
            valid = False
        if not valid:
            raise ValidationError(f"State field '{where}.secret_hex' is not a {record.chain} key")
    if isinstance(record, WalletBalance):
        try:
            amount = balances.parse_amount(record.amount)
        except ValueError:
            amount = Decimal(-1)
        if amount < 0 or balances.format_amount(amount) != record.amount:
            raise ValidationError(f"State field '{where}.amount' is not a non-negative decimal")


# --- export / import -----------------------------------------------------------------------


def export_state(state: MockState, app_id: str | None = None) -> Json:
    """All apps (or one) with their records and outbox, as JSON."""
    chosen = [apps.resolve(state, app_id)] if app_id is not None else state.store.apps()
    return {
        "version": VERSION,
        "exported_at": state.now(),
        "apps": [_dump_app(state, a) for a in chosen],
    }


def _dump_app(state: MockState, app: App) -> Json:
    group: Json = {"app": dump(app)}
    for kind, (_, listing, _) in KINDS.items():
        group[kind] = [dump(r) for r in listing(state.store, app.app_id)]
    group["outbox"] = [dump(m) for m in reversed(state.outbox.messages(app_id=app.app_id))]
    return group


def import_state(state: MockState, document: Json) -> Json:
    """Load a validated state document; each app it lists replaces the app of that id."""
    groups = [_load_app(g, f"apps[{i}]") for i, g in enumerate(document["apps"])]
    ids = [app.app_id for app, _, _ in groups]
    if len(set(ids)) != len(ids):
        raise ValidationError("The state document lists an app twice")
    keys = [k for app, _, _ in groups for k in (*app.secret_keys, app.public_token)]
    if len(set(keys)) != len(keys):
        raise DuplicateApp("Two apps of the state document share a secret key or public token")
    counts = dict.fromkeys([*KINDS, "outbox"], 0)
    with state.store.atomic():
        for app, _, _ in groups:
            _check_keys(state, app, set(ids))
        for app, records, messages in groups:
            state.store.delete_app(app.app_id)
            state.store.put_app(app)
            for kind, items in records.items():
                put = _putter(state.store, kind)
                for item in items:
                    put(item)
                counts[kind] += len(items)
            state.outbox.clear(app.app_id)
            for message in messages:
                state.outbox.add(message)
            counts["outbox"] += len(messages)
    return {"apps": ids, "counts": counts}


def _load_app(group: Json, where: str) -> tuple[App, dict[str, list[Any]], list[Message]]:
    app = load(App, group["app"], f"{where}.app")
    apps.check_settings(app, f"{where}.app")
    records = {
        kind: [
            _record(model, raw, app.app_id, f"{where}.{kind}[{i}]")
            for i, raw in enumerate(group.get(kind, []))
        ]
        for kind, (model, _, _) in KINDS.items()
    }
    for kind in ("wallet_keys", "balances"):
        for i, record in enumerate(records[kind]):
            _check_wallet_record(record, f"{where}.{kind}[{i}]")
    messages = [
        _record(Message, raw, app.app_id, f"{where}.outbox[{i}]")
        for i, raw in enumerate(group.get("outbox", []))
    ]
    return app, records, messages


def _record(model: type[T], raw: Any, app_id: str, where: str) -> T:
    if isinstance(raw, dict):
        if raw.get("app_id", app_id) != app_id:
            raise ValidationError(f"State field '{where}.app_id' names another app than its group")
        raw = {**raw, "app_id": app_id}
    return load(model, raw, where)


def _check_keys(state: MockState, app: App, replaced: set[str]) -> None:
    store = state.store
    owners = [store.app_by_secret_key(k) for k in app.secret_keys]
    owners.append(store.app_by_public_token(app.public_token))
    for owner in owners:
        if owner is not None and owner.app_id != app.app_id and owner.app_id not in replaced:
            raise DuplicateApp(f"App '{owner.app_id}' already uses a key of '{app.app_id}'")


# --- generic conversion --------------------------------------------------------------------


def load(model: type[T], data: Any, where: str) -> T:
    """A model from its :func:`dump` form; 400 naming the field on any mismatch."""
    if not isinstance(data, dict):
        raise ValidationError(f"State field '{where}' must be an object")
    fields = {f.name: f for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValidationError(f"Unknown state field '{where}.{unknown[0]}'")
    hints = _hints(typing.cast(type, model))
    values: Json = {}
    for name, spec in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], f"{where}.{name}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise ValidationError(f"Missing state field '{where}.{name}'")
    return model(**values)


@functools.cache
def _hints(model: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(model)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where)
    if origin is tuple:
        return _convert_tuple(args, value, where)
    if origin is dict:
        return dict(_expect(value, dict, where))
    if dataclasses.is_dataclass(hint):
        return load(typing.cast(type[Any], hint), value, where)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool):
        return _expect(value, hint, where)
    return value


def _convert_tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    items = _expect(value, list, where)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(items))
    if len(items) != len(args):
        raise ValidationError(f"State field '{where}' must have {len(args)} items")
    return tuple(
        _convert(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, items, strict=True))
    )


def _expect(value: Any, kind: type[Any], where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValidationError(f"State field '{where}' must be a JSON {_names[kind]}")
    return value


_names = {int: "integer", str: "string", bool: "boolean", list: "array", dict: "object"}


# --- seeding -------------------------------------------------------------------------------


def read_seed(path: str) -> Json:
    """A seed YAML file, validated by the SeedState schema; ValueError says what is wrong."""
    op = control_spec().operations["SeedState"]
    return read_seed_file(path, lambda doc: control_validators().check_body(op, doc))


def read_seed_file(path: str, check: Callable[[Json], None]) -> Json:
    """Parse a YAML seed file and validate it with ``check``; ValueError says what is wrong."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"seed file {path}: {error}") from None
    try:
        check(document)
    except ApiError as error:
        raise ValueError(f"seed file {path}: {error.detail}") from None
    return dict(document)


def apply_seed(state: MockState, document: Json) -> Json:
    """Create what a validated seed document describes; returns the ids and tokens made."""
    made: Json = {"apps": [], "users": [], "sessions": []}
    default = state.default_app()
    if document.get("default_app"):
        default = apps.update(state, default.app_id, document["default_app"])
    _seed_app(state, default, document, made)
    for spec in document.get("apps", []):
        settings = {k: v for k, v in spec.items() if k not in {"users", "sessions"}}
        app = apps.create(state, settings)
        made["apps"].append(app.app_id)
        _seed_app(state, app, spec, made)
    return made


def reseed_app(state: MockState, document: Json, app: App) -> Json:
    """Apply again the users and sessions a seed gives ``app`` (after a reset of that app).

    The default app's are the top-level ones; another app's are found by its ``app_id``.
    """
    made: Json = {"apps": [], "users": [], "sessions": []}
    if app.app_id == state.config.app_id:
        _seed_app(state, app, document, made)
        return made
    for spec in document.get("apps", []):
        if spec.get("app_id") == app.app_id:
            _seed_app(state, app, spec, made)
    return made


def _seed_app(state: MockState, app: App, spec: Json, made: Json) -> None:
    for raw in spec.get("users", []):
        user = _seed_user(state, app, raw)
        named = {k: raw[k] for k in ("email", "phone_number") if k in raw}
        made["users"].append({"app_id": app.app_id, "user_id": user.user_id, **named})
    for raw in spec.get("sessions", []):
        made["sessions"].append(_seed_session(state, app, raw))


def _seed_session(state: MockState, app: App, raw: Json) -> Json:
    named = {k: raw[k] for k in ("user_id", "email", "phone_number") if k in raw}
    owner = shortcuts.find_user(state, app, **named)
    if owner is None:
        shown = ", ".join(f"{k} '{v}'" for k, v in named.items())
        raise UserNotFound(f"Seed session: no user with {shown} in app {app.app_id}")
    issued, _ = shortcuts.login(
        state, app, owner, minutes=raw.get("expires_in"), verify=False, token=raw.get("token")
    )
    session = issued.session
    return {
        "app_id": app.app_id,
        "user_id": owner.user_id,
        "session_id": session.session_id if session else "",
        "session_token": issued.token,
        "expires_at": session.expires_at if session else 0,
    }


def _seed_user(state: MockState, app: App, raw: Json) -> User:
    status = raw.get("status", "active")
    fields = ("email", "phone_number", "first_name", "middle_name", "last_name")
    body = {k: raw[k] for k in fields if k in raw}
    user = users.create(state, app, {**body, "requires_verification": status == "pending"})
    if raw.get("verified"):
        for method_id in [e.id for e in user.emails] + [p.id for p in user.phone_numbers]:
            user = users.mark_verified(state, user, method_id)
    fixed = raw.get("user_id", user.user_id)
    with state.store.atomic():
        if fixed != user.user_id:
            if state.store.get_user(app.app_id, fixed) is not None:
                raise DuplicateUser(f"A user with id '{fixed}' already exists")
            state.store.delete_user(app.app_id, user.user_id)
        user = dataclasses.replace(user, user_id=fixed, status=status)
        state.store.put_user(user)
    return user
