"""``contract verify`` and ``contract diff``: replay a contract against the fake or a deployment.

``verify FILE --target URL --api-key KEY [--junitxml F] [--report F.md|F.html]`` replays each
interaction and prints, for each that fails, its differences (path, rule, expected, actual).
``diff FILE --target URL --api-key KEY [--fake URL]`` verifies against the fake (a fresh
in-process one unless ``--fake`` is given) and the target in one run and prints one table.
Exit 0: all hold; 1: differences; 2: a set-up error (wrong key, unreachable, a state that
cannot be made), with one clear line.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from contracts.setup import SetupError, Target
from contracts.verify import ContractError, Result, preflight, verify

OK, DIFFERENCES, SETUP = 0, 1, 2


def add_replay_commands(subparsers: Any) -> None:
    """Add ``verify`` and ``diff`` to a ``contract`` command's subparsers."""
    check = subparsers.add_parser("verify", help="replay a contract against a target")
    _common(check)
    check.add_argument("--junitxml", metavar="F", help="write a JUnit XML report")
    check.add_argument("--report", metavar="F", help="write a Markdown (.md) or HTML report")
    check.set_defaults(func=run_verify)
    both = subparsers.add_parser("diff", help="verify against the fake and a target: what differs")
    _common(both)
    both.add_argument("--fake", metavar="URL", help="a running fake (else a fresh in-process one)")
    both.set_defaults(func=run_diff)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the Pact v4 contract")
    parser.add_argument("--target", required=True, metavar="URL", help="the target's base URL")
    parser.add_argument("--api-key", required=True, metavar="KEY", help="its secret key")
    parser.add_argument(
        "--code-command",
        metavar="CMD",
        help="CMD <to> otp|magic_link prints the newest passcode or link token sent to <to> "
        "(else the fake's outbox)",
    )


def _run(file: str, url: str, key: str, code_command: str | None) -> list[Result]:
    target = Target(url, key, code_command=code_command)
    try:
        preflight(target)
        return verify(file, target)
    finally:
        target.close()


def _setup_line(results: list[Result]) -> str | None:
    for result in results:
        if result.error:
            return f"set-up error: {result.description}: {result.error}"
    return None


def run_verify(args: argparse.Namespace) -> int:
    """``contract verify``: the exit status (0 all hold, 1 differences, 2 set-up error)."""
    try:
        results = _run(args.file, args.target, args.api_key, args.code_command)
    except (SetupError, ContractError) as error:
        print(f"set-up error: {error}", file=sys.stderr)
        return SETUP
    for result in results:
        mark = "ok  " if result.holds else ("ERR " if result.error else "FAIL")
        print(f"{mark} {result.description}")
        for difference in result.differences:
            print(f"     {difference.line()}")
    failed = sum(1 for r in results if not r.holds)
    print(f"{len(results) - failed} of {len(results)} interactions hold against {args.target}")
    if args.junitxml:
        write_junit(results, Path(args.junitxml), args.target)
    if args.report:
        write_report(results, Path(args.report), args.target)
    line = _setup_line(results)
    if line:
        print(line, file=sys.stderr)
        return SETUP
    return DIFFERENCES if failed else OK


def write_junit(results: list[Result], path: Path, target: str) -> None:
    """One testcase per interaction; a failure lists its differences."""
    suite = ElementTree.Element(
        "testsuite",
        name=f"contract against {target}",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if r.differences and not r.error)),
        errors=str(sum(1 for r in results if r.error)),
    )
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname="contract", name=result.description
        )
        if result.error:
            ElementTree.SubElement(case, "error", message=result.error)
        elif result.differences:
            failure = ElementTree.SubElement(case, "failure", message=result.first())
            failure.text = "\n".join(d.line() for d in result.differences)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_report(results: list[Result], path: Path, target: str) -> None:
    """A Markdown report, or an HTML one when ``path`` ends in .html (values escaped)."""
    rows = [
        (r.description, "holds" if r.holds else ("set-up error" if r.error else "differs"), r)
        for r in results
    ]
    if path.suffix.lower() in (".html", ".htm"):
        items = []
        for description, verdict, result in rows:
            details = "".join(
                f"<li><code>{html.escape(d.line())}</code></li>" for d in result.differences
            )
            if result.error:
                details = f"<li>{html.escape(result.error)}</li>"
            items.append(
                f"<tr><td>{html.escape(description)}</td><td>{verdict}</td>"
                f"<td><ul>{details}</ul></td></tr>"
            )
        path.write_text(
            "<!doctype html><meta charset=utf-8><title>Contract verification</title>"
            f"<h1>Contract against {html.escape(target)}</h1>"
            "<table><tr><th>interaction</th><th>result</th><th>differences</th></tr>"
            + "".join(items)
            + "</table>\n",
            encoding="utf-8",
        )
        return
    lines = [f"# Contract against {target}", "", "| interaction | result | differences |"]
    lines.append("|---|---|---|")
    for description, verdict, result in rows:
        found = "<br>".join(_cell(d.line()) for d in result.differences) or _cell(
            result.error or ""
        )
        lines.append(f"| {_cell(description)} | {verdict} | {found} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def run_diff(args: argparse.Namespace) -> int:
    """``contract diff``: one table of the fake's and the target's results."""
    server: Any = None
    fake_url = args.fake
    fake_key = args.api_key
    if not fake_url:
        from conformance.server import MockServer

        server = MockServer().start()
        fake_url = server.url
        fake_key = server.config.secret_key
    try:
        try:
            on_fake = _run(args.file, fake_url, fake_key, None)
            on_target = _run(args.file, args.target, args.api_key, args.code_command)
        except (SetupError, ContractError) as error:
            print(f"set-up error: {error}", file=sys.stderr)
            return SETUP
    finally:
        if server is not None:
            server.stop()
    width = max([len("interaction"), *(len(r.description) for r in on_fake)])
    print(f"{'interaction':<{width}}  {'fake':<12}  {'target':<12}  first differing path")
    differs = False
    for fake, real in zip(on_fake, on_target, strict=True):
        first = real.first() or fake.first()
        differs = differs or not (fake.holds and real.holds)
        print(f"{fake.description:<{width}}  {_verdict(fake):<12}  {_verdict(real):<12}  {first}")
    line = _setup_line(on_fake) or _setup_line(on_target)
    if line:
        print(line, file=sys.stderr)
        return SETUP
    return DIFFERENCES if differs else OK


def _verdict(result: Result) -> str:
    return "holds" if result.holds else ("set-up error" if result.error else "differs")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m contracts.replay_command verify|diff ...``."""
    parser = argparse.ArgumentParser(prog="contract")
    commands = parser.add_subparsers(dest="command", required=True)
    add_replay_commands(commands)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
