"""moonkey-mock: a stateful fake of the MoonKey auth API, driven by ``openapi.yaml``.

The names below are imported on first use, so ``import mock_server.clock`` (or any one module)
does not load the whole fake.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, state_of
    from .clock import ControllableClock, SystemClock
    from .config import MockConfig
    from .control.inprocess import Controls

__all__ = [
    "ControllableClock",
    "Controls",
    "MockConfig",
    "SystemClock",
    "__version__",
    "create_app",
    "state_of",
]

_LAZY = {
    "create_app": ".app",
    "state_of": ".app",
    "ControllableClock": ".clock",
    "SystemClock": ".clock",
    "MockConfig": ".config",
    "Controls": ".control.inprocess",
}


def __getattr__(name: str) -> Any:
    """Import the public names (and read ``__version__``) on first use."""
    if name == "__version__":
        from .version import package_version

        return package_version()
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
