"""In-process measurements, each run in its own process: ``python -m bench.inproc <what>``.

- ``store``: create_app, store N sessions (10 per user) through the domain and store API, read
  the peak RSS (VmHWM), then time ``sessions/verify`` calls on a fixed-size working set of
  stored tokens (and on tokens drawn from all of them).
- ``isolation``: per-test isolation costs: reset (``Controls(state).reset()`` when the control
  module offers it, else ``store.reset()``), a fresh fake (``create_app``), a fresh tenant.
Each prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from mock_server import MockConfig, create_app, state_of
from mock_server.domain import users
from mock_server.models import Session, User
from mock_server.state import MockState

from .stats import summary_ms
from .wsgi import WsgiCaller

VERIFY = "/v1/auth/sessions/verify"
WORKING_SET = 1_000
SESSIONS_PER_USER = 10


def status_kib(field: str) -> int:
    """A ``VmHWM``/``VmRSS`` figure of this process, in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def fake(seed: str = "bench", key_file: str | None = None) -> tuple[Flask, MockState, WsgiCaller]:
    """A fake with production settings (not strict) and a caller holding its key."""
    app = create_app(MockConfig(random_seed=seed, signing_key_file=key_file))
    state = state_of(app)
    return app, state, WsgiCaller(app, state.default_app().secret_keys[0])


def template_session(state: MockState, caller: WsgiCaller) -> Session:
    """A real session, made by the real login flow, to copy."""
    email = "template@bench.test"
    caller.post("/v1/auth/otps/email/login_or_create", {"email": email})
    message = state.outbox.latest(to=email)
    assert message is not None
    status, body = caller.post("/v1/auth/otps/verify", {"email": email, "code": message.code})
    assert status == 200, body
    session = state.store.get_session(state.config.app_id, body["session"]["id"])
    assert session is not None
    return session


def _session_like(template: Session, i: int, user: User) -> Session:
    """A copy of ``template`` for ``user`` with its own id, token, factor and timestamps.

    Every object a real login would allocate per session is allocated here too, so the memory
    figure is not flattered by sharing; ids and tokens have the published lengths.
    """
    email = user.emails[0]
    swap = {template.factors[0].method_id: email.id}
    factor = template.factors[0]
    details = tuple((name, swap.get(value, email.email)) for name, value in factor.details)
    stamp = template.created_at + (i & 1)  # a fresh int object, as each login's "now" is
    return replace(
        template,
        session_id=f"sess_{i:027d}",
        token=f"{i:064d}",
        user_id=user.user_id,
        started_at=stamp,
        last_active_at=stamp,
        updated_at=stamp,
        created_at=stamp,
        expires_at=template.expires_at + (i & 1),
        factors=(replace(factor, method_id=email.id, last_verified_at=stamp, details=details),),
    )


def fill(state: MockState, template: Session, count: int) -> list[str]:
    """Store ``count`` sessions, ``SESSIONS_PER_USER`` per new user; returns their tokens."""
    app = state.default_app()
    tokens: list[str] = []
    user: User | None = None
    for i in range(count):
        if user is None or i % SESSIONS_PER_USER == 0:
            user = users.new_user(state, app, email=f"u{i}@bench.test")
        session = _session_like(template, i, user)
        state.store.put_session(session)
        tokens.append(session.token)
    return tokens


def timed_calls(call: Callable[[], object], count: int) -> list[float]:
    """Durations (seconds) of ``count`` calls."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _verifier(caller: WsgiCaller, bodies: Sequence[bytes]) -> Callable[[], None]:
    """A call verifying the next body of ``bodies`` (round-robin); fails on a non-200."""
    position = [0]

    def verify() -> None:
        body = bodies[position[0] % len(bodies)]
        position[0] += 1
        status, data = caller.raw("POST", VERIFY, body)
        if status != 200:
            raise RuntimeError(f"verify answered {status}: {data[:200]!r}")

    return verify


def measure_store(sessions: int, calls: int) -> dict[str, Any]:
    """Peak RSS with ``sessions`` stored, then verify latency over random stored tokens."""
    _app, state, caller = fake()
    baseline = status_kib("VmRSS")
    template = template_session(state, caller)
    started = time.perf_counter()
    tokens = fill(state, template, sessions)
    insert_s = time.perf_counter() - started
    peak, rss = status_kib("VmHWM"), status_kib("VmRSS")
    pick = random.Random(7)
    # The same number of distinct sessions at every store size, so the figure shows what the
    # store's size costs; "verify_any" draws from all stored sessions, where the bounded JWT
    # reuse cache (10,000 sessions) misses and each call pays an RSA signature.
    working = pick.sample(tokens, min(len(tokens), WORKING_SET))
    bodies = [json.dumps({"session_token": pick.choice(working)}).encode() for _ in range(calls)]
    anywhere = [json.dumps({"session_token": pick.choice(tokens)}).encode() for _ in range(calls)]
    verify, verify_any = _verifier(caller, bodies), _verifier(caller, anywhere)
    timed_calls(verify, min(calls, 500))  # warm-up
    return {
        "sessions": state.store.session_count(),
        "users": sessions // SESSIONS_PER_USER + 1,
        "insert_s": round(insert_s, 3),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_mib": round(rss / 1024, 1),
        "verify": summary_ms(timed_calls(verify, calls)),
        "verify_any": summary_ms(timed_calls(verify_any, calls)),
        # What a full collection of the heap costs: a request that triggers one waits this long.
        "full_gc_ms": round(timed_calls(gc.collect, 1)[0] * 1000, 1),
    }


def write_key(directory: Path) -> str:
    """A PEM RSA key shared by every fake of a measurement (as the test suite shares one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


def controls(state: MockState) -> Any | None:
    """``Controls(state)`` (the control API's in-process face) when the fake has one."""
    for name in ("mock_server.control.inprocess", "mock_server.control.routes"):
        try:
            factory = getattr(importlib.import_module(name), "Controls", None)
        except ImportError:
            continue
        if callable(factory):
            return factory(state)
    return None


def measure_isolation(repeats: int, apps: int) -> dict[str, Any]:
    """Reset, fresh fake and fresh tenant, in-process; medians of many."""
    with tempfile.TemporaryDirectory() as tmp:
        pem = write_key(Path(tmp))
        result: dict[str, Any] = {
            "create_app": summary_ms(timed_calls(lambda: fake(key_file=pem), apps)),
        }
        _app, state, caller = fake(key_file=pem)
        template = template_session(state, caller)
        control = controls(state)
        reset = getattr(control, "reset", None)
        result["reset_via"] = "Controls(state).reset()" if reset else "state.store.reset()"
        samples = []
        for _ in range(repeats):
            fill(state, template, 10)  # a test's worth of state: 1 user, 10 sessions
            started = time.perf_counter()
            (reset or state.store.reset)()
            samples.append(time.perf_counter() - started)
        result["reset"] = summary_ms(samples)
        tenant = getattr(control, "create_app", None)
        if callable(tenant):
            result["tenant"] = summary_ms(timed_calls(tenant, repeats))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run one measurement and print its JSON."""
    parser = argparse.ArgumentParser(prog="bench.inproc")
    commands = parser.add_subparsers(dest="command", required=True)
    store = commands.add_parser("store")
    store.add_argument("--sessions", type=int, required=True)
    store.add_argument("--calls", type=int, required=True)
    isolation = commands.add_parser("isolation")
    isolation.add_argument("--repeats", type=int, required=True)
    isolation.add_argument("--apps", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "store":
        result = measure_store(args.sessions, args.calls)
    else:
        result = measure_isolation(args.repeats, args.apps)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
