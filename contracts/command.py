"""``moonkey-mock contract …``: the subcommands that record (and later verify) contracts.

:func:`add_contract_commands` adds the ``contract`` group to the CLI's subparsers and
:func:`run` dispatches by :data:`HANDLERS` (subcommand name → function), so a new subcommand is
one parser and one entry there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def add_contract_commands(commands: Any) -> argparse.ArgumentParser:
    """Add ``contract`` (with its own subcommands) to the CLI's ``add_subparsers`` object."""
    group: argparse.ArgumentParser = commands.add_parser(
        "contract", help="record Pact v4 contracts of what an app calls"
    )
    group.set_defaults(parser=group)
    subcommands = group.add_subparsers(dest="contract_command", metavar="SUBCOMMAND")
    subcommands.required = True
    record = subcommands.add_parser(
        "record",
        help="write a running fake's journal as a Pact v4 contract",
        description="Read a running fake's journal over /_mock/requests and write one Pact v4 "
        "contract (secrets never written; provider states and generators for traced values).",
    )
    record.set_defaults(parser=record)
    record.add_argument("--url", required=True, help="the fake's base URL")
    record.add_argument("--app-id", default=None, help="only this app's calls (default: all)")
    record.add_argument("--consumer", required=True, help="the consumer's name in the contract")
    record.add_argument("--out", required=True, metavar="FILE", help="where to write it")
    record.add_argument(
        "--api-key", default=None, help="the fake's --admin-token, if it was started with one"
    )
    from contracts.replay_command import add_replay_commands

    add_replay_commands(subcommands)
    return group


def record(args: argparse.Namespace) -> int:
    """Write the contract of the fake at ``--url``; 2 with one line when it cannot be read."""
    from contracts.record import contract, interactions, write
    from contracts.source import HttpJournal, SourceError

    source = HttpJournal(args.url, args.api_key)
    try:
        apps = [args.app_id] if args.app_id else source.apps()
        found = [i for app in apps for i in interactions(source.entries(app), source.outbox(app))]
    except SourceError as error:
        print(f"moonkey-mock contract record: {error}", file=sys.stderr)
        return 2
    document = contract(args.consumer, found)
    write(args.out, document)
    count = len(document["interactions"])
    print(f"moonkey-mock: wrote {count} interactions to {args.out}")
    return 0


def verify(args: argparse.Namespace) -> int:
    """Replay a contract against a target (``contracts.replay_command``)."""
    from contracts.replay_command import run_verify

    return run_verify(args)


def diff(args: argparse.Namespace) -> int:
    """Verify against the fake and a target in one run (``contracts.replay_command``)."""
    from contracts.replay_command import run_diff

    return run_diff(args)


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "record": record,
    "verify": verify,
    "diff": diff,
}


def run(args: argparse.Namespace) -> int:
    """Run the ``contract`` subcommand that was given."""
    return HANDLERS[args.contract_command](args)
