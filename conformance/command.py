"""``moonkey-mock conformance``: run the installed conformance suite against a deployment.

``moonkey-mock conformance --target URL --api-key KEY [pytest args]`` is
``pytest <installed conformance dir> --moonkey-target URL --moonkey-api-key KEY [pytest args]``;
without ``--target`` it checks the fake, started in-process. Every other argument (``-k``,
``-x``, ``--junitxml``, ``--moonkey-code-command``, ...) goes to pytest unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SUITE = Path(__file__).resolve().parent
# moonkey-mock is not on PyPI: the hint installs the extra the way the package was installed.
MISSING = (
    "moonkey-mock conformance needs pytest and schemathesis: from a checkout, "
    "pip install -e '.[conformance]'; from a git URL, "
    "pip install 'moonkey-mock[conformance] @ git+https://<git host>/<owner>/moonkey-mock.git'"
)


def build_parser() -> argparse.ArgumentParser:
    """The options this command translates; the rest is passed to pytest."""
    parser = argparse.ArgumentParser(
        prog="moonkey-mock conformance",
        description="Check a MoonKey deployment (default: the fake, in-process) against the "
        "documented behaviour. Other arguments are passed to pytest.",
    )
    parser.add_argument("--target", metavar="URL", help="the deployment's base URL")
    parser.add_argument("--api-key", metavar="KEY", help="the app's secret key (sk_test_...)")
    parser.add_argument(
        "--no-schema",
        action="store_true",
        help="skip the schemathesis part (behaviour tests only)",
    )
    return parser


def pytest_args(argv: Sequence[str]) -> list[str]:
    """The pytest command line for ``argv``."""
    known, rest = build_parser().parse_known_args(list(argv))
    args = [str(SUITE), "-p", "no:cacheprovider"]
    if known.target:
        args += ["--moonkey-target", known.target]
    if known.api_key:
        args += ["--moonkey-api-key", known.api_key]
    if known.no_schema:
        args += ["--ignore", str(SUITE / "test_schema.py")]
    return args + list(rest)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite in a fresh interpreter (so pytest imports it first); pytest's exit status."""
    args = pytest_args(sys.argv[1:] if argv is None else argv)
    if any(importlib.util.find_spec(name) is None for name in ("pytest", "schemathesis")):
        print(MISSING, file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, "-m", "pytest", *args])  # noqa: S603 - our suite
