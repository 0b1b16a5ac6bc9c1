"""Outbox, journal, clock and fault rules kept in a durable store: every process sees the same.

Two ``moonkey-mock serve`` processes on one Redis (or ``--workers`` on one SQLite file) must
behave as one fake: a passcode sent by one is listed by the other's ``/_mock/outbox``, and time
travel asked of one moves the other's clock. :class:`SharedOutbox` and :class:`SharedClock`
keep the same interfaces as :class:`~mock_server.outbox.Outbox` and
:class:`~mock_server.clock.ControllableClock` and store their state through the store's backend
(outside any app's records, so resetting an app's records leaves them to their own controls).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import orjson

from mock_server.clock import Clock, ControllableClock, _aware
from mock_server.faults import (
    Chance,
    Delay,
    Drop,
    FaultCall,
    Faults,
    Fired,
    Hang,
    Json,
    RateLimit,
    Respond,
    Rule,
    Target,
)
from mock_server.journal import ENTRY_OVERHEAD, Entry, Journal, bounded, unpack
from mock_server.outbox import Message, Outbox
from mock_server.store.codec import decode, encode
from mock_server.store.kv import APP, APPS_VERSION, GLOBAL, META, Backend

R = TypeVar("R")
P = ParamSpec("P")

CLOCK = "clock"
SEQUENCE = "outbox_seq"
POLL_SECONDS = 0.02  # how often a waiting outbox reader looks for another process's messages


def _one_change(method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """The method as one change of its ``_backend`` (:meth:`Backend.run`): part of the running
    one, else its own, run again whole on Redis when another process came between (V23)."""

    @functools.wraps(method)
    def change(shared: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return cast(R, shared._backend.run(lambda: method(shared, *args, **kwargs)))

    return change


def _box(app_id: str) -> str:
    return "outbox:" + app_id


class SharedOutbox(Outbox):
    """The outbox in the store: messages by app, numbered in one sequence across processes."""

    def __init__(self, backend: Backend, size: int = 10_000) -> None:
        super().__init__(size)
        self._backend = backend

    def add(self, message: Message) -> None:
        """Record a message (trimming the app's oldest beyond ``size``) and wake waiters, once
        the running change commits: a change run again sends its message once (V23)."""
        self._backend.after_commit(lambda: self._add(message))

    def _add(self, message: Message) -> None:
        b, box = self._backend, _box(message.app_id)
        seq = b.incr(SEQUENCE)
        with b.batch():  # a trim racing another process's is harmless
            b.put(box, "message", f"{seq:015d}", encode(message))
            over = b.count(box, "message") - self.size
            for key in b.first_keys(box, "message", over) if over > 0 else ():
                b.pop(box, "message", key)
        with self._changed:
            self._changed.notify_all()
        for listener in self.listeners:
            listener(message)

    def _numbered(self, app_id: str) -> list[tuple[str, Message]]:
        b = self._backend
        keys = b.keys(_box(app_id), "message")
        values = b.values(_box(app_id), "message")
        return [(k, decode(Message, v)) for k, v in zip(keys, values, strict=False)]

    def messages(
        self, app_id: str | None = None, to: str | None = None, kind: str | None = None
    ) -> list[Message]:
        """Messages matching the filters, newest first (``to`` is case-insensitive)."""
        wanted = to.strip().lower() if to else None
        chosen = [app_id] if app_id is not None else self._backend.keys(GLOBAL, APP)
        numbered = sorted(item for a in chosen for item in self._numbered(a))
        return [
            m
            for _, m in reversed(numbered)
            if (wanted is None or m.to.lower() == wanted) and (kind is None or m.kind == kind)
        ]

    def wait(
        self,
        app_id: str | None,
        to: str | None,
        *,
        timeout: float,
        newer_than: int = 0,
        kind: str | None = None,
    ) -> list[Message]:
        """Block up to ``timeout`` real seconds until more than ``newer_than`` messages match.

        Another process's message wakes no condition here: the store is looked at again every
        :data:`POLL_SECONDS`.
        """
        remaining = int(timeout / POLL_SECONDS) + 1
        with self._changed:
            self._waiting += 1
            self._changed.notify_all()
        try:
            # The condition is never held while the store is read: a writer holds the store's
            # transaction while it notifies.
            while remaining and len(self.messages(app_id, to, kind)) <= newer_than:
                with self._changed:
                    self._changed.wait(POLL_SECONDS)
                remaining -= 1
        finally:
            with self._changed:
                self._waiting -= 1
        return self.messages(app_id, to, kind)

    @_one_change
    def clear(self, app_id: str | None = None) -> None:
        """Forget all messages, or one app's."""
        b = self._backend
        with b.transaction():
            for chosen in [app_id] if app_id is not None else b.keys(GLOBAL, APP):
                b.clear(_box(chosen))


FAULTS_VERSION = "faults_version"


class MetaView:
    """The store's meta values every request reads (the clock, the fault rules' version).

    Outside :meth:`pinned` each read is a lookup in the store. Inside it (one request, on one
    thread) they are read together once, at the start, and a change this thread makes is
    seen at once: the request sees the fake as it stood when it began, whichever process
    changed it last (decision V1).
    """

    NAMES = (CLOCK, FAULTS_VERSION, APPS_VERSION)

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        # The pinned values of this thread's request, or of this call on the loop (V21).
        self._values: ContextVar[dict[str, str | None] | None] = ContextVar(
            "meta_pinned", default=None
        )

    @contextmanager
    def _pin(self) -> Iterator[object]:
        if self._values.get() is not None:
            yield self
            return
        found = self._backend.get_many(GLOBAL, META, list(self.NAMES))
        token = self._values.set(dict(zip(self.NAMES, found, strict=True)))
        try:
            yield self
        finally:
            self._values.reset(token)

    def pinned(self) -> AbstractContextManager[object]:
        """Read the values once for the block (re-entrant)."""
        return self._pin()

    def get(self, name: str) -> str | None:
        """A meta value: the pinned one inside :meth:`pinned`, else the store's."""
        values = self._values.get()
        if values is not None and name in values:
            found: str | None = values[name]
            return found
        return self._backend.get(GLOBAL, META, name)

    def put(self, backend: Backend, name: str, value: str) -> None:
        """Store a meta value through ``backend`` (the writer's own); the pinned one follows."""
        backend.put(GLOBAL, META, name, value)
        values = self._values.get()
        if values is not None:
            values[name] = value


_Reading = tuple[_dt.timedelta, _dt.datetime | None]  # the clock's offset and frozen instant


class SharedClock(ControllableClock):
    """A controllable clock whose offset and frozen instant live in the store.

    Reading the time reads them (one lookup, or none inside :meth:`pinned`: once a request);
    a change is made inside the store's transaction on values read afresh, so two processes'
    advances add up and a range check holds across both.
    """

    def __init__(self, backend: Backend, source: Clock | None = None) -> None:
        super().__init__(source)
        self._backend = backend
        self.view = MetaView(backend)
        self._changing: ContextVar[bool] = ContextVar("clock_changing", default=False)
        self._parsed: tuple[str | None, _Reading] = (None, (_dt.timedelta(0), None))

    def pinned(self) -> AbstractContextManager[object]:
        """One request's reads of the clock (and of the fault rules' version): one lookup."""
        return self.view.pinned()

    def now(self) -> _dt.datetime:
        """The fake's current instant, as every process sharing the store sees it."""
        if self._changing.get():
            return super().now()
        offset, frozen = self._read()
        if frozen is not None:
            return frozen
        return _aware(self._source.now()) + offset

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._read()[1] is not None

    def _read(self, *, fresh: bool = False) -> tuple[_dt.timedelta, _dt.datetime | None]:
        raw = self._backend.get(GLOBAL, META, CLOCK) if fresh else self.view.get(CLOCK)
        parsed = self._parsed
        if parsed[0] == raw:  # a request reads the clock five times: parsed once while it stands
            return parsed[1]
        if raw is None:
            found: _Reading = (_dt.timedelta(0), None)
        else:
            saved = json.loads(raw)
            frozen = saved["frozen_at"]
            at = None if frozen is None else _dt.datetime.fromtimestamp(frozen, _dt.UTC)
            found = (_dt.timedelta(seconds=saved["offset"]), at)
        self._parsed = (raw, found)
        return found

    @contextmanager
    def _change(self) -> Iterator[None]:
        with self._backend.transaction():
            self._offset, self._frozen_at = self._read(fresh=True)
            changing = self._changing.set(True)
            try:
                yield
            finally:
                self._changing.reset(changing)
                frozen = None if self._frozen_at is None else self._frozen_at.timestamp()
                saved = {"offset": self._offset.total_seconds(), "frozen_at": frozen}
                self.view.put(self._backend, CLOCK, json.dumps(saved))

    @_one_change
    def shift(
        self, delta: _dt.timedelta, *, within: tuple[_dt.datetime, _dt.datetime] | None = None
    ) -> _dt.datetime:
        """Move the clock by ``delta`` for every process."""
        with self._change():
            return super().shift(delta, within=within)

    @_one_change
    def move_to(self, when: _dt.datetime, *, freeze: bool | None = None) -> _dt.datetime:
        """Jump to ``when`` for every process."""
        with self._change():
            return super().move_to(when, freeze=freeze)

    @_one_change
    def freeze(self) -> _dt.datetime:
        """Stop the clock for every process."""
        with self._change():
            return super().freeze()

    @_one_change
    def unfreeze(self) -> _dt.datetime:
        """Let the clock run again for every process."""
        with self._change():
            return super().unfreeze()

    @_one_change
    def reset(self) -> _dt.datetime:
        """Back to the source's time, running, for every process."""
        with self._change():
            return super().reset()


FAULT, FAULT_COUNTERS = "fault", "fault_counters"
_ACTIONS: dict[str, type[Any]] = {
    "error": Respond,
    "delay": Delay,
    "drop": Drop,
    "hang": Hang,
    "rate_limit": RateLimit,
}


def _rule_text(rule: Rule) -> str:
    target = dataclasses.asdict(rule.target)
    ids = rule.target.operation_ids
    target["operation_ids"] = None if ids is None else sorted(ids)
    return json.dumps(
        {
            "id": rule.id,
            "app_id": rule.app_id,
            "action": {"name": rule.action.name, **dataclasses.asdict(rule.action)},
            "target": target,
            "match": rule.match,
            "times": rule.times,
            "probability": rule.probability,
            "created_at": rule.created_at,
        }
    )


def _rule_from(text: str) -> Rule:
    raw = json.loads(text)
    fields = dict(raw["action"])
    action = _ACTIONS[fields.pop("name")](**fields)
    target = dict(raw["target"])
    ids = target["operation_ids"]
    target["operation_ids"] = None if ids is None else frozenset(ids)
    return Rule(
        id=raw["id"],
        app_id=raw["app_id"],
        action=action,
        target=Target(**target),
        match=raw["match"],
        times=raw["times"],
        probability=raw["probability"],
        created_at=raw["created_at"],
    )


def _counters(rule: Rule) -> str:
    return json.dumps({"remaining": rule.remaining, "fired": rule.fired, "hits": list(rule.hits)})


class SharedFaults(Faults):
    """Fault rules and their counters in the store: a rule added through one process fires in
    every process, and ``times``, ``fired`` and rate-limit windows are counted across all of
    them (each firing is decided inside the store's transaction).

    Held calls stay per process: the ``max_held`` bound counts this process's threads, and
    removing a rule releases the calls it holds here at once, elsewhere at their next look.
    """

    def __init__(self, backend: Backend, max_held: int, view: MetaView | None = None) -> None:
        self._rules: tuple[Rule, ...] = ()
        self._backend = backend
        self._view = view or MetaView(backend)
        self._known: dict[str, Rule] = {}  # this process's Rule objects (their events, holds)
        self._version: str | None = None
        super().__init__(max_held)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The active rules, as the store lists them (the pipeline's "is a rule armed?")."""
        if not self._lock.locked():  # never read the store under the rules' lock
            self._sync()
        return self._rules

    @rules.setter
    def rules(self, rules: tuple[Rule, ...]) -> None:
        self._rules = rules

    def _known_here(self) -> tuple[Rule, ...]:
        return (*self._rules, *self._known.values())

    def _bump(self) -> None:
        self._view.put(self._backend, FAULTS_VERSION, secrets.token_hex(8))

    def _sync(self) -> None:
        """Take the store's rule list when another process changed it."""
        version = self._view.get(FAULTS_VERSION)
        if version == self._version:
            return
        rules = []
        for text in self._backend.values(GLOBAL, FAULT):
            rule = _rule_from(text)
            rules.append(self._known.setdefault(rule.id, rule))
        listed = {r.id for r in rules}
        for rule_id in [k for k in self._known if k not in listed]:
            self._known.pop(rule_id).released.set()
        self._rules = tuple(rules)
        self._version = version

    def _load_counters(self, rule: Rule) -> None:
        raw = self._backend.get(GLOBAL, FAULT_COUNTERS, rule.id)
        if raw is not None:
            saved = json.loads(raw)
            rule.remaining, rule.fired = saved["remaining"], saved["fired"]
            rule.hits = deque(saved["hits"])

    @_one_change
    def add(self, rule: Rule) -> Rule:
        """Activate ``rule`` for every process."""
        with self._backend.transaction():
            self._backend.put(GLOBAL, FAULT, rule.id, _rule_text(rule))
            self._backend.put(GLOBAL, FAULT_COUNTERS, rule.id, _counters(rule))
            self._bump()
        self._known[rule.id] = rule
        self._sync()
        return rule

    @_one_change
    def remove(self, rule_id: str) -> Rule | None:
        """Deactivate one rule everywhere; None when unknown."""
        with self._backend.transaction():
            self._sync()
            found = self._known.get(rule_id)
            if found is not None:
                self._load_counters(found)
            text = self._backend.pop(GLOBAL, FAULT, rule_id)
            self._backend.pop(GLOBAL, FAULT_COUNTERS, rule_id)
            self._bump()
        self._sync()
        if text is None:
            return None
        return found if found is not None else _rule_from(text)

    @_one_change
    def clear(self, app_id: str | None = None) -> int:
        """Remove every rule (or one app's) everywhere; the count removed."""
        with self._backend.transaction():
            self._sync()
            gone = [r.id for r in self.rules if app_id is None or r.app_id == app_id]
            for rule_id in gone:
                self._backend.pop(GLOBAL, FAULT, rule_id)
                self._backend.pop(GLOBAL, FAULT_COUNTERS, rule_id)
            self._bump()
        self._sync()
        super().clear(app_id)  # releases calls held here by rules already spent
        return len(gone)

    @_one_change
    def views(self, app_id: str | None = None) -> list[Json]:
        """The rules (or one app's) as JSON, with the counters every process shares."""
        with self._backend.transaction():
            self._sync()
            for rule in self.rules:
                self._load_counters(rule)
            return super().views(app_id)

    def fire(self, call: FaultCall, now: Callable[[], float], rng: Chance) -> Fired | None:
        """Apply the store's rules to ``call``."""
        self._sync()
        return super().fire(call, now, rng)

    @_one_change
    def _decide(self, rule: Rule, now: Callable[[], float], rng: Chance) -> float | None:
        """Decide inside the store's transaction on the shared counters, then save them."""
        with self._backend.transaction():
            if self._backend.get(GLOBAL, FAULT, rule.id) is None:
                return None  # removed by another process since this one last looked
            self._load_counters(rule)
            decided = super()._decide(rule, now, rng)
            if rule.remaining == 0:
                self._backend.pop(GLOBAL, FAULT, rule.id)
                self._backend.pop(GLOBAL, FAULT_COUNTERS, rule.id)
                self._bump()
            else:
                self._backend.put(GLOBAL, FAULT_COUNTERS, rule.id, _counters(rule))
            return decided


JOURNAL_SEQUENCE = "journal_seq"
_SEQ_HEAD = '{"seq":'


def _log(app_id: str) -> str:
    return "journal:" + app_id


def _spliced(stored: Any) -> Any:
    """A bounded body as orjson writes it into an entry: its JSON bytes as they are (decoding
    and encoding them again was a tenth of a verify on a shared store), a preview as a value."""
    return orjson.Fragment(stored) if isinstance(stored, bytes) else stored


class SharedJournal(Journal):
    """The request journal in the store: every process's calls, numbered in one sequence.

    Bounded by ``size`` entries per app (bodies as previews, as in memory); the global byte
    bound of the in-memory journal does not apply (the store holds the entries, not the heap).
    """

    def __init__(self, backend: Backend, size: int = 10_000) -> None:
        super().__init__(size)
        self._backend = backend

    def record(
        self,
        *,
        body: Any = None,
        response: Any = None,
        body_json: bytes | None = None,
        response_json: bytes | None = None,
        **values: Any,
    ) -> Entry:
        """Append an entry (``seq`` from the store's counter; bodies are bounded).

        The store keeps the bodies as JSON values (a preview when large), not as bytes.
        """
        body, body_size = bounded(body, encoded=body_json)
        response, response_size = bounded(response, encoded=response_json)
        size = ENTRY_OVERHEAD + body_size + response_size
        entry = Entry(seq=0, packed_body=body, packed_response=response, size=size, **values)
        # One round trip: the store numbers the entry, files it and trims the app's oldest.
        try:  # orjson, the bodies' JSON spliced in as it is (read back by json.loads)
            spliced = Entry(
                seq=0,
                packed_body=_spliced(body),
                packed_response=_spliced(response),
                size=size,
                **values,
            )
            text = orjson.dumps(spliced).decode()
        except TypeError:  # a lone surrogate, a key that is not text: the codec's ASCII form
            text = encode(
                dataclasses.replace(
                    entry, packed_body=unpack(body), packed_response=unpack(response)
                )
            )
        if not text.startswith(_SEQ_HEAD + "0,"):
            raise ValueError("a journal entry's JSON must start with its seq")
        head, tail = _SEQ_HEAD, text[len(_SEQ_HEAD) + 1 :]
        seq = self._backend.append(
            _log(entry.app_id), "entry", JOURNAL_SEQUENCE, head, tail, self.size
        )
        return dataclasses.replace(entry, seq=seq)

    @property
    def bytes(self) -> int:
        """What the entries hold, roughly, in bytes (read from the store)."""
        return sum(e.size for e in self.entries())

    def entries(
        self,
        *,
        app_id: str | None = None,
        operation_id: str | None = None,
        status: int | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[Entry]:
        """Matching entries of every process, oldest first."""
        chosen = [app_id] if app_id is not None else self._known_logs()
        newest = -self.size  # a store may hold a few more than the size until it trims (V15)
        found = [
            decode(Entry, raw)
            for a in chosen
            for raw in self._backend.values(_log(a), "entry")[newest:]
        ]
        return [
            e
            for e in sorted(found, key=lambda e: e.seq)
            if (operation_id is None or e.operation_id == operation_id)
            and (status is None or e.status == status)
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
        ]

    def _known_logs(self) -> list[str]:
        return ["", *self._backend.keys(GLOBAL, APP)]  # "": calls no app was found for

    @_one_change
    def clear(self, app_id: str | None = None) -> None:
        """Drop all entries, or one app's."""
        with self._backend.transaction():
            for chosen in [app_id] if app_id is not None else self._known_logs():
                self._backend.clear(_log(chosen))
