"""The package's version: one source, ``pyproject.toml``, read from the installed metadata.

Read on first use (``importlib.metadata`` takes ~20 ms to import: kept off start-up).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def package_version() -> str:
    """The installed moonkey-mock's version (``0+unknown`` in a bare source tree)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _package_version

    try:
        return _package_version("moonkey-mock")
    except PackageNotFoundError:  # a bare source tree on sys.path
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """``__version__``, read on first use."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
