"""A representative part of the API suite against the durable engines (issue 15).

The tests of these modules run here again with the store on SQLite and on Redis (the whole
suite runs on one engine with ``MOONKEY_TEST_STORE=sqlite`` or ``redis``), and with the clock
kept in the store (``SharedClock``), as ``serve`` has it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest

from mock_server import ControllableClock
from mock_server.shared import SharedClock
from mock_server.store import open_store
from mock_server.store.kv import KvStore
from tests.api.test_control_clock import *  # noqa: F403
from tests.api.test_control_state import *  # noqa: F403
from tests.api.test_magic_links import *  # noqa: F403
from tests.api.test_managed_wallets import *  # noqa: F403
from tests.api.test_otps import *  # noqa: F403
from tests.api.test_sessions import *  # noqa: F403
from tests.api.test_sessions_jwt import *  # noqa: F403
from tests.api.test_transfers import *  # noqa: F403
from tests.api.test_wallet_import import *  # noqa: F403
from tests.api.test_wallet_signing import *  # noqa: F403
from tests.conftest import START


@pytest.fixture(params=["sqlite", "redis"])
def store_engine(request: pytest.FixtureRequest) -> str:
    """The durable engines."""
    engine: str = request.param
    return engine


@pytest.fixture
def clock(store_url: str) -> Iterator[ControllableClock]:
    """The fake's clock kept in the store, frozen at ``START``."""
    store = cast(KvStore, open_store(store_url))
    shared = SharedClock(store.backend)
    shared.move_to(START, freeze=True)
    yield shared
    store.close()
