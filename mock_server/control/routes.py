"""The control API under ``/_mock/``: a thin HTTP layer over :class:`.inprocess.Controls`.

Routes come from ``control/openapi.yaml``: one route per operation, each paired with the
function of :mod:`.operations` named after its snake_case operationId (start-up fails on a
mismatch). Requests are validated by that document the way API requests are by
``openapi.yaml``; errors use the same envelope; in strict mode answers are checked against it
too. Control calls are not journaled and faults never touch them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request

from mock_server.call import Raw, Reply
from mock_server.control.document import control_spec, control_validators
from mock_server.control.inprocess import Controls
from mock_server.drops import DropMiddleware
from mock_server.errors import AdminTokenRequired, CrossSiteRequest, HostNotAllowed
from mock_server.pipeline import Inputs, Plane, bearer
from mock_server.router import pair, public_functions
from mock_server.spec import Operation
from mock_server.state import MockState

from . import dashboard, operations
from .operations import ControlCall
from .passkey_page import blueprint as passkey_page

Json = dict[str, Any]
MAX_CONTROL_BODY = 64 * 1024 * 1024  # state imports are larger than API bodies
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def install(app: Flask, state: MockState) -> None:
    """Wire the control side's pages (when enabled) and the drop middleware.

    The ``/_mock/`` operations themselves are routes of the fake's router
    (:func:`control_plane`), added with the API's.
    """
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if state.config.control_enabled:
        app.register_blueprint(passkey_page())  # GET /_mock/passkey: the browser WebAuthn page
        app.register_blueprint(dashboard.blueprint(state))  # the dashboard at /_mock/ui


def control_plane(state: MockState) -> Plane:
    """The ``/_mock/`` routes: ``control/openapi.yaml`` with the handlers below."""
    spec = control_spec()
    return Plane(
        name="control",
        spec=spec,
        validators=control_validators(),
        handlers=pair(spec, public_functions([("", operations)]), lambda op: op.handler_name),
        invoke=_invoke,
        guard=guard,
        authenticate=lambda state, op, request: None,
        max_body=MAX_CONTROL_BODY,
        faults=False,
        journal=False,
    )


def _invoke(state: MockState, handler: Callable[..., Any], inputs: Inputs) -> Reply:
    result = handler(Controls(state), ControlCall(inputs.body, inputs.query, inputs.path))
    if isinstance(result, Raw):
        return Reply(None, raw=result)
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
    if dashboard.admin_cookie_matches(request, token):  # the dashboard's login cookie
        return
    given = bearer(request.headers.get("Authorization", ""), "admin token") or ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise AdminTokenRequired()
