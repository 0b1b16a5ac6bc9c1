"""``build_state``: what one process of the fake owns, built without the web framework."""

from __future__ import annotations

from .clock import ControllableClock
from .config import MockConfig
from .control.apps import default_app
from .control.snapshot import apply_seed, read_seed
from .errors import ApiError
from .faults import Faults
from .ids import Ids
from .journal import Journal
from .outbox import Outbox
from .shared import MetaView, SharedClock, SharedFaults, SharedJournal, SharedOutbox
from .spec import load_spec
from .state import MockState
from .store import Store, open_store
from .store.kv import Backend, KvStore
from .tokens import KeySet
from .validation import validators_for

SIGNING_KEYS = "signing_keys"


def build_state(
    config: MockConfig | None = None,
    *,
    clock: ControllableClock | None = None,
    store: Store | None = None,
    ids: Ids | None = None,
    spec_path: str | None = None,
) -> MockState:
    """What one process of the fake owns: its store, clock, ids, keys, journal, outbox, faults.

    A fresh store gets the default app and the seed file's state; a stored one (a restart, or
    one of ``--workers``) is taken as it is.

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
        if seed is not None:
            try:
                state.store.run(lambda: apply_seed(state, seed))
            except ApiError as error:  # a start-up error, not a traceback
                raise ValueError(f"seed file {config.seed_file}: {error.detail}") from None
    else:
        if given_ids is None and seed_text is not None:
            # Each start on a stored state (a restart, or one of --workers) draws its own
            # sequence: the same seeded ids again would overwrite stored sessions.
            ids.reseed(f"{seed_text}#{store.run(lambda: _count_start(store))}")
    return state


def _count_start(store: Store) -> int:
    """This start's number on a stored state (one change: two starting at once count two)."""
    with store.atomic():
        starts = int(store.get_meta("starts") or 0) + 1
        store.put_meta("starts", str(starts))
    return starts


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
