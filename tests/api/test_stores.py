"""A representative part of the API suite against the durable engines (issue 15).

The tests of these modules run here again with the store on SQLite and on Redis (the whole
suite runs on one engine with ``MOONKEY_TEST_STORE=sqlite`` or ``redis``).
"""

from __future__ import annotations

import pytest

from tests.api.test_control_clock import *  # noqa: F403
from tests.api.test_control_state import *  # noqa: F403
from tests.api.test_magic_links import *  # noqa: F403
from tests.api.test_otps import *  # noqa: F403
from tests.api.test_sessions import *  # noqa: F403
from tests.api.test_sessions_jwt import *  # noqa: F403


@pytest.fixture(params=["sqlite", "redis"])
def store_engine(request: pytest.FixtureRequest) -> str:
    """The durable engines."""
    engine: str = request.param
    return engine
