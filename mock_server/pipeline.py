"""The one request pipeline: every API, control and identity-provider request passes here.

A :class:`Plane` says how one OpenAPI document's routes are served; :func:`add_routes` makes
one Flask rule per operation of it. Each request goes through named steps, in this order:

1. :func:`guard`: the control plane's Host/Origin/admin-token checks (the API has none);
2. :func:`fault`: fault rules (API only; with no rule this costs one attribute check);
3. :func:`authenticate`: the app from the secret key or public token (API only);
4. :func:`read_body` and the query: parsed and validated by the document's schemas;
5. the handler (``handlers/<tag>.py`` or the control routes);
6. :func:`check`: strict mode checks the answer against the document;
7. :func:`render`: JSON out, never failing on a stored value;
8. :func:`journal`: the API call's record (API only).

Every error, raised anywhere, becomes an answer in exactly one place: :func:`error_reply`.
Start-up fails when an operation has no handler or a handler has no operation.
"""

from __future__ import annotations

import hmac
import importlib
import itertools
import json
import pkgutil
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from . import handlers as handlers_pkg
from .call import Call, Reply
from .drops import DROP_KEY
from .errors import (
    ApiError,
    InternalError,
    InvalidJson,
    InvalidPublicToken,
    MethodNotAllowed,
    NotFound,
    PublicTokenNotAllowed,
    RequestTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
    envelope,
)
from .faults import MISSING, Fired
from .journal import redact_query
from .models import App
from .router import Router, pair, public_functions
from .spec import Operation, Spec
from .state import MockState
from .store.codec import parse
from .validation import Validators

Json = dict[str, Any]
Handler = Callable[[Call], Reply]
NOW_HEADER = "X-Moonkey-Mock-Now"
SECRET_PREFIXES = ("sk_test_", "sk_live_")


@dataclass(frozen=True)
class Inputs:
    """What the steps before the handler produced."""

    app: App | None
    body: Json
    query: Json
    path: dict[str, str]
    request: Request | None = None


Invoke = Callable[[MockState, Any, Inputs], Reply]
Guard = Callable[[MockState, Operation], None]
Authenticate = Callable[[MockState, Operation, Request], App | None]


@dataclass(frozen=True)
class Plane:
    """How the routes of one document are served.

    Attributes:
        name: "api" or "control".
        spec: the document; validators: its compiled schemas.
        handlers: one per operationId.
        invoke: calls a handler with the inputs and returns its :class:`Reply`.
        guard: the plane's access checks (raise to refuse).
        authenticate: the app a request acts for (None: the plane has no apps).
        max_body: the largest body its routes take.
        faults, journal: whether fault rules apply and calls are journaled.
    """

    name: str
    spec: Spec
    validators: Validators
    handlers: Mapping[str, Any]
    invoke: Invoke
    guard: Guard
    authenticate: Authenticate
    max_body: int
    faults: bool
    journal: bool


def add_routes(app: Flask, state: MockState, router: Router) -> None:
    """Register one Flask rule per route of ``router``."""
    for route in router.routes:
        op = route.op
        view = _view(state, route.plane, op, route.handler)
        app.add_url_rule(
            op.flask_rule, endpoint=op.operation_id, view_func=view, methods=[op.method]
        )


def api_plane(state: MockState) -> Plane:
    """The MoonKey API: ``openapi.yaml`` with ``handlers/<tag>.py``."""
    return Plane(
        name="api",
        spec=state.spec,
        validators=state.validators,
        handlers=collect_handlers(state.spec),
        invoke=_invoke_api,
        guard=lambda state, op: None,
        authenticate=authenticate,
        max_body=state.config.max_body_bytes,
        faults=True,
        journal=True,
    )


def collect_handlers(spec: Spec) -> dict[str, Handler]:
    """Pair every operation with ``handlers/<tag>.py:<snake_case operationId>``, strictly."""
    modules = [
        (info.name, importlib.import_module(f"{handlers_pkg.__name__}.{info.name}"))
        for info in pkgutil.iter_modules(handlers_pkg.__path__)
    ]
    return pair(spec, public_functions(modules), lambda op: f"{op.tag}.{op.handler_name}")


def _invoke_api(state: MockState, handler: Handler, inputs: Inputs) -> Reply:
    assert inputs.app is not None
    assert inputs.request is not None
    req = inputs.request
    call = Call(
        state,
        inputs.app,
        inputs.body,
        inputs.query,
        inputs.path,
        req.remote_addr or "",
        req.headers.get("User-Agent", ""),
        base_url(state, req),
    )
    return handler(call)


# --- the steps -------------------------------------------------------------------------------


def _view(state: MockState, plane: Plane, op: Operation, handler: Any) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        reply, data = handle(state, plane, op, handler, req, path)
        if reply.raw is not None:
            return Response(reply.raw.data, status=reply.status, mimetype=reply.raw.media_type)
        if req.environ.get(DROP_KEY):  # the WSGI middleware closes the connection
            return Response(status=503)
        return _response(reply, data)

    view.__name__ = op.handler_name
    return view


def handle(
    state: MockState, plane: Plane, op: Operation, handler: Any, req: Request, path: dict[str, str]
) -> tuple[Reply, bytes]:
    """Every step for one request of ``op``, on the request it is given (Flask's or not).

    Returns the answer and its JSON (encoded once, for the journal and the wire; empty for a
    raw answer). A dropped call is marked in ``req.environ`` (:data:`DROP_KEY`); the server
    closes it.
    """
    with state.clock.pinned():  # a shared clock and the rules' version: read once (V1)
        return _handle(state, plane, op, handler, req, path)


def _handle(
    state: MockState, plane: Plane, op: Operation, handler: Any, req: Request, path: dict[str, str]
) -> tuple[Reply, bytes]:
    started = time.perf_counter()
    req.max_content_length = plane.max_body
    fired: Fired | None = None
    inputs: Inputs | None = None
    try:
        plane.guard(state, op)
        if plane.faults and state.faults.rules:
            fired = fault(state, op, req, path)
            if fired is not None and fired.final:
                return _injected(state, op, req, fired, started)
        app = plane.authenticate(state, op, req)
        query = plane.validators.query(op, req.args)
        inputs = Inputs(app, read_body(plane, op, req), query, path, req)
        # one change of the store: on Redis run again when another process came between (V23)
        reply = state.store.run(lambda: plane.invoke(state, handler, inputs))
    except Exception as error:  # noqa: BLE001 - the one error path
        reply = error_reply(state, error)
    if reply.raw is not None:
        return reply, b""
    if state.config.strict:
        reply = check(state, plane, op, reply)
    data = to_json(reply.body)
    if plane.journal:
        app_id = inputs.app.app_id if inputs is not None and inputs.app is not None else ""
        body = inputs.body if inputs else None
        journal(state, op, req, reply, started, app_id, body, fired, data)
    return reply, data + b"\n"


def fault(state: MockState, op: Operation, req: Request, path: Mapping[str, str]) -> Fired | None:
    """Apply the fault rules to the request (may wait for a delay or hang)."""
    return state.faults.fire(_FaultView(state, op, req, path), state.now, state.ids)


def _injected(
    state: MockState, op: Operation, req: Request, fired: Fired, started: float
) -> tuple[Reply, bytes]:
    """The answer of a fault that ends the call; a drop is marked for the server."""
    reply = Reply(fired.payload, fired.status, dict(fired.headers))
    data = to_json(reply.body)
    journal(state, op, req, reply, started, fired.app_id, fired.body, fired, data)
    if fired.payload is None:
        req.environ[DROP_KEY] = True
    return reply, data + b"\n"


def authenticate(state: MockState, op: Operation, request: Request) -> App:
    """The app a request acts for, from its secret key or (public operations) public token."""
    if op.security == "public":
        token = request.args.get("public_token", "")
        if not token:
            raise ValidationError("Missing required query parameter 'public_token'")
        public = state.store.app_by_public_token(token)
        if public is None or not hmac.compare_digest(token, public.public_token):
            raise InvalidPublicToken()
        return public
    key = bearer(request.headers.get("Authorization", ""), "secret API key")
    if key is None and op.security == "secret_or_query":
        key = request.args.get("api_key", "")
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


def bearer(header: str, what: str) -> str | None:
    """The credential of an ``Authorization: Bearer <credential>`` header (None: no header)."""
    if not header.strip():
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized(f"The Authorization header must be 'Bearer <{what}>'")
    return value.strip()


def read_body(plane: Plane, op: Operation, request: Request) -> Json:
    """The validated JSON body ({} for operations without one)."""
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
        body = parse(data, _strict_json)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply") from None
    if b"\\ud" in data or b"\\uD" in data:
        _reject_lone_surrogates(body, "")
    plane.validators.check_body(op, body)
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object")
    return body


def _nesting(data: str | bytes) -> int:
    """How deep the arrays and objects of a JSON text go (brackets inside strings skipped).

    Asked before ``json`` parses a body (orjson has a fixed depth limit of its own): ``json``
    relies on the interpreter's recursion limit, which a library loaded beside the fake can
    raise (py_ecc sets 100,000, decision W9), and a body of 100,000 ``[`` then overflows the
    C stack instead of raising. In C but for one step per bracket: ~40 ms a megabyte.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _JSON_STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _strict_json(data: str | bytes) -> Any:
    if _nesting(data) > MAX_JSON_DEPTH:
        raise RecursionError(f"nested over {MAX_JSON_DEPTH} levels")
    return json.loads(data, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _reject_lone_surrogates(node: Any, where: str) -> None:
    """Refuse strings that cannot be encoded as UTF-8 (a lone ``\\ud800`` escape)."""
    if isinstance(node, str):
        if not _encodable(node):
            shown = where or "the body"
            raise ValidationError(
                f"'{shown}' is not valid Unicode: it holds a lone surrogate escape such as "
                "\\ud800; send UTF-8 text"
            )
    elif isinstance(node, dict):
        for key, value in node.items():
            inner = f"{where}.{key}" if where else str(key)
            if not _encodable(key):
                raise ValidationError(f"A key in '{where or 'the body'}' is not valid Unicode")
            _reject_lone_surrogates(value, inner)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _reject_lone_surrogates(value, f"{where}[{index}]")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check(state: MockState, plane: Plane, op: Operation, reply: Reply) -> Reply:
    """Strict mode: an answer the document does not allow becomes a recorded 500."""
    if plane.name == "control" and reply.status == 500:
        return reply
    problems = plane.validators.response_problems(op, reply.status, reply.body)
    if not problems:
        return reply
    document = "openapi.yaml" if plane.name == "api" else "control/openapi.yaml"
    message = f"{op.operation_id} {reply.status} answer breaks {document}: {problems[0]}"
    state.record_crash(AssertionError(message))
    return Reply(envelope(500, "internal_error", message), 500)


def error_reply(state: MockState, error: BaseException) -> Reply:
    """The one place an exception becomes an answer (API, control and IdP alike)."""
    if isinstance(error, ApiError):
        return Reply(error.body(), error.status, dict(error.headers))
    if isinstance(error, HTTPException):
        return _http_error(error)
    state.record_crash(error)
    return Reply(InternalError().body(), 500)


def _http_error(error: HTTPException) -> Reply:
    """Werkzeug's errors: no route, wrong method, body too large, unreadable request."""
    api: ApiError
    headers: dict[str, str] = {}
    if error.code == 404:
        api = NotFound(f"No endpoint {request.method} {request.path}")
    elif error.code == 405:
        api = MethodNotAllowed(f"{request.method} is not allowed on {request.path}")
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(sorted(allowed))
    elif error.code == 413:
        api = RequestTooLarge()
    else:
        api = ValidationError(error.description or "The request could not be read")
    return Reply(api.body(), api.status, headers)


def now_header(state: MockState) -> tuple[str, str]:
    """``X-Moonkey-Mock-Now``: the fake's now, on every answer of either server (made here only)."""
    return NOW_HEADER, f"{state.now():.3f}"


def render(reply: Reply) -> Response:
    """A JSON response; a stored value that is not valid Unicode is escaped, never a crash."""
    return _response(reply, answer_bytes(reply.body))


def _response(reply: Reply, data: bytes) -> Response:
    response = Response(data, status=reply.status, mimetype="application/json")
    for name, value in reply.headers.items():
        response.headers[name] = value
    return response


_ORJSON = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
MAX_JSON_DEPTH = 512  # nesting a request body may have (the API's go a few levels deep)
_JSON_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [1 if b in b"[{" else -1 for b in range(256)]  # a bracket's step in depth


def to_json(body: Any) -> bytes:
    """A body's JSON in UTF-8: compact, non-ASCII kept, any other value shown as a string.

    orjson writes it (ten times faster than ``json`` on a verify answer, the same bytes); what
    orjson refuses (a lone surrogate, a non-string key, an integer over 64 bits) goes through
    ``json``, where a lone surrogate becomes its ``\\u`` escape, never a crash.
    """
    try:
        return orjson.dumps(body, default=str, option=_ORJSON)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
        return text.encode("utf-8", "backslashreplace")


def answer_bytes(body: Any) -> bytes:
    """An answer's bytes: its JSON and a newline (a terminal's prompt starts on its own line)."""
    return to_json(body) + b"\n"


def journal(
    state: MockState,
    op: Operation,
    request: Request,
    reply: Reply,
    started: float,
    app_id: str,
    body: Any,
    fired: Fired | None,
    data: bytes | None = None,
) -> None:
    """Record an answered API call (``data``: the answer's JSON, when already encoded)."""
    payload = reply.body
    state.journal.record(
        at=state.now(),
        app_id=app_id,
        method=request.method,
        path=request.path,
        operation_id=op.operation_id,
        status=reply.status,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        injected=fired is not None,
        error_type=payload.get("error_type", "") if isinstance(payload, dict) else "",
        query=redact_query(dict(request.args)),
        body=body,
        body_json=None if body is None else to_json(body),
        response=payload,
        response_json=data,
        fault_id=fired.rule_id if fired else "",
        fault_action=fired.action if fired else "",
    )


# --- what the request says about itself --------------------------------------------------


def base_url(state: MockState, request: Request) -> str:
    """The fake's own base URL: the Host header only when it names an allowed host.

    An untrusted ``Host`` never becomes part of a URL the fake hands out (OAuth redirects).
    """
    env = request.environ
    host = env.get("HTTP_HOST", "")
    if not host or not state.config.host_allowed(host):
        name = env.get("SERVER_NAME", "localhost")
        host = f"[{name}]" if ":" in name else name
        host = f"{host}:{env.get('SERVER_PORT', '80')}"
    return f"{env['wsgi.url_scheme']}://{host}/"


class _FaultView:
    """The current request as fault rules see it; each part is read only when a rule asks."""

    def __init__(
        self, state: MockState, op: Operation, request: Request, params: Mapping[str, str]
    ) -> None:
        self.state, self.op, self.request, self.params = state, op, request, params

    @property
    def operation_id(self) -> str:
        return self.op.operation_id

    @property
    def path(self) -> str:
        return self.request.path

    @cached_property
    def app_id(self) -> str:
        """The app the request's credential names ("" when none): no errors, no auth."""
        scheme, _, value = self.request.headers.get("Authorization", "").strip().partition(" ")
        key = value.strip() if scheme.lower() == "bearer" else ""
        args = self.request.args
        key = key or args.get("api_key", "") or args.get("public_token", "")
        store = self.state.store
        app = (store.app_by_secret_key(key) or store.app_by_public_token(key)) if key else None
        return app.app_id if app is not None else ""

    @cached_property
    def body(self) -> Any:
        if self.op.body_pointer is None:
            return None
        try:
            return self.request.get_json(force=True, silent=True)
        except Exception:  # noqa: BLE001 - too large, bad encoding: treated as no body
            return None

    def value(self, name: str) -> Any:
        node: Any = self.body
        for part in name.split("."):
            node = node.get(part, MISSING) if isinstance(node, dict) else MISSING
        if node is not MISSING:
            return node
        if name in self.params:
            return self.params[name]
        return self.request.args.get(name, MISSING)
