"""``moonkey-mock conformance``: run the installed conformance suite against a deployment.

``moonkey-mock conformance --target URL --api-key KEY [pytest args]`` is
``pytest <installed conformance dir> --moonkey-target URL --moonkey-api-key KEY [pytest args]``;
without ``--target`` it checks the fake, started in-process. Every other argument (``-k``,
``-x``, ``--junitxml``, ``--moonkey-code-command``, ``-p my_codes``, ...) goes to pytest
unchanged.

The run is rooted in the directory the command runs in (``--rootdir``), so test ids and JUnit
class names read ``test_auth.py::...`` rather than a site-packages path, and a ``conftest.py``
there is loaded as a plugin (``-p conftest``): that is where the ``pytest_moonkey_read_code``
hook of a real deployment lives.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SUITE = Path(__file__).resolve().parent
# moonkey-mock is not on PyPI: the hint installs the extra the way the package was installed.
MISSING = (
    "moonkey-mock conformance needs pytest and schemathesis: from a checkout, "
    "pip install -e '.[conformance]'; from a git URL, "
    "pip install 'moonkey-mock[conformance] @ git+https://<git host>/<owner>/moonkey-mock.git'"
)
USAGE = "moonkey-mock conformance [--target URL --api-key KEY] [suite options] [pytest args]"


class _Options:
    """Collects the ``--moonkey-*`` options the suite's plugin declares (for ``--help``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _Options:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        metavar = kwargs.get("metavar")
        flag = " ".join(names) + (f" {metavar}" if metavar else "")
        self.lines.append(f"  {flag:<34} {kwargs.get('help', '')}")


def suite_options() -> str:
    """The ``--moonkey-*`` options of the suite, one a line."""
    try:
        from conformance import suite_plugin
    except ImportError:  # pytest is missing: main() says how to install it
        return "  (install moonkey-mock[conformance] to list them)"
    collected = _Options()
    suite_plugin.pytest_addoption(collected)  # type: ignore[arg-type]
    return "\n".join(collected.lines)


def build_parser() -> argparse.ArgumentParser:
    """The options this command translates; the rest is passed to pytest."""
    parser = argparse.ArgumentParser(
        prog="moonkey-mock conformance",
        usage=USAGE,
        description="Check a MoonKey deployment (default: the fake, in-process) against the "
        "documented behaviour. Other arguments are passed to pytest.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="suite options (passed to pytest):\n"
        + suite_options()
        + "\n\nA conftest.py in the current directory is loaded (put pytest_moonkey_read_code "
        "there); load another plugin module with -p MODULE.",
    )
    parser.add_argument("--target", metavar="URL", help="the deployment's base URL")
    parser.add_argument("--api-key", metavar="KEY", help="the app's secret key (sk_test_...)")
    parser.add_argument(
        "--no-schema",
        action="store_true",
        help="skip the schemathesis part (behaviour tests only)",
    )
    return parser


def _given(rest: Sequence[str], option: str) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in rest)


def _workdir_conftest(workdir: Path) -> list[str]:
    """``-p conftest`` when ``workdir`` has a conftest.py pytest would not load by itself."""
    if not (workdir / "conftest.py").is_file():
        return []
    if workdir == SUITE or workdir in SUITE.parents:
        return []  # pytest loads it as a parent directory's conftest of the suite
    return ["-p", "conftest"]


def pytest_args(argv: Sequence[str], workdir: Path | None = None) -> list[str]:
    """The pytest command line for ``argv``, run in ``workdir`` (default: the current one)."""
    parser = build_parser()
    known, rest = parser.parse_known_args(list(argv))
    if known.api_key and not (known.target or _given(rest, "--moonkey-target")):
        parser.error("--api-key needs --target URL (without a target the in-process fake is used)")
    if known.target and not (known.api_key or _given(rest, "--moonkey-api-key")):
        parser.error("--target needs --api-key KEY (the secret key of the app to check)")
    where = (workdir or Path.cwd()).resolve()
    args = [str(SUITE), "-p", "no:cacheprovider"]
    if not _given(rest, "--rootdir"):
        args += ["--rootdir", str(where)]
    args += _workdir_conftest(where)
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
