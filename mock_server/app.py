"""``create_app``: the only place the fake is wired together."""

from __future__ import annotations

from flask import Flask, Response

from . import allow
from .clock import ControllableClock
from .config import MockConfig
from .control.apps import default_app
from .control.routes import install as install_control
from .control.routes import read_seed
from .faults import Faults
from .idp import blueprint as idp_blueprint
from .ids import Ids
from .index import install as install_index
from .journal import Journal
from .outbox import Outbox
from .pipeline import NOW_HEADER, add_routes, api_plane, error_reply, render
from .spec import load_spec
from .state import MockState
from .store import InMemoryStore, Store
from .tokens import KeySet
from .validation import validators_for

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
        faults=Faults(config.held_limit),
        spec=spec,
        validators=validators_for(spec),
        seed=seed,
    )
    state.store.put_app(default_app(config, state.now_ts()))
    app = Flask("moonkey_mock")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = state
    add_routes(app, state, api_plane(state))
    install_control(app, state)  # /_mock/ (when enabled), fault drops, the seed file
    install_index(app, state)  # GET /, /_mock/, /openapi.yaml, /README.md
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


def _add_error_handlers(app: Flask, state: MockState) -> None:
    """Unmatched routes, wrong methods and crashes outside a view: the one error path."""

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        return render(error_reply(state, error))
