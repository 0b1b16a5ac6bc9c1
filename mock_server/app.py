"""``create_app``: the only place the fake is wired together (``build_state`` plus Flask)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from . import allow
from .build import build_state
from .clock import ControllableClock
from .config import MockConfig
from .control.routes import control_plane
from .control.routes import install as install_control
from .idp import blueprint as idp_blueprint
from .ids import Ids
from .index import install as install_index
from .pipeline import add_routes, api_plane, error_reply, now_header, render
from .router import Router
from .state import MockState
from .store import Store

EXTENSION = "moonkey_mock"
ROUTER = "moonkey_mock_router"


def create_app(
    config: MockConfig | None = None,
    *,
    clock: ControllableClock | None = None,
    store: Store | None = None,
    ids: Ids | None = None,
    spec_path: str | None = None,
) -> Flask:
    """Build a fake: a Flask app whose state is ``app.extensions["moonkey_mock"]``.

    The arguments are :func:`~mock_server.build.build_state`'s.
    """
    state = build_state(config, clock=clock, store=store, ids=ids, spec_path=spec_path)
    planes = [api_plane(state)]
    if state.config.control_enabled:
        planes.append(control_plane(state))
    router = Router(planes)  # the API's and the control API's operations, built once
    app = Flask("moonkey_mock")
    app.config["MAX_CONTENT_LENGTH"] = state.config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = state
    app.extensions[ROUTER] = router
    add_routes(app, state, router)
    install_control(app, state)  # the dashboard, the passkey page, fault drops
    install_index(app, state)  # GET /, /_mock/, /openapi.yaml, /README.md
    app.register_blueprint(idp_blueprint(state))  # fake OAuth provider: not under /_mock/
    _add_error_handlers(app, state)
    allow.install(app, router)  # Allow lists the matched path's methods only

    @app.after_request
    def stamp_now(response: Response) -> Response:
        name, value = now_header(state)
        response.headers[name] = value
        return response

    inner = app.wsgi_app

    def pinned_wsgi(environ: Any, start_response: Any) -> Any:
        with state.clock.pinned():  # the clock read once for the view and the header (V1)
            return inner(environ, start_response)

    app.wsgi_app = pinned_wsgi  # type: ignore[method-assign]
    return app


def state_of(app: Flask) -> MockState:
    """The :class:`MockState` of an app built by :func:`create_app`."""
    state: MockState = app.extensions[EXTENSION]
    return state


def router_of(app: Flask) -> Router:
    """The :class:`~mock_server.router.Router` of an app built by :func:`create_app`."""
    router: Router = app.extensions[ROUTER]
    return router


def _add_error_handlers(app: Flask, state: MockState) -> None:
    """Unmatched routes, wrong methods and crashes outside a view: the one error path."""

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        return render(error_reply(state, error))
