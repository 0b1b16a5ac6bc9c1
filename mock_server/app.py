"""``create_app``: the only place the fake is wired together."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import allow
from .clock import ControllableClock
from .config import MockConfig
from .control.routes import install as install_control
from .control.routes import read_seed
from .errors import ApiError, InternalError, MethodNotAllowed, NotFound, RequestTooLarge, envelope
from .idp import blueprint as idp_blueprint
from .ids import Ids
from .journal import Journal
from .models import App
from .outbox import Outbox
from .pipeline import NOW_HEADER, add_routes, render
from .spec import load_spec
from .state import MockState
from .store import InMemoryStore, Store
from .tokens import KeySet
from .validation import Validators

EXTENSION = "moonkey_mock"


def create_app(
    config: MockConfig | None = None,
    *,
    clock: ControllableClock | None = None,
    store: Store | None = None,
    ids: Ids | None = None,
    spec_path: str | None = None,
) -> Flask:
    """Build a fake: a Flask app whose state is ``app.extensions["moonkey_mock"]``.

    Args:
        config: settings (default: from ``MOONKEY_MOCK_*`` variables).
        clock: the one clock (default: a controllable clock over real time).
        store: the state store (default: a fresh in-memory store).
        ids: id source (default: seeded from ``config.random_seed``).
        spec_path: another OpenAPI document (tests of the routing layer).
    """
    config = config or MockConfig.from_env()
    clock = clock or ControllableClock()
    seed = read_seed(config.seed_file) if config.seed_file else None
    seed_value = (seed or {}).get("random_seed")  # the command line's seed wins
    ids = ids or Ids(config.random_seed if config.random_seed is not None else seed_value)
    spec = load_spec(spec_path)
    state = MockState(
        config=config,
        clock=clock,
        store=store or InMemoryStore(),
        ids=ids,
        keys=KeySet(ids, clock.now(), config.signing_key_file),
        outbox=Outbox(config.outbox_size),
        journal=Journal(config.journal_size),
        spec=spec,
        validators=Validators(spec),
        seed=seed,
    )
    state.store.put_app(default_app(config, state.now_ts()))
    app = Flask("moonkey_mock")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = state
    add_routes(app, state)
    install_control(app, state)  # /_mock/ (when enabled), fault drops, the seed file
    app.register_blueprint(idp_blueprint(state))  # fake OAuth provider: not under /_mock/
    _add_error_handlers(app, state)
    allow.install(app)  # Allow lists the matched path's methods only

    @app.after_request
    def stamp_now(response: Response) -> Response:
        response.headers[NOW_HEADER] = f"{state.now():.3f}"
        return response

    return app


def state_of(app: Flask) -> MockState:
    """The :class:`MockState` of an app built by :func:`create_app`."""
    state: MockState = app.extensions[EXTENSION]
    return state


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


def _add_error_handlers(app: Flask, state: MockState) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        api: ApiError
        headers: dict[str, str] = {}
        if error.code == 404:
            api = NotFound(f"No endpoint {request.method} {request.path}")
        elif error.code == 405:
            allowed = error.valid_methods if hasattr(error, "valid_methods") else None
            api = MethodNotAllowed(f"{request.method} is not allowed on {request.path}")
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        elif error.code == 413:
            api = RequestTooLarge()
        else:
            code = error.code or 500
            return render(code, envelope(code, _slug(error.name), error.description or ""))
        return render(api.status, api.body(), headers)

    @app.errorhandler(Exception)
    def crash(error: Exception) -> Response:
        state.record_crash(error)
        return render(500, InternalError().body())


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_")
