"""Fault injection: a pure rule engine, checked against each MoonKey API call before it runs.

A :class:`Rule` picks calls (operations, a concrete path, an app, request values) and carries
one typed action: :class:`Respond` (an error answer in the envelope), :class:`Delay` (extra
latency), :class:`Drop` (the connection closes with no answer), :class:`Hang` (a wait, then a
drop) or :class:`RateLimit` (a sliding window counted on the fake's clock). Rules fire
``times`` times (or until cleared), with a seeded probability.

This module reads no request and knows no web server: the pipeline hands it a
:class:`FaultCall` (what the rules may ask of the request) and turns the :class:`Fired` outcome
into an answer; the servers (:mod:`mock_server.drops`) turn a drop into a closed socket.

Calls held by a delay or a hang are bounded (:attr:`Faults.max_held`): past the bound a call
that would wait answers 503 at once, so held calls can never take every server thread from the
control API. Removing or clearing rules releases every call they hold, including calls held by
a rule that has fired its last time and is no longer listed.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

from .errors import envelope

Json = dict[str, Any]
ANY_APP = "*"
DEFAULT_STATUS = 503
DEFAULT_HANG_SECONDS = 30.0
DEFAULT_MAX_HELD = 8
MISSING: Any = object()
# The fake's own codes for the statuses it answers itself; others use the HTTP phrase.
_OWN_TYPES = {
    401: "unauthorized",
    404: "not_found",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Respond:
    """Answer with an error in the envelope (``action: error``)."""

    status: int
    error_type: str
    message: str
    retry_after: int | None = None
    name = "error"


@dataclass(frozen=True)
class Delay:
    """Wait ``low_ms``..``high_ms`` (seeded uniform), then go on (``action: delay``)."""

    low_ms: float
    high_ms: float
    name = "delay"


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer (``action: drop``)."""

    name = "drop"


@dataclass(frozen=True)
class Hang:
    """Wait ``seconds`` (or until released), then drop (``action: hang``)."""

    seconds: float = DEFAULT_HANG_SECONDS
    name = "hang"


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` calls per ``window_seconds``; past it answer 429 (``rate_limit``)."""

    limit: int
    window_seconds: float
    message: str
    status = 429
    error_type = "rate_limited"
    name = "rate_limit"


Action = Respond | Delay | Drop | Hang | RateLimit
HOLDING = (Delay, Hang)


# --- what a rule sees of a call ------------------------------------------------------------


class FaultCall(Protocol):
    """The current request as rules see it (the pipeline reads each part on demand)."""

    @property
    def operation_id(self) -> str:
        """The operation the request resolved to."""

    @property
    def path(self) -> str:
        """The concrete request path."""

    @property
    def app_id(self) -> str:
        """The app the request's credential names ("" when none)."""

    @property
    def body(self) -> Any:
        """The JSON body, parsed leniently (None when absent or unreadable)."""

    def value(self, name: str) -> Any:
        """A body, path or query value by name (:data:`MISSING` when absent)."""


class Chance(Protocol):
    """The seeded randomness rules use."""

    def chance(self, probability: float) -> bool:
        """True with ``probability``."""

    def uniform(self, low: float, high: float) -> float:
        """A number in [low, high]."""


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Which calls a rule picks: operations (None = all), shown id/method, a concrete path."""

    operation_ids: frozenset[str] | None = None
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None


@dataclass(eq=False)
class Rule:
    """One fault rule; the counters change under :class:`Faults`' lock."""

    id: str
    app_id: str
    action: Action
    target: Target = field(default_factory=Target)
    match: dict[str, Any] = field(default_factory=dict)
    times: int | None = None
    probability: float = 1.0
    created_at: float = 0.0
    remaining: int | None = None
    fired: int = 0
    hits: deque[float] = field(default_factory=deque)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.remaining is None:
            self.remaining = self.times

    def selects(self, call: FaultCall) -> bool:
        """Whether this rule applies to ``call``."""
        ids = self.target.operation_ids
        if ids is not None and call.operation_id not in ids:
            return False
        if self.target.path is not None and call.path != self.target.path:
            return False
        if self.app_id != ANY_APP and self.app_id != call.app_id:
            return False
        return all(_same(name, call.value(name), want) for name, want in self.match.items())

    def to_json(self) -> Json:
        """The control API's view of the rule."""
        action = self.action
        respond = action if isinstance(action, Respond | RateLimit) else None
        delay = action if isinstance(action, Delay) else None
        return {
            "id": self.id,
            "app_id": self.app_id,
            "operation_id": self.target.operation_id,
            "method": self.target.method,
            "path": self.target.path,
            "match": dict(self.match),
            "action": action.name,
            "status": respond.status if respond else None,
            "error_type": respond.error_type if respond else None,
            "message": respond.message if respond else None,
            "retry_after": action.retry_after if isinstance(action, Respond) else None,
            "delay_ms": delay.low_ms if delay and delay.low_ms == delay.high_ms else None,
            "delay_range_ms": [delay.low_ms, delay.high_ms]
            if delay and delay.low_ms != delay.high_ms
            else None,
            "hang_seconds": action.seconds if isinstance(action, Hang) else None,
            "limit": action.limit if isinstance(action, RateLimit) else None,
            "window_seconds": action.window_seconds if isinstance(action, RateLimit) else None,
            "times": self.times,
            "remaining": self.remaining,
            "fired": self.fired,
            "probability": self.probability,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Fired:
    """What a rule did to a call. ``final``: the call ends here (error, drop, hang)."""

    rule_id: str
    action: str
    app_id: str
    final: bool
    status: int = 0
    payload: Json | None = None  # None with final: drop the connection
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class Faults:
    """The active rules of one fake, in creation order.

    Args:
        max_held: how many calls delays and hangs may hold at once.
    """

    def __init__(self, max_held: int = DEFAULT_MAX_HELD) -> None:
        self._lock = threading.Lock()
        self._held_changed = threading.Condition(self._lock)
        self.rules: tuple[Rule, ...] = ()
        self.max_held = max_held
        self._held: dict[Rule, int] = {}
        self._stopping = False  # set by release_held: nothing is held from then on

    def add(self, rule: Rule) -> Rule:
        """Activate ``rule``."""
        with self._lock:
            self.rules = (*self.rules, rule)
        return rule

    def remove(self, rule_id: str) -> Rule | None:
        """Deactivate one rule (its delayed and hung calls go on at once); None when unknown."""
        with self._lock:
            found = next((r for r in self.rules if r.id == rule_id), None)
            self.rules = tuple(r for r in self.rules if r is not found)
        if found is not None:
            found.released.set()
        return found

    def clear(self, app_id: str | None = None) -> int:
        """Remove every rule (or one app's) and release every call they hold; the count removed.

        Calls held by a rule that has already fired its last time are released too.
        """
        with self._lock:
            gone = [r for r in self.rules if app_id is None or r.app_id == app_id]
            self.rules = tuple(r for r in self.rules if r not in gone)
            holding = [r for r in self._held if app_id is None or r.app_id == app_id]
        for rule in {*gone, *holding}:
            rule.released.set()
        return len(gone)

    def release_held(self) -> None:
        """At a stop: the calls this process holds, or would hold, go on now.

        The rules stay: other processes on a shared store still apply them (clearing them here
        would disarm every process's faults because one of them stopped).
        """
        with self._lock:
            self._stopping = True
            holding = [*self._known_here(), *self._held]
        for rule in holding:
            rule.released.set()

    def _known_here(self) -> tuple[Rule, ...]:
        """The rules this process has objects for, without asking a store."""
        return self.rules

    @property
    def held(self) -> int:
        """How many calls delays and hangs hold right now."""
        with self._lock:
            return sum(self._held.values())

    def wait_until_held(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` calls are held (real seconds); False on timeout."""
        with self._held_changed:
            return self._held_changed.wait_for(
                lambda: sum(self._held.values()) >= count, timeout=timeout
            )

    def views(self, app_id: str | None = None) -> list[Json]:
        """The rules (or one app's) as JSON, with their counters."""
        with self._lock:
            return [r.to_json() for r in self.rules if app_id is None or r.app_id == app_id]

    def fire(self, call: FaultCall, now: Callable[[], float], rng: Chance) -> Fired | None:
        """Apply the rules to ``call``: wait for delays, decide the outcome (None: no rule)."""
        delayed: Rule | None = None
        for rule in self.rules:
            if not rule.selects(call):
                continue
            amount = self._decide(rule, now, rng)
            if amount is None:
                continue
            action = rule.action
            if isinstance(action, HOLDING):
                if not self._hold(rule, amount if isinstance(action, Delay) else action.seconds):
                    return _over_bound(rule, call, self.max_held)
                if isinstance(action, Delay):
                    delayed = rule
                    continue
            return _outcome(rule, call, amount)
        return None if delayed is None else Fired(delayed.id, "delay", call.app_id, final=False)

    def _hold(self, rule: Rule, seconds: float) -> bool:
        """Wait ``seconds`` (real time) unless released; False when the bound is reached."""
        with self._lock:
            if self._stopping:
                return True  # the server is stopping: no call is held any more
            if sum(self._held.values()) >= self.max_held:
                return False
            self._held[rule] = self._held.get(rule, 0) + 1
            self._held_changed.notify_all()
        try:
            rule.released.wait(seconds)
        finally:
            with self._lock:
                self._held[rule] -= 1
                if not self._held[rule]:
                    del self._held[rule]
        return True

    def _decide(self, rule: Rule, now: Callable[[], float], rng: Chance) -> float | None:
        """Whether ``rule`` fires now (None: no); the delay or Retry-After it brings."""
        action = rule.action
        with self._lock:
            if isinstance(action, RateLimit):
                return _count(rule, action, now())
            if rule.remaining == 0:
                return None
            if rule.probability < 1 and not rng.chance(rule.probability):
                return None
            rule.fired += 1
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules = tuple(r for r in self.rules if r is not rule)
        if isinstance(action, Delay):
            low, high = action.low_ms, action.high_ms
            return (rng.uniform(low, high) if high > low else low) / 1000
        return 0.0


def _count(rule: Rule, action: RateLimit, now: float) -> float | None:
    """Sliding-window count; None while under the limit, else seconds until a slot frees."""
    window, limit = action.window_seconds, action.limit
    while rule.hits and rule.hits[0] <= now - window:
        rule.hits.popleft()
    if len(rule.hits) < limit:
        rule.hits.append(now)
        return None
    rule.fired += 1
    return float(max(1, math.ceil(rule.hits[0] + window - now)))


def _outcome(rule: Rule, call: FaultCall, amount: float) -> Fired:
    action = rule.action
    if isinstance(action, Drop | Hang):
        return Fired(rule.id, action.name, call.app_id, final=True, body=call.body)
    assert isinstance(action, Respond | RateLimit)
    retry = int(amount) if isinstance(action, RateLimit) else action.retry_after
    if retry is None and action.status == 429:
        retry = 1
    headers = {"Retry-After": str(retry)} if retry is not None else {}
    payload = envelope(action.status, action.error_type, action.message)
    return Fired(
        rule.id, action.name, call.app_id, True, action.status, payload, headers, call.body
    )


def _over_bound(rule: Rule, call: FaultCall, bound: int) -> Fired:
    """The answer of a call that a delay or hang would hold past :attr:`Faults.max_held`."""
    message = (
        f"Fault rule {rule.id} would hold this call, but {bound} calls are already held by "
        "delay/hang faults (the bound keeps the control API answering)"
    )
    payload = envelope(503, "service_unavailable", message)
    return Fired(rule.id, rule.action.name, call.app_id, True, 503, payload, {}, call.body)


def _same(name: str, actual: Any, wanted: Any) -> bool:
    """Whether a request value equals a rule's ``match`` value (query values are strings)."""
    if wanted is None:
        return actual is None or actual is MISSING
    if actual is MISSING:
        return False
    if isinstance(actual, str):
        if not isinstance(wanted, str):
            return actual == json.dumps(wanted)
        if "email" in name.lower():
            return actual.strip().lower() == wanted.strip().lower()
        return actual == wanted
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return actual is wanted
    return bool(actual == wanted)


def default_type(status: int) -> str:
    """The ``error_type`` an injected error of ``status`` carries unless told otherwise."""
    if status in _OWN_TYPES:
        return _OWN_TYPES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "injected_error"


def default_message(status: int) -> str:
    """The HTTP reason phrase of ``status``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected error"
