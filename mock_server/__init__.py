"""moonkey-mock: a stateful fake of the MoonKey auth API, driven by ``openapi.yaml``."""

from .app import create_app, state_of
from .clock import ControllableClock, SystemClock
from .config import MockConfig
from .control.inprocess import Controls
from .version import __version__

__all__ = [
    "ControllableClock",
    "Controls",
    "MockConfig",
    "SystemClock",
    "__version__",
    "create_app",
    "state_of",
]
