"""``moonkey-mock``: serve the fake over HTTP (the native server or waitress), wait for one."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .config import MockConfig, env_name, env_warnings, exposure_warnings, option_name
from .version import package_version

if TYPE_CHECKING:  # the app is imported only by serve: `wait` (a health check) starts fast
    from .outbox import Message
    from .state import MockState


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="moonkey-mock",
        description="A fake MoonKey auth API, its conformance suite and a pytest plugin.",
        epilog="Each serve option is also an environment variable MOONKEY_MOCK_<OPTION> "
        "(dashes as underscores: --seed is MOONKEY_MOCK_SEED); options win.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP (waitress)",
        description="Serve the fake over HTTP. Every option can also be set by the "
        "environment variable in brackets; the option wins.",
    )
    serve.set_defaults(parser=serve)
    from contracts.command import add_contract_commands  # argparse only: light

    add_contract_commands(commands)
    _option(serve, "host", help="address to bind (default 127.0.0.1)")
    _option(serve, "port", type=int, help="port (default 8080; 0 picks a free one)")
    _option(serve, "secret_key", help="the default app's secret key")
    _option(serve, "public_token", help="the default app's public token")
    _option(serve, "app_id", help="the default app's id")
    _option(serve, "random_seed", help="make ids, tokens and codes deterministic")
    _option(serve, "signing_key_file", metavar="PEM", help="RSA private key signing JWTs")
    _option(serve, "strict", action="store_true", default=None, help="validate responses")
    _option(serve, "threads", type=int, help="server worker threads (default 8)")
    _option(serve, "default_redirect_url", metavar="URL", help="the default app's redirect URL")
    _option(serve, "max_body_bytes", type=int, help="largest API request body (1048576)")
    _option(serve, "otp_max_attempts", type=int, help="wrong passcodes before lock-out (5)")
    _option(
        serve,
        "max_connections",
        type=int,
        help="connections served at once; more wait (16384, bounded by the file limit)",
    )
    _option(
        serve,
        "header_timeout",
        type=int,
        metavar="SECONDS",
        help="time for a request's headers, and between two reads of its body (10)",
    )
    _option(
        serve,
        "store",
        metavar="URL",
        help="where the state lives: memory:// (default), sqlite:///FILE.db (durable) or "
        "redis://HOST:PORT/DB (shared by processes)",
    )
    _option(
        serve,
        "workers",
        type=int,
        help="serving processes sharing one sqlite or redis store (default 1)",
    )
    _option(
        serve,
        "server",
        choices=("native", "waitress"),
        help="HTTP server: native (asyncio, fast API path; default) or waitress (pure WSGI)",
    )
    _add_control_options(serve)
    wait = commands.add_parser(
        "wait",
        help="wait until a fake answers at URL (for CI: no sleep needed)",
        description="Poll URL/_mock/health (or URL/ when the control API is off) until the "
        "fake answers; exit 0 when it does, 1 with a message on timeout.",
    )
    wait.set_defaults(parser=wait)
    wait.add_argument("url", metavar="URL", help="the fake's base URL, e.g. http://127.0.0.1:8080")
    wait.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="give up after S seconds (30)"
    )
    commands.add_parser(
        "conformance",
        add_help=False,
        help="check a deployment: conformance --target URL --api-key KEY [pytest args]",
    )
    return parser


def _option(parser: argparse.ArgumentParser, field: str, **kwargs: Any) -> None:
    """``--<option>`` for a :class:`MockConfig` field, its variable named in the help."""
    flag = "--" + option_name(field).replace("_", "-")
    kwargs["help"] = f"{kwargs['help']} [{env_name(field)}]"
    parser.add_argument(flag, dest=field, **kwargs)


def _add_control_options(serve: argparse.ArgumentParser) -> None:
    """Options of the control API (``/_mock/``) and of the state it starts from."""
    switch = serve.add_mutually_exclusive_group()
    switch.add_argument(
        "--control",
        dest="control",
        action="store_const",
        const=True,
        help="serve the control API /_mock/ even when not bound to loopback "
        "(needs --admin-token there) [MOONKEY_MOCK_CONTROL=true]",
    )
    switch.add_argument(
        "--no-control",
        dest="control",
        action="store_const",
        const=False,
        help="no control API: every /_mock/ path answers 404 [MOONKEY_MOCK_CONTROL=false]",
    )
    _option(serve, "admin_token", metavar="T", help="require 'Authorization: Bearer T' on /_mock/")
    _option(
        serve,
        "allow_remote_control",
        action="store_true",
        default=None,
        help="allow --control on a non-loopback address without --admin-token",
    )
    _option(
        serve,
        "allowed_hosts",
        metavar="NAMES",
        help="other Host names the control API answers, comma-separated (e.g. a service name)",
    )
    _option(
        serve,
        "allow_hostname",
        action="store_true",
        default=None,
        help="the control API also answers this machine's hostname and its addresses "
        "(set in the container image)",
    )
    _option(
        serve,
        "max_held_calls",
        type=int,
        help="calls delay/hang faults may hold at once (threads - 2)",
    )
    _option(serve, "journal_size", type=int, help="request journal entries kept per app (10000)")
    _option(serve, "outbox_size", type=int, help="outbox messages kept per app (10000)")
    _option(
        serve, "seed_file", metavar="FILE", help="start from the apps/users/sessions of a YAML file"
    )


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked (metadata is slow to load)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``moonkey-mock`` and ``python -m mock_server``."""
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["conformance"]:  # its own options, the rest goes to pytest
        from conformance.command import main as conformance

        return conformance(given[1:])
    if given[:1] == ["serve"]:  # handlers before the parser's imports: PID 1 drops early signals
        _stop_on_signals()
        try:
            return _command(given)
        except KeyboardInterrupt:
            return 0
    return _command(given)


def _command(given: list[str]) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(given)
    command_parser: argparse.ArgumentParser = getattr(args, "parser", parser)
    if extra:  # the usage of the command that was given, not the top-level one
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "wait":
        return wait(args.url, args.timeout)
    if args.command == "contract":
        from contracts.command import run as contract

        return contract(args)
    return serve(vars(args))


def serve(options: dict[str, object]) -> int:
    """Serve in the foreground; print the base URL and the apps' keys.

    SIGTERM and SIGINT are handled from the first moment: as PID 1 a signal that arrives before
    the handler is set is dropped, and the start-up imports alone take most of a second.
    """
    _stop_on_signals()
    try:
        return _serve(options)
    except KeyboardInterrupt:  # stopped before or while starting: nothing served yet
        return 0


def _serve(options: dict[str, object]) -> int:
    from .app import create_app, state_of
    from .serve import run_until_stopped
    from .serve.waitress_server import make_server

    for problem in env_warnings():
        print(f"moonkey-mock: warning: {problem}", file=sys.stderr)
    try:
        config = settings(options)
        risks = exposure_warnings(config)
    except ValueError as error:
        print(f"moonkey-mock: {error}", file=sys.stderr)
        return 2
    for risk in risks:
        print(f"moonkey-mock: warning: {risk}", file=sys.stderr)
    if config.workers > 1:
        return _serve_workers(config)
    try:
        app = create_app(config)
        if config.server == "waitress":
            server = make_server(app, config.host, config.port, config.threads)
        else:
            from .serve.native import make_native_server

            server = make_native_server(app, config.host, config.port, config.threads)
            # uvloop does not always let an exception raised by a handler out of its loop
            # (a SIGINT could leave serve running): the native server is closed instead.
            _stop_on_signals(server.close)
    except (OSError, ValueError) as error:  # bad key file, host, busy port: no traceback
        print(f"moonkey-mock: cannot start: {error}", file=sys.stderr)
        return 2
    state = state_of(app)
    state.outbox.listeners.append(_print_message)
    _tune_gc()
    port = server.effective_port
    print("\n".join(banner(state, f"http://{config.host}:{port}")), flush=True)
    return run_until_stopped(server, state.store)


def _stop_on_signals(stop: Callable[[], None] | None = None) -> None:
    """SIGTERM (``docker stop``) and SIGINT end serving as Ctrl-C does: store closed, exit 0.

    As PID 1 of a container the kernel applies no default action to a signal the process has
    no handler for, so without a handler ``docker stop`` waited its 10 s and killed the fake
    (exit 137); and a shell's background job starts with SIGINT ignored. Both are handled here:
    by ``stop()`` when given (it must be safe to call from a signal handler), else by raising
    KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread

    def interrupt(signum: int, _frame: object) -> None:
        if stop is not None:
            stop()
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, interrupt)


def _serve_workers(config: MockConfig) -> int:
    """``--workers N``: the parent prints the banner, each worker its outbox lines."""
    from .serve.workers import serve_workers

    def announce(state: MockState, base: str) -> None:
        lines = banner(state, base)
        lines.insert(1, f"  workers:      {config.workers} processes on {config.store}")
        print("\n".join(lines), flush=True)

    def prepare(state: MockState) -> None:
        state.outbox.listeners.append(_print_message)
        _tune_gc()

    try:
        return serve_workers(config, announce, prepare)
    except (OSError, ValueError) as error:
        print(f"moonkey-mock: cannot start: {error}", file=sys.stderr)
        return 2


def settings(options: dict[str, object], env: Mapping[str, str] | None = None) -> MockConfig:
    """The configuration ``serve`` runs with: ``env`` (default ``os.environ``), then options."""
    names = set(MockConfig.__dataclass_fields__)
    return MockConfig.from_env(env, **{k: v for k, v in options.items() if k in names})


def banner(state: MockState, base: str) -> list[str]:
    """The start-up lines: where to call, with which keys, what the seed file loaded."""
    config = state.config
    default = state.default_app()
    lines = [
        f"moonkey-mock listening on {base}",
        f"  app_id:       {default.app_id}",
        f"  secret key:   {default.secret_keys[0]}",
        f"  public token: {default.public_token}",
    ]
    if config.seed_file:
        seed = state.seed or {}
        users, sessions, apps = (
            len(seed.get(part) or []) for part in ("users", "sessions", "apps")
        )
        lines.append(
            f"  seed file:    {config.seed_file} loaded: {users} users and {sessions} sessions "
            f"in the default app, {apps} more apps"
        )
    for app in state.store.apps():
        if app.app_id != default.app_id:
            lines.append(
                f"  seeded app:   {app.app_id} ({app.name}) secret key {app.secret_keys[0]} "
                f"public token {app.public_token}"
            )
    lines.append(f"  control API:  {_control_line(config, base)}")
    if config.control_enabled:
        lines.append(f"  dashboard:    {base}/_mock/ui")
    lines.append(f"  index:        {base}/ (links to the API spec, control spec and docs)")
    return lines


def _control_line(config: MockConfig, base: str) -> str:
    if not config.control_enabled:
        return "off (--control to serve it on a non-loopback address)"
    guard = " (admin token required)" if config.admin_token else ""
    return f"{base}/_mock/{guard}"


def wait(url: str, timeout: float) -> int:
    """Poll the fake at ``url`` until it answers (0) or ``timeout`` seconds pass (1)."""
    import requests

    base = url.rstrip("/")
    deadline = time.monotonic() + max(timeout, 0.0)
    pause = threading.Event()
    last = "no attempt"
    while True:
        for path in ("/_mock/health", "/"):
            try:
                answer = requests.get(base + path, timeout=min(max(timeout, 0.1), 5.0))
            except requests.RequestException as error:
                last = f"nothing answered: {type(error).__name__}"
                break  # nothing listens yet: the other path would fail the same way
            if answer.status_code == 200:
                print(f"moonkey-mock: {base} is up ({path} answered 200)", flush=True)
                return 0
            last = f"{path} answered {answer.status_code}"
        if time.monotonic() >= deadline:
            print(
                f"moonkey-mock wait: {base} did not answer within {timeout:g} s ({last})",
                file=sys.stderr,
            )
            return 1
        pause.wait(min(0.2, max(deadline - time.monotonic(), 0.0)))


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
