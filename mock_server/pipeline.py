"""One Flask rule per operationId, and the request pipeline every API call goes through.

Pipeline: faults -> auth -> validate request -> handler -> validate response (strict mode)
-> render, with the journal recording the outcome (with no fault rule the fault step costs one
attribute check). Start-up fails when an operation has no handler or a handler has no operation.
"""

from __future__ import annotations

import hmac
import importlib
import inspect
import json
import pkgutil
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import handlers as handlers_pkg
from .call import Call, Reply
from .errors import (
    ApiError,
    InternalError,
    InvalidJson,
    InvalidPublicToken,
    PublicTokenNotAllowed,
    RequestTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
    envelope,
    status_of,
)
from .faults import DROP_KEY, Fired
from .journal import redact_query
from .models import App
from .spec import Operation, Spec, SpecError
from .state import MockState
from .validation import Validators

Handler = Callable[[Call], Reply]
NOW_HEADER = "X-Moonkey-Mock-Now"
SECRET_PREFIXES = ("sk_test_", "sk_live_")


def collect_handlers(spec: Spec) -> dict[str, Handler]:
    """Pair every operation with ``handlers/<tag>.py:<snake_case operationId>``, strictly."""
    found: dict[str, Handler] = {}
    for module_info in pkgutil.iter_modules(handlers_pkg.__path__):
        module = importlib.import_module(f"{handlers_pkg.__name__}.{module_info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{module_info.name}.{name}"] = func
    paired: dict[str, Handler] = {}
    for op in spec.operations.values():
        key = f"{op.tag}.{op.handler_name}"
        if key not in found:
            raise SpecError(f"operation {op.operation_id} has no handler {key}")
        paired[op.operation_id] = found.pop(key)
    if found:
        raise SpecError(f"handlers without an operation: {', '.join(sorted(found))}")
    return paired


def add_routes(app: Flask, state: MockState) -> None:
    """Register one rule per operation."""
    for op_id, handler in collect_handlers(state.spec).items():
        op = state.spec.operations[op_id]
        app.add_url_rule(
            op.flask_rule, endpoint=op_id, view_func=_view(state, op, handler), methods=[op.method]
        )


def _view(state: MockState, op: Operation, handler: Handler) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        started = time.perf_counter()
        fired = state.faults.fire(state, op, path) if state.faults.rules else None
        if fired is not None and fired.final:
            return _injected(state, op, fired, started)
        app_id, body = "", None
        try:
            app = authenticate(state, op)
            app_id = app.app_id
            query = state.validators.query(op, request.args)
            body = read_body(state, op)
            call = Call(state, app, body, query, path, _ip(), _agent(), _base_url())
            reply = handler(call)
            status, payload, headers = reply.status, reply.body, dict(reply.headers)
        except ApiError as error:
            status, payload, headers = status_of(error), error.body(), dict(error.headers)
        except HTTPException as error:
            status, payload, headers = _http_error(error)
        except Exception as crash:  # noqa: BLE001 - every crash becomes a recorded 500
            state.record_crash(crash)
            status, payload, headers = 500, InternalError().body(), {}
        if state.config.strict:
            status, payload = _checked(state, op, status, payload)
        _journal(state, op, status, payload, started, app_id, body, fired)
        return render(status, payload, headers)

    view.__name__ = op.handler_name
    return view


def _journal(
    state: MockState,
    op: Operation,
    status: int,
    payload: Any,
    started: float,
    app_id: str,
    body: Any,
    fired: Fired | None,
) -> None:
    state.journal.record(
        at=state.now(),
        app_id=app_id,
        method=request.method,
        path=request.path,
        operation_id=op.operation_id,
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        injected=fired is not None,
        error_type=payload.get("error_type", "") if isinstance(payload, dict) else "",
        query=redact_query(dict(request.args)),
        body=body,
        fault_id=fired.rule_id if fired else "",
        fault_action=fired.action if fired else "",
    )


def _injected(state: MockState, op: Operation, fired: Fired, started: float) -> Response:
    """The answer of a fault that ends the call; a drop is done by the WSGI middleware."""
    _journal(state, op, fired.status, fired.payload, started, fired.app_id, fired.body, fired)
    if fired.payload is None:
        request.environ[DROP_KEY] = True
        return Response(status=503)
    return render(fired.status, fired.payload, fired.headers)


def authenticate(state: MockState, op: Operation) -> App:
    """The app a request acts for, from its secret key or (public operations) public token."""
    if op.security == "public":
        token = request.args.get("public_token", "")
        if not token:
            raise ValidationError("Missing required query parameter 'public_token'")
        public = state.store.app_by_public_token(token)
        if public is None or not hmac.compare_digest(token, public.public_token):
            raise InvalidPublicToken()
        return public
    header = request.headers.get("Authorization", "")
    key = request.args.get("api_key", "") if op.security == "secret_or_query" else ""
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <secret API key>'")
        key = value.strip()
    if not key:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_test_...'")
    if key.startswith("pk_"):
        raise PublicTokenNotAllowed()
    if not key.startswith(SECRET_PREFIXES):
        raise Unauthorized("Malformed API key: secret keys start with sk_test_ or sk_live_")
    app = state.store.app_by_secret_key(key)
    if app is None or not any(hmac.compare_digest(key, k) for k in app.secret_keys):
        raise Unauthorized("Unknown or revoked API key")
    return app


def read_body(
    state: MockState, op: Operation, validators: Validators | None = None
) -> dict[str, Any]:
    """The validated JSON body ({} for operations without one); ``validators`` of another
    document (the control API's) may stand in for the API's."""
    if op.body_pointer is None:
        return {}
    data = request.get_data(cache=True)
    if not data.strip():
        if op.body_required:
            raise ValidationError("Missing request body: send a JSON object")
        return {}
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        shown = request.mimetype or "none"
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {shown}")
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply") from None
    (validators or state.validators).check_body(op, body)
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object")
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _checked(state: MockState, op: Operation, status: int, payload: Any) -> tuple[int, Any]:
    problems = state.validators.response_problems(op, status, payload)
    if not problems:
        return status, payload
    message = f"{op.operation_id} {status} response breaks openapi.yaml: {problems[0]}"
    state.record_crash(AssertionError(message))
    return 500, envelope(500, "internal_error", message)


def _http_error(error: HTTPException) -> tuple[int, Any, dict[str, str]]:
    """Werkzeug's errors raised inside a view (body too large, bad request)."""
    if error.code == 413:
        api: ApiError = RequestTooLarge()
        return api.status, api.body(), {}
    code = error.code or 400
    return code, envelope(code, _slug(error.name), error.description or error.name), {}


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_")


def render(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response, ending in a newline (a terminal's prompt starts on its own line)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) + "\n"
    response = Response(text, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _base_url() -> str:
    # Werkzeug's host_url re-derives and IRI-encodes the URL on every call; the environ has it.
    env = request.environ
    host = env.get("HTTP_HOST") or f"{env['SERVER_NAME']}:{env['SERVER_PORT']}"
    return f"{env['wsgi.url_scheme']}://{host}/"


def _ip() -> str:
    return request.remote_addr or ""


def _agent() -> str:
    return request.headers.get("User-Agent", "")
