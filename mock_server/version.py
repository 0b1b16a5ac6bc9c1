"""The package's version: one source, ``pyproject.toml``, read from the installed metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version

try:
    __version__ = _package_version("moonkey-mock")
except PackageNotFoundError:  # a bare source tree on sys.path
    __version__ = "0+unknown"
