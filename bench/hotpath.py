"""``python -m bench.hotpath``: where an in-process ``sessions/verify`` spends its time.

Runs ``--calls`` verify requests through the fake's WSGI callable (production settings, 1,000
sessions stored) under cProfile, or pyinstrument with ``--pyinstrument`` when it is installed
(it is not a project dependency: ``pip install pyinstrument`` into the venv). Prints the top
entries by own time and by cumulative time, and a few components timed on their own.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import pstats
from collections.abc import Callable, Sequence

from flask import Flask

from mock_server.pipeline import to_json
from mock_server.serve.native import ApiPath

from .inproc import _verifier, fake, fill, template_session, timed_calls
from .stats import summary_ms
from .wsgi import WsgiCaller


def _components(calls: int) -> dict[str, dict[str, float]]:
    """Pieces of the verify path timed alone (median/p99 of ``calls``)."""
    _app, state, caller = fake()
    template = template_session(state, caller)
    op = state.spec.operations["VerifySession"]
    body = {"session_token": template.token}
    app = state.default_app()
    from mock_server.tokens import session_claims

    claims = session_claims(app, template, state.now_ts())
    jwt = state.keys.sign(claims)
    _status, reply = caller.post("/v1/auth/sessions/verify", body)
    pieces: dict[str, Callable[[], object]] = {
        "whole request (native API path)": _native_verifier(_app, caller, json.dumps(body)),
        "whole request (WSGI, Flask)": _verifier(caller, [json.dumps(body).encode()]),
        "GET jwks/default (pipeline, no JWT)": lambda: caller.raw("GET", "/v1/auth/jwks/default"),
        "RS256 sign, a changed session (keys.sign)": lambda: state.keys.sign(claims),
        "JWT check again (keys.decode, remembered)": lambda: state.keys.decode(jwt),
        "body validation (check_body)": lambda: state.validators.check_body(op, body),
        "response JSON (pipeline.to_json: orjson)": lambda: to_json(reply),
        "response JSON (json.dumps, before)": lambda: json.dumps(reply, separators=(",", ":")),
        "session.to_json + user.to_json": lambda: (
            template.to_json(),
            state.store.get_user(app.app_id, template.user_id),
        ),
    }
    return {name: summary_ms(timed_calls(call, calls)) for name, call in pieces.items()}


def _native_verifier(app: Flask, caller: WsgiCaller, body: str) -> Callable[[], object]:
    """One verify through the native server's API path (no socket, no HTTP parsing)."""
    path = ApiPath(app)
    found = path.inline("POST", "/v1/auth/sessions/verify")
    assert found is not None
    data = body.encode()
    base = {**caller.base, "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/auth/sessions/verify"}
    base.update(QUERY_STRING="", CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)))

    def verify() -> object:
        status, _headers, answer = path.answer(found, dict(base), data)
        if status != 200:
            raise RuntimeError(f"verify answered {status}: {answer[:200]!r}")
        return answer

    return verify


def _workload(calls: int) -> Callable[[], None]:
    _app, state, caller = fake()
    tokens = fill(state, template_session(state, caller), 1000)
    bodies = [json.dumps({"session_token": t}).encode() for t in tokens]
    verify = _verifier(caller, bodies)
    timed_calls(verify, 200)  # warm-up

    def run() -> None:
        for _ in range(calls):
            verify()

    return run


def profile_cprofile(calls: int, top: int) -> str:
    """cProfile's top entries (own time, then cumulative)."""
    run = _workload(calls)
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def profile_pyinstrument(calls: int) -> str:
    """pyinstrument's call tree (raises ImportError when it is not installed)."""
    module = importlib.import_module("pyinstrument")
    run = _workload(calls)
    profiler = module.Profiler(interval=0.0001)
    profiler.start()
    run()
    profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Print the profile and the component timings."""
    parser = argparse.ArgumentParser(prog="bench.hotpath", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--components-json", action="store_true", help="only the timings, JSON")
    args = parser.parse_args(argv)
    if args.components_json:
        print(json.dumps(_components(args.calls)))
        return 0
    if args.pyinstrument:
        print(profile_pyinstrument(args.calls))
    else:
        print(profile_cprofile(args.calls, args.top))
    print(f"{'component':<36} {'median ms':>10} {'p99 ms':>10}")
    for name, stats in _components(min(args.calls, 2000)).items():
        print(f"{name:<36} {stats['median_ms']:>10.4f} {stats['p99_ms']:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
