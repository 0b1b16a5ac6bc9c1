"""A ``--moonkey-code-command`` that reads codes from the fake's console log.

``moonkey-mock serve`` prints every message it "sends", for example::

    [outbox] otp by email to user@example.com: code 123456
    [outbox] magic_link by email to user@example.com: link http://.../authenticate?token=AbC...

so a fake started with ``--no-control`` (a stand-in for a real deployment) can still be checked:

    moonkey-mock serve --no-control > server.log &
    moonkey-mock conformance --target http://127.0.0.1:8080 --api-key sk_test_... \\
        --moonkey-code-command "python -m conformance.log_reader server.log"

Usage: ``python -m conformance.log_reader LOGFILE TO KIND``; prints the newest code (``otp``) or
magic-link token (``magic_link``) sent to ``TO``, exit status 1 when there is none.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LINE = re.compile(
    r"^\[outbox\] (?P<kind>\S+) by \S+ to (?P<to>\S+): (?P<what>code|link) (?P<value>\S+)"
)


def newest(lines: Sequence[str], to: str, kind: str) -> str | None:
    """The newest code or token of ``kind`` sent to ``to`` in ``lines``."""
    found = None
    for line in lines:
        match = LINE.match(line.strip())
        if match is None or match["kind"] != kind or match["to"].lower() != to.lower():
            continue
        value = match["value"]
        if match["what"] == "link":
            query = parse_qs(urlsplit(value).query)
            value = query.get("token", [value])[0]
        found = value
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``LOGFILE TO KIND``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m conformance.log_reader LOGFILE TO KIND", file=sys.stderr)
        return 2
    log, to, kind = args
    try:
        lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        print(f"cannot read {log}: {error}", file=sys.stderr)
        return 1
    value = newest(lines, to, kind)
    if value is None:
        return 1
    print(value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
