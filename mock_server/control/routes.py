"""The control API under ``/_mock/``: a thin HTTP layer over :class:`.controls.Controls`.

Routes come from ``control/openapi.yaml``: one rule per operation, each paired with the function
here named after its snake_case operationId (start-up fails on a mismatch). Requests are
validated by that document the way API requests are by ``openapi.yaml``; errors use the same
envelope; in strict mode answers are checked against it too. Control calls are not journaled
and faults never touch them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from mock_server.call import Reply
from mock_server.control import snapshot
from mock_server.control.document import control_spec, control_validators
from mock_server.control.inprocess import Controls
from mock_server.errors import (
    AdminTokenRequired,
    ApiError,
    CrossSiteRequest,
    HostNotAllowed,
    ValidationError,
)
from mock_server.pipeline import Inputs, Plane, add_routes, bearer
from mock_server.server import DropMiddleware
from mock_server.spec import Operation, Spec, SpecError
from mock_server.state import MockState

from . import ui
from .passkey_page import blueprint as passkey_page

Json = dict[str, Any]
MAX_CONTROL_BODY = 64 * 1024 * 1024  # state imports are larger than API bodies
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


@dataclass(frozen=True)
class ControlCall:
    """A validated control request."""

    body: Json
    query: Json
    path: dict[str, str]

    def scoped(self) -> Json:
        """The body with ``app_id`` from the query when it came there (they must agree)."""
        app_id = self.query.get("app_id")
        if app_id is None:
            return dict(self.body)
        if self.body.get("app_id", app_id) != app_id:
            raise ValidationError("app_id differs between the query and the body")
        return {**self.body, "app_id": app_id}


ControlHandler = Callable[[Controls, ControlCall], Any]
_HANDLERS: dict[str, ControlHandler] = {}


def _handler(func: ControlHandler) -> ControlHandler:
    _HANDLERS[func.__name__] = func
    return func


def install(app: Flask, state: MockState) -> None:
    """Wire the control side: the drop middleware, ``/_mock/`` when enabled, the seed."""
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if state.config.control_enabled:
        add_routes(app, state, control_plane(state))
        app.register_blueprint(passkey_page())  # GET /_mock/passkey: the browser WebAuthn page
        app.register_blueprint(ui.blueprint(state))  # the dashboard at /_mock/ui
    if state.seed is not None:
        try:
            snapshot.apply_seed(state, state.seed)
        except ApiError as error:  # a start-up error, not a traceback
            raise ValueError(f"seed file {state.config.seed_file}: {error.detail}") from None


def read_seed(path: str) -> Json:
    """A seed YAML file, validated by the SeedState schema; ValueError says what is wrong."""
    op = control_spec().operations["SeedState"]
    return snapshot.read_seed_file(path, lambda doc: control_validators().check_body(op, doc))


def control_plane(state: MockState) -> Plane:
    """The ``/_mock/`` routes: ``control/openapi.yaml`` with the handlers below."""
    spec = control_spec()
    return Plane(
        name="control",
        spec=spec,
        validators=control_validators(),
        handlers=_pair(spec),
        invoke=_invoke,
        guard=guard,
        authenticate=lambda state, op, request: None,
        max_body=MAX_CONTROL_BODY,
        faults=False,
        journal=False,
    )


def _pair(spec: Spec) -> dict[str, ControlHandler]:
    names = {op.handler_name: op.operation_id for op in spec.operations.values()}
    missing, extra = sorted(set(names) - set(_HANDLERS)), sorted(set(_HANDLERS) - set(names))
    if missing or extra:
        raise SpecError(f"control handlers missing: {missing}; without an operation: {extra}")
    return {names[name]: handler for name, handler in _HANDLERS.items()}


def _invoke(state: MockState, handler: ControlHandler, inputs: Inputs) -> Reply:
    result = handler(Controls(state), ControlCall(inputs.body, inputs.query, inputs.path))
    if isinstance(result, Response):
        return Reply(None, result.status_code, raw=result)
    return Reply(result)


def guard(state: MockState, op: Operation | None = None) -> None:
    """Who may use the control API: the right Host, no cross-site request, the admin token.

    A browser page on another site must not read ``/_mock/state`` (every key and code) through
    DNS rebinding (the Host check) nor change the fake with a form post (the Origin and
    content-type checks); with ``--admin-token`` only ``Authorization: Bearer <token>`` gets in.
    """
    config = state.config
    host = request.host
    if not config.host_allowed(host):
        raise HostNotAllowed(
            f"Host '{host}' is not allowed for the control API: use the address the fake is "
            "bound to, a loopback name, or allow it with --allowed-hosts"
        )
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        origin_host = urlsplit(origin).netloc
        if origin_host != host and not config.host_allowed(origin_host):
            raise CrossSiteRequest(f"Cross-site request from Origin '{origin}' refused")
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or origin == "null":
        raise CrossSiteRequest("Cross-site request refused")
    if request.method != "GET" and request.mimetype in FORM_TYPES:
        raise CrossSiteRequest(
            f"Control calls that change the fake take JSON, not {request.mimetype}"
        )
    _authorize(state)


def _authorize(state: MockState) -> None:
    """With ``--admin-token``, only ``Authorization: Bearer <token>`` gets in (API keys never)."""
    token = state.config.admin_token
    if not token:
        return
    if ui.admin_cookie_matches(request, token):  # the dashboard's login cookie
        return
    given = bearer(request.headers.get("Authorization", ""), "admin token") or ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise AdminTokenRequired()


# --- one handler per control operation ------------------------------------------------------


@_handler
def get_health(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/health."""
    return c.health()


@_handler
def get_control_spec(c: Controls, r: ControlCall) -> Response:
    """GET /_mock/openapi.yaml."""
    return Response(c.openapi_document(), mimetype="application/yaml")


@_handler
def get_clock(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/clock."""
    return c.clock()


@_handler
def advance_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/advance."""
    return c.advance(**r.body)


@_handler
def set_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/set."""
    return c.set_time(**r.body)


@_handler
def freeze_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/freeze."""
    return c.freeze()


@_handler
def unfreeze_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/unfreeze."""
    return c.unfreeze()


@_handler
def reset_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/reset."""
    return c.reset_clock()


@_handler
def add_fault(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/faults."""
    return c.add_fault(**r.scoped())


@_handler
def list_faults(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/faults."""
    return {"faults": c.faults(**r.query)}


@_handler
def clear_faults(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/faults."""
    return c.clear_faults(**r.query)


@_handler
def add_rate_limit(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/faults/rate_limit."""
    return c.add_rate_limit(**r.scoped())


@_handler
def delete_fault(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/faults/<fault_id>."""
    return c.delete_fault(r.path["fault_id"])


@_handler
def list_outbox(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/outbox."""
    return {"messages": c.outbox(**r.query)}


@_handler
def clear_outbox(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/outbox."""
    return c.clear_outbox(**r.query)


@_handler
def list_requests(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/requests (``count=true``: ``{"count": N}``)."""
    query = dict(r.query)
    if query.pop("count", False):
        query.pop("limit", None)
        return {"count": c.request_count(**query)}
    return {"requests": c.requests(**query)}


@_handler
def clear_requests(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/requests."""
    return c.clear_requests(**r.query)


@_handler
def reset(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/reset."""
    return c.reset(**r.scoped())


@_handler
def create_app(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/apps."""
    return c.create_app(**r.body)


@_handler
def list_apps(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/apps."""
    return {"apps": c.apps()}


@_handler
def get_app(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/apps/<app_id>."""
    return c.get_app(r.path["app_id"])


@_handler
def update_app(c: Controls, r: ControlCall) -> Json:
    """PATCH /_mock/apps/<app_id>."""
    return c.update_app(r.path["app_id"], **r.body)


@_handler
def delete_app(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/apps/<app_id>."""
    return c.delete_app(r.path["app_id"])


@_handler
def rotate_keys(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/keys/rotate."""
    return c.rotate_keys()


@_handler
def export_state(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/state."""
    return c.export_state(**r.query)


@_handler
def import_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/state."""
    return c.import_state(r.body)


@_handler
def seed_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/seed."""
    return c.seed(r.body)


@_handler
def mint_session(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/sessions."""
    return c.mint_session(**r.scoped())


@_handler
def mint_oauth_token(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/oauth/tokens."""
    return c.mint_oauth_token(**r.scoped())


@_handler
def get_totp_code(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/totps/code."""
    return c.totp_code(**r.scoped())


@_handler
def set_password(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/passwords."""
    return c.set_password(**r.scoped())


@_handler
def set_wallet_balance(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/wallets/balance."""
    return c.set_balance(**r.scoped())


@_handler
def change_contract_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/contract/states (Pact's state-change body, or its query form)."""
    body = r.scoped() if r.body else dict(r.query)
    app_id = body.pop("app_id", None) or r.query.get("app_id")
    known = {k: body[k] for k in ("state", "params", "action", "states") if k in body}
    return c.contract_state(**known, app_id=app_id)


@_handler
def list_app_users(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/users."""
    return c.users(**r.query)


@_handler
def get_app_user(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/users/<user_id>."""
    return c.user(r.path["user_id"], **r.query)


@_handler
def delete_app_user(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/users/<user_id>."""
    return c.delete_user(r.path["user_id"], **r.query)


@_handler
def list_app_sessions(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/sessions."""
    return c.sessions(**r.query)


@_handler
def revoke_app_session(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/sessions/<session_id>."""
    return c.revoke_session(r.path["session_id"], **r.query)


@_handler
def extend_app_session(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/sessions/<session_id>/extend."""
    body = r.scoped()
    return c.extend_session(r.path["session_id"], body.pop("minutes"), **body)


@_handler
def list_app_transfers(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/transfers."""
    return c.transfers(**r.query)


@_handler
def fail_transfer(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/transfers/<transfer_id>/fail."""
    return c.fail_transfer(r.path["transfer_id"], **r.scoped())
