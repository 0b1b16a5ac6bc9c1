"""``moonkey-mock``: serve the fake over HTTP (the native server, or waitress)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from .app import create_app, state_of
from .config import MockConfig
from .outbox import Message


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="moonkey-mock", description="A fake MoonKey auth API.")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the fake over HTTP")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--secret-key", dest="secret_key", help="the default app's secret key")
    serve.add_argument("--public-token", dest="public_token", help="the default app's public token")
    serve.add_argument("--app-id", dest="app_id", help="the default app's id")
    serve.add_argument(
        "--random-seed", dest="random_seed", help="make ids, tokens and codes deterministic"
    )
    serve.add_argument("--signing-key", dest="signing_key_file", help="RSA private key (PEM)")
    serve.add_argument("--strict", action="store_true", default=None, help="validate responses")
    serve.add_argument("--threads", type=int, help="server worker threads (default 8)")
    serve.add_argument(
        "--server",
        choices=("native", "waitress"),
        default="native",
        help="HTTP server: native (asyncio, fast API path; default) or waitress (pure WSGI)",
    )
    _add_control_options(serve)
    commands.add_parser(
        "conformance",
        add_help=False,
        help="check a deployment: conformance --target URL --api-key KEY [pytest args]",
    )
    return parser


def _add_control_options(serve: argparse.ArgumentParser) -> None:
    """Options of the control API (``/_mock/``) and of the state it starts from."""
    switch = serve.add_mutually_exclusive_group()
    switch.add_argument(
        "--control",
        dest="control",
        action="store_const",
        const=True,
        help="serve the control API /_mock/ even when not bound to loopback",
    )
    switch.add_argument(
        "--no-control",
        dest="control",
        action="store_const",
        const=False,
        help="no control API: every /_mock/ path answers 404",
    )
    serve.add_argument(
        "--admin-token", dest="admin_token", help="require 'Authorization: Bearer T' on /_mock/"
    )
    serve.add_argument("--journal-size", type=int, help="request journal entries kept (10000)")
    serve.add_argument("--outbox-size", type=int, help="outbox messages kept (10000)")
    serve.add_argument(
        "--seed", dest="seed_file", help="start from the apps/users/sessions of a YAML file"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``moonkey-mock`` and ``python -m mock_server``."""
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["conformance"]:  # its own options, the rest goes to pytest
        from conformance.command import main as conformance

        return conformance(given[1:])
    args = build_parser().parse_args(argv)
    if args.command in (None, "serve"):
        return serve(vars(args))
    return 2


def serve(options: dict[str, object]) -> int:
    """Serve in the foreground; print the base URL and the default app's keys."""
    from .server import make_server

    names = {
        "host",
        "port",
        "secret_key",
        "public_token",
        "app_id",
        "random_seed",
        "signing_key_file",
        "control",
        "admin_token",
        "journal_size",
        "outbox_size",
        "seed_file",
    }
    overrides = {k: v for k, v in options.items() if k in names | {"strict", "threads"}}
    try:
        config = MockConfig.from_env(None, **overrides)
    except ValueError as error:
        print(f"moonkey-mock: {error}", file=sys.stderr)
        return 2
    try:
        app = create_app(config)
        if options.get("server", "native") == "waitress":
            server = make_server(app, config.host, config.port, config.threads)
        else:
            from .native import make_native_server

            server = make_native_server(app, config.host, config.port, config.threads)
    except (OSError, ValueError) as error:  # bad key file, host, busy port: no traceback
        print(f"moonkey-mock: cannot start: {error}", file=sys.stderr)
        return 2
    state_of(app).outbox.listeners.append(_print_message)
    _tune_gc()
    port = server.effective_port
    default = state_of(app).default_app()
    print(f"moonkey-mock listening on http://{config.host}:{port}")
    print(f"  app_id:       {default.app_id}")
    print(f"  secret key:   {default.secret_keys[0]}")
    print(f"  public token: {default.public_token}")
    print(f"  control API:  {_control_line(config, port)}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def _control_line(config: MockConfig, port: int) -> str:
    if not config.control_enabled:
        return "off (--control to serve it on a non-loopback address)"
    guard = " (admin token required)" if config.admin_token else ""
    return f"http://{config.host}:{port}/_mock/{guard}"


def _print_message(message: Message) -> None:
    # One write per line: print() from several server threads could interleave two lines.
    sys.stdout.write(message.describe() + "\n")
    sys.stdout.flush()


def _tune_gc() -> None:
    """Keep full garbage collections off the request path of a long-running fake.

    The store holds many long-lived, acyclic records; with the default thresholds a full
    collection walks all of them (about 1 s at 10^6 sessions) and becomes the p99 latency.
    Start-up objects are frozen out of collection and young collections happen less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1_000)
