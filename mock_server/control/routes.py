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

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from mock_server.errors import (
    ApiError,
    InternalError,
    RequestTooLarge,
    Unauthorized,
    ValidationError,
    envelope,
    status_of,
)
from mock_server.faults import DropMiddleware
from mock_server.pipeline import read_body, render
from mock_server.spec import Operation, Spec, SpecError
from mock_server.state import MockState

from . import snapshot, ui
from .inprocess import CONTROL_SPEC, Controls, control_spec, control_validators

Json = dict[str, Any]
MAX_CONTROL_BODY = 64 * 1024 * 1024  # state imports are larger than API bodies


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
        app.register_blueprint(blueprint(state))
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


def blueprint(state: MockState) -> Blueprint:
    """The ``/_mock/`` routes of one fake."""
    spec = control_spec()
    routes = Blueprint("moonkey_mock_control", __name__)
    for op_id, handler in _pair(spec).items():
        op = spec.operations[op_id]
        view = _view(state, op, handler)
        routes.add_url_rule(op.flask_rule, endpoint=op_id, view_func=view, methods=[op.method])
    return routes


def _pair(spec: Spec) -> dict[str, ControlHandler]:
    names = {op.handler_name: op.operation_id for op in spec.operations.values()}
    missing, extra = sorted(set(names) - set(_HANDLERS)), sorted(set(_HANDLERS) - set(names))
    if missing or extra:
        raise SpecError(f"control handlers missing: {missing}; without an operation: {extra}")
    return {names[name]: handler for name, handler in _HANDLERS.items()}


def _view(state: MockState, op: Operation, handler: ControlHandler) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        request.max_content_length = MAX_CONTROL_BODY
        try:
            _authorize(state)
            validators = control_validators()
            query = validators.query(op, request.args)
            body = read_body(state, op, validators)
            result = handler(Controls(state), ControlCall(body, query, path))
            if isinstance(result, Response):
                return result
            status, payload, headers = 200, result, {}
        except ApiError as error:
            status, payload, headers = status_of(error), error.body(), dict(error.headers)
        except HTTPException as error:
            api = RequestTooLarge() if error.code == 413 else ValidationError(error.description)
            status, payload, headers = api.status, api.body(), {}
        except Exception as crash:  # noqa: BLE001 - every crash becomes a recorded 500
            state.record_crash(crash)
            status, payload, headers = 500, InternalError().body(), {}
        if state.config.strict and status != 500:
            status, payload = _checked(state, op, status, payload)
        return render(status, payload, headers)

    view.__name__ = op.handler_name
    return view


def _authorize(state: MockState) -> None:
    """With ``--admin-token``, only ``Authorization: Bearer <token>`` gets in (API keys never)."""
    token = state.config.admin_token
    if not token:
        return
    if ui.admin_cookie_matches(request, token):  # the dashboard's login cookie
        return
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), token.encode()
    ):
        raise Unauthorized("The control API needs 'Authorization: Bearer <admin token>'")


def _checked(state: MockState, op: Operation, status: int, payload: Any) -> tuple[int, Any]:
    problems = control_validators().response_problems(op, status, payload)
    if not problems:
        return status, payload
    message = f"{op.operation_id} {status} answer breaks control/openapi.yaml: {problems[0]}"
    state.record_crash(AssertionError(message))
    return 500, envelope(500, "internal_error", message)


def _deleted(count: int, what: str) -> Json:
    return {"message": f"Deleted {count} {what}", "deleted": count}


# --- one handler per control operation ------------------------------------------------------


@_handler
def get_health(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/health."""
    return c.health()


@_handler
def get_control_spec(c: Controls, r: ControlCall) -> Response:
    """GET /_mock/openapi.yaml."""
    return Response(CONTROL_SPEC.read_bytes(), mimetype="application/yaml")


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
    return _deleted(c.clear_faults(**r.query), "fault rules")


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
    return _deleted(c.clear_outbox(**r.query), "messages")


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
    return _deleted(c.clear_requests(**r.query), "journal entries")


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
