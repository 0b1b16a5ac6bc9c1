"""Apps (tenants) for the control API: create, change, delete, and the start-up set.

Creating an app is cheap: an id and two keys from the seeded :class:`~mock_server.ids.Ids`;
the signing keys (:class:`~mock_server.tokens.KeySet`) are shared by every app.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mock_server.config import MockConfig
from mock_server.control.document import control_spec, control_validators
from mock_server.errors import AppNotFound, DuplicateApp, ValidationError
from mock_server.faults import ANY_APP
from mock_server.ids import KEY_BODY_LENGTH
from mock_server.models import App
from mock_server.state import MockState

# Fields of App a control request may set; keys and ids only on creation.
SETTINGS = (
    "name",
    "default_session_minutes",
    "jwt_ttl_seconds",
    "otp_length",
    "otp_expiry_minutes",
    "otp_max_attempts",
    "magic_link_minutes",
    "default_redirect_url",
    "wallet_challenge_minutes",
    "siwe_domains",
    "transfer_fees",
    "transfer_fee_rate",
    "transfer_settle_seconds",
    "transfer_outcome",
)


def resolve(state: MockState, app_id: str | None) -> App:
    """The app ``app_id`` names (None: the default app), else 404 ``app_not_found``."""
    if app_id is None:
        return state.default_app()
    app = state.store.get_app(app_id)
    if app is None:
        raise AppNotFound(f"No app '{app_id}'")
    return app


def scope(state: MockState, app_id: str | None) -> str | None:
    """A collection filter: None (absent or ``*``) = every app, else a known app's id."""
    if app_id is None or app_id == ANY_APP:
        return None
    return resolve(state, app_id).app_id


def template(state: MockState) -> App:
    """The default app as configured at start-up (new apps take its settings)."""
    return default_app(state.config, state.now_ts())


def default_app(config: MockConfig, now: int) -> App:
    """The app whose keys come from the configuration."""
    return App(
        app_id=config.app_id,
        secret_keys=(config.secret_key,),
        public_token=config.public_token,
        default_redirect_url=config.default_redirect_url or None,
        otp_max_attempts=config.otp_max_attempts,
        created_at=now,
    )


def check_settings(app: App, where: str) -> None:
    """An app from elsewhere (an imported state) gets the checks of ``POST /_mock/apps``."""
    values: dict[str, Any] = {k: getattr(app, k) for k in SETTINGS}
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if v is not None}
    values["transfer_fees"] = dict(app.transfer_fees)
    values["app_id"] = app.app_id
    values["public_token"] = app.public_token
    if not app.secret_keys:
        raise ValidationError(f"State field '{where}.secret_keys' must list at least one key")
    op = control_spec().operations["CreateApp"]
    for key in app.secret_keys:
        try:
            control_validators().check_body(op, {**values, "secret_key": key})
        except ValidationError as error:
            raise ValidationError(f"{where}: {error.detail}") from None


def create(state: MockState, values: dict[str, Any]) -> App:
    """A new app from validated CreateApp fields; ids and keys are generated unless given."""
    ids = state.ids
    app_id = values.get("app_id") or ids.new("app_")
    secret = values.get("secret_key") or "sk_test_" + ids.chars(KEY_BODY_LENGTH)
    public = values.get("public_token") or "pk_test_" + ids.chars(KEY_BODY_LENGTH)
    values = _tuples(values, template(state))
    with state.store.atomic():
        _check_free(state, app_id, secret, public)
        app = replace(
            template(state),
            app_id=app_id,
            secret_keys=(secret,),
            public_token=public,
            name=values.get("name") or f"Test app {app_id}",
            **{k: values[k] for k in SETTINGS if k in values and k != "name"},
        )
        state.store.put_app(app)
    return app


def update(state: MockState, app_id: str, values: dict[str, Any]) -> App:
    """Change an app's settings (validated UpdateApp fields)."""
    with state.store.atomic():
        current = resolve(state, app_id)
        values = _tuples(values, current)
        app = replace(current, **{k: values[k] for k in SETTINGS if k in values})
        state.store.put_app(app)
    return app


def delete(state: MockState, app_id: str) -> App:
    """Delete an app with its records, messages, journal entries and fault rules."""
    if app_id == state.config.app_id:
        raise ValidationError("The default app cannot be deleted; reset it instead")
    app = state.store.delete_app(resolve(state, app_id).app_id)
    if app is None:
        raise AppNotFound(f"No app '{app_id}'")
    forget(state, app_id)
    return app


def forget(state: MockState, app_id: str) -> None:
    """Drop an app's messages, journal entries and fault rules (not its records)."""
    state.outbox.clear(app_id)
    state.journal.clear(app_id)
    state.faults.clear(app_id)


def restore_startup(state: MockState) -> None:
    """Only the default app left, with its start-up settings and keys."""
    with state.store.atomic():
        for app in state.store.apps():
            if app.app_id != state.config.app_id:
                state.store.delete_app(app.app_id)
        state.store.put_app(template(state))


def _check_free(state: MockState, app_id: str, secret: str, public: str) -> None:
    store = state.store
    if store.get_app(app_id) is not None:
        raise DuplicateApp(f"An app with id '{app_id}' already exists")
    if store.app_by_secret_key(secret) is not None or store.app_by_public_token(public):
        raise DuplicateApp("Another app already uses this secret key or token")


def _tuples(values: dict[str, Any], base: App) -> dict[str, Any]:
    """List settings as the frozen App holds them (``siwe_domains``; ``transfer_fees`` merged
    into ``base``'s: the currencies given replace theirs, M41)."""
    if isinstance(values.get("siwe_domains"), list):
        values = {**values, "siwe_domains": tuple(values["siwe_domains"])}
    if isinstance(values.get("transfer_fees"), dict):
        fees = {**dict(base.transfer_fees), **values["transfer_fees"]}
        values = {**values, "transfer_fees": tuple(sorted(fees.items()))}
    return values
