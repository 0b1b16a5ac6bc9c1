"""moonkey-mock: a stateful fake of the MoonKey auth API, driven by ``openapi.yaml``."""

from .app import create_app, state_of
from .clock import ControllableClock, SystemClock
from .config import MockConfig
from .control.inprocess import Controls

__all__ = ["ControllableClock", "Controls", "MockConfig", "SystemClock", "create_app", "state_of"]
__version__ = "0.1.0"
