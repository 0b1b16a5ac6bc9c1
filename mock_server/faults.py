"""Fault injection: rules checked against each MoonKey API call before anything else runs.

A rule picks calls (operation or method + path, app, request values) and says what happens to
them: an error answer in the envelope, extra latency, a dropped connection, a hang then a drop,
or a rate limit counted on the fake's clock. Rules fire ``times`` times (or until cleared), with
a seeded probability. With no rule the routing layer skips this module entirely (one attribute
check per call).

A dropped connection is made at the WSGI layer by :class:`DropMiddleware`: under waitress the
socket is closed without a byte of response (``requests`` raises ``ConnectionError``); under
Flask's test client the call raises :class:`ConnectionDropped`.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from flask import request
from waitress.channel import ClientDisconnected

from .errors import envelope
from .spec import Operation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .state import MockState

Json = dict[str, Any]
ANY_APP = "*"
DROP_KEY = "moonkey_mock.drop"
DEFAULT_STATUS = 503
DEFAULT_HANG_SECONDS = 30.0
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
_MISSING = object()


class ConnectionDropped(ClientDisconnected, ConnectionResetError):
    """Raised at the WSGI layer to drop a connection.

    Waitress treats it as a client disconnect (it closes the socket and writes nothing); Flask's
    test client lets it propagate to the test as a ``ConnectionError``.
    """


@dataclass(eq=False)
class Rule:
    """One fault rule; the counters change under :class:`Faults`' lock."""

    id: str
    app_id: str
    action: str
    operation_ids: frozenset[str] | None
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    match: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    error_type: str | None = None
    message: str | None = None
    retry_after: int | None = None
    delay_ms: float | None = None
    delay_range_ms: tuple[float, float] | None = None
    hang_seconds: float | None = None
    limit: int | None = None
    window_seconds: float | None = None
    times: int | None = None
    probability: float = 1.0
    created_at: float = 0.0
    remaining: int | None = None
    fired: int = 0
    hits: deque[float] = field(default_factory=deque)
    released: threading.Event = field(default_factory=threading.Event)

    def to_json(self) -> Json:
        """The control API's view of the rule."""
        return {
            "id": self.id,
            "app_id": self.app_id,
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "match": dict(self.match),
            "action": self.action,
            "status": self.status,
            "error_type": self.error_type,
            "message": self.message,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "delay_range_ms": list(self.delay_range_ms) if self.delay_range_ms else None,
            "hang_seconds": self.hang_seconds,
            "limit": self.limit,
            "window_seconds": self.window_seconds,
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
    payload: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class Faults:
    """The active rules of one fake, in creation order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: tuple[Rule, ...] = ()

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
        """Remove every rule (or one app's); their delayed and hung calls go on at once."""
        with self._lock:
            gone = [r for r in self.rules if app_id is None or r.app_id == app_id]
            self.rules = tuple(r for r in self.rules if r not in gone)
        for rule in gone:
            rule.released.set()
        return len(gone)

    def views(self, app_id: str | None = None) -> list[Json]:
        """The rules (or one app's) as JSON, with their counters."""
        with self._lock:
            return [r.to_json() for r in self.rules if app_id is None or r.app_id == app_id]

    def fire(self, state: MockState, op: Operation, params: Mapping[str, str]) -> Fired | None:
        """Apply the rules to the current request: wait for delays, decide the outcome."""
        call = _Call(state, op, params)
        delayed = None
        for rule in self.rules:
            if not call.selects(rule):
                continue
            amount = self._decide(state, rule)
            if amount is None:
                continue
            if rule.action == "delay":
                rule.released.wait(amount)  # real time; removing the rule ends the wait
                delayed = rule
                continue
            if rule.action == "hang":
                rule.released.wait(rule.hang_seconds or DEFAULT_HANG_SECONDS)
            return _outcome(rule, call, amount)
        return None if delayed is None else Fired(delayed.id, "delay", call.app_id, final=False)

    def _decide(self, state: MockState, rule: Rule) -> float | None:
        """Whether ``rule`` fires now (None: no); the delay or Retry-After it brings."""
        with self._lock:
            if rule.action == "rate_limit":
                return _count(rule, state.now())
            if rule.remaining == 0:
                return None
            if rule.probability < 1 and not state.ids.chance(rule.probability):
                return None
            rule.fired += 1
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules = tuple(r for r in self.rules if r is not rule)
        if rule.action == "delay":
            low, high = rule.delay_range_ms or (rule.delay_ms or 0.0, rule.delay_ms or 0.0)
            return (state.ids.uniform(low, high) if high > low else low) / 1000
        return 0.0


def _count(rule: Rule, now: float) -> float | None:
    """Sliding-window count; None while under the limit, else seconds until a slot frees."""
    window, limit = rule.window_seconds or 1.0, rule.limit or 1
    while rule.hits and rule.hits[0] <= now - window:
        rule.hits.popleft()
    if len(rule.hits) < limit:
        rule.hits.append(now)
        return None
    rule.fired += 1
    return float(max(1, math.ceil(rule.hits[0] + window - now)))


def _outcome(rule: Rule, call: _Call, amount: float) -> Fired:
    if rule.action in {"drop", "hang"}:
        return Fired(rule.id, rule.action, call.app_id, final=True, body=call.body)
    status = rule.status or DEFAULT_STATUS
    headers: dict[str, str] = {}
    retry = int(amount) if rule.action == "rate_limit" else rule.retry_after
    if retry is None and status == 429:
        retry = 1
    if retry is not None:
        headers["Retry-After"] = str(retry)
    payload = envelope(status, rule.error_type or default_type(status), rule.message or "")
    return Fired(rule.id, rule.action, call.app_id, True, status, payload, headers, call.body)


class _Call:
    """The current request as rules see it; each part is read only when a rule asks."""

    def __init__(self, state: MockState, op: Operation, params: Mapping[str, str]) -> None:
        self.state, self.op, self.params = state, op, params

    @cached_property
    def app_id(self) -> str:
        """The app the request's credential names ("" when none): no errors, no auth."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.strip().partition(" ")
        key = value.strip() if scheme.lower() == "bearer" else ""
        key = key or request.args.get("api_key", "") or request.args.get("public_token", "")
        store = self.state.store
        app = (store.app_by_secret_key(key) or store.app_by_public_token(key)) if key else None
        return app.app_id if app is not None else ""

    @cached_property
    def body(self) -> Any:
        """The JSON body, parsed leniently (None when absent or unreadable)."""
        if self.op.body_pointer is None:
            return None
        try:
            return request.get_json(force=True, silent=True)
        except Exception:  # noqa: BLE001 - too large, bad encoding: treated as no body
            return None

    def value(self, name: str) -> Any:
        """A body, query or path value by name (dotted names walk into the body)."""
        body = self.body
        node: Any = body
        for part in name.split("."):
            node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
        if node is not _MISSING:
            return node
        if name in self.params:
            return self.params[name]
        return request.args.get(name, _MISSING)

    def selects(self, rule: Rule) -> bool:
        """Whether ``rule`` applies to this request."""
        if rule.operation_ids is not None and self.op.operation_id not in rule.operation_ids:
            return False
        if rule.path is not None and request.path != rule.path:
            return False
        if rule.app_id != ANY_APP and rule.app_id != self.app_id:
            return False
        return all(_same(name, self.value(name), wanted) for name, wanted in rule.match.items())


def _same(name: str, actual: Any, wanted: Any) -> bool:
    """Whether a request value equals a rule's ``match`` value (query values are strings)."""
    if wanted is None:
        return actual is None or actual is _MISSING
    if actual is _MISSING:
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


# --- the WSGI side of a dropped connection ------------------------------------------------


class DropMiddleware:
    """Turns a response marked with :data:`DROP_KEY` into a closed connection."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run the app; raise :class:`ConnectionDropped` when the call is to be dropped."""
        result = self.app(environ, start_response)
        if environ.get(DROP_KEY):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise ConnectionDropped("moonkey-mock dropped the connection (injected fault)")
        return result
