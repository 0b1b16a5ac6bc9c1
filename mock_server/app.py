"""``create_app``: the only place the fake is wired together."""

from __future__ import annotations

from typing import Any

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
from .shared import MetaView, SharedClock, SharedFaults, SharedJournal, SharedOutbox
from .spec import load_spec
from .state import MockState
from .store import Store, open_store
from .store.kv import Backend, KvStore
from .tokens import KeySet
from .validation import validators_for

EXTENSION = "moonkey_mock"
SIGNING_KEYS = "signing_keys"


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
        store: the state store (default: the one ``config.store`` names, opened here).
        ids: id source (default: seeded from ``config.random_seed``).
        spec_path: another OpenAPI document (tests of the routing layer).
    """
    config = config or MockConfig.from_env()
    store = store or open_store(config.store, config.threads)
    backend = store.backend if isinstance(store, KvStore) else None  # a shared store
    clock = clock or (SharedClock(backend) if backend else ControllableClock())
    seed = read_seed(config.seed_file) if config.seed_file else None
    seed_value = (seed or {}).get("random_seed")  # the command line's seed wins
    given_ids = ids
    seed_text = config.random_seed if config.random_seed is not None else seed_value
    ids = ids or Ids(seed_text)
    spec = load_spec(spec_path)
    view = clock.view if isinstance(clock, SharedClock) else None
    outbox, journal, faults = _shared_parts(config, backend, view)
    if isinstance(store, KvStore) and view is not None:
        store.pin_to(view)  # apps remembered while the store's apps version stays (V5)
    # A durable store that already holds the default app is a restart: its state wins.
    fresh = store.get_app(config.app_id) is None
    state = MockState(
        config=config,
        clock=clock,
        store=store,
        ids=ids,
        keys=_keys(store, ids, clock, config),
        outbox=outbox,
        journal=journal,
        faults=faults,
        spec=spec,
        validators=validators_for(spec),
        seed=seed,
    )
    if fresh:
        state.store.put_app(default_app(config, state.now_ts()))
    else:
        if given_ids is None and seed_text is not None:
            # Each start on a stored state (a restart, or one of --workers) draws its own
            # sequence: the same seeded ids again would overwrite stored sessions.
            with store.atomic():
                starts = int(store.get_meta("starts") or 0) + 1
                store.put_meta("starts", str(starts))
            ids.reseed(f"{seed_text}#{starts}")
        state.seed = None  # not applied again over the stored state (install reads it)
    app = Flask("moonkey_mock")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = state
    add_routes(app, state, api_plane(state))
    install_control(app, state)  # /_mock/ (when enabled), fault drops, the seed file
    state.seed = seed  # a full reset applies it again
    install_index(app, state)  # GET /, /_mock/, /openapi.yaml, /README.md
    app.register_blueprint(idp_blueprint(state))  # fake OAuth provider: not under /_mock/
    _add_error_handlers(app, state)
    allow.install(app)  # Allow lists the matched path's methods only

    @app.after_request
    def stamp_now(response: Response) -> Response:
        response.headers[NOW_HEADER] = f"{state.now():.3f}"
        return response

    inner = app.wsgi_app

    def pinned_wsgi(environ: Any, start_response: Any) -> Any:
        with state.clock.pinned():  # the clock read once for the view and the header (V1)
            return inner(environ, start_response)

    app.wsgi_app = pinned_wsgi  # type: ignore[method-assign]
    return app


def _shared_parts(
    config: MockConfig, backend: Backend | None, view: MetaView | None
) -> tuple[Outbox, Journal, Faults]:
    """The outbox, journal and fault rules: in the store when it is shared, else in memory."""
    if backend is None:
        return Outbox(config.outbox_size), Journal(config.journal_size), Faults(config.held_limit)
    return (
        SharedOutbox(backend, config.outbox_size),
        SharedJournal(backend, config.journal_size),
        SharedFaults(backend, config.held_limit, view),
    )


def _keys(store: Store, ids: Ids, clock: ControllableClock, config: MockConfig) -> KeySet:
    """The signing keys: the store's when it has them (JWTs outlive a restart), else new ones.

    A durable store keeps them (one winner when several processes start at once) and is told
    of every rotation.
    """
    saved = store.get_meta(SIGNING_KEYS)
    if saved is None:
        keys = KeySet(ids, clock.now(), config.signing_key_file)
        if not store.durable:
            return keys
        saved = store.init_meta(SIGNING_KEYS, keys.export())
    keys = KeySet.restore(ids, saved)
    keys.listeners.append(lambda changed: store.put_meta(SIGNING_KEYS, changed.export()))
    keys.refresh = lambda: store.get_meta(SIGNING_KEYS)  # another process may have rotated
    return keys


def state_of(app: Flask) -> MockState:
    """The :class:`MockState` of an app built by :func:`create_app`."""
    state: MockState = app.extensions[EXTENSION]
    return state


def _add_error_handlers(app: Flask, state: MockState) -> None:
    """Unmatched routes, wrong methods and crashes outside a view: the one error path."""

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        return render(error_reply(state, error))
