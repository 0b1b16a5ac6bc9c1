"""Fixtures of the project's own tests: a fresh fake per test on a frozen, controllable clock.

Every app built here runs in strict mode: each response is validated against ``openapi.yaml``
and a violation is recorded as a crash, which the ``app`` fixture turns into a test failure.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from mock_server import ControllableClock, MockConfig, create_app, state_of
from mock_server.control.inprocess import Controls
from mock_server.state import MockState
from tests.helpers import Api
from tests.stores import ENGINES, start_redis, url_for

pytest_plugins = ["pytester"]  # tests/plugin/ runs pytest inside pytest

os.environ["TZ"] = "UTC"
START = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One RSA key for the whole run (generating one per test is slow)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


@pytest.fixture
def clock() -> ControllableClock:
    """The fake's clock, frozen at ``START``."""
    clock = ControllableClock()
    clock.move_to(START, freeze=True)
    return clock


@pytest.fixture(scope="session")
def redis_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``redis-server`` per test process (``redis://127.0.0.1:PORT``)."""
    yield from start_redis(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def store_engine() -> str:
    """The engine of the fake's store: ``MOONKEY_TEST_STORE``, memory by default.

    Modules that run against every engine override this with a parametrized fixture.
    """
    engine = os.environ.get("MOONKEY_TEST_STORE", "memory")
    assert engine in ENGINES, f"MOONKEY_TEST_STORE must be one of {ENGINES}"
    return engine


@pytest.fixture(autouse=True)
def recursion_limit_restored() -> Iterator[None]:
    """Every test leaves the interpreter's recursion limit as it found it.

    eth-account's import of py_ecc raises it to 100,000 (decision W9) wherever the first
    ``from eth_account… import`` of a worker happens; left so, the later tests that check the
    fake's own limit failed, depending on which worker ran what.
    """
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


@pytest.fixture
def store_url(store_engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty store of ``store_engine`` for this test."""
    base = request.getfixturevalue("redis_base") if store_engine == "redis" else None
    return url_for(store_engine, tmp_path, base)


@pytest.fixture
def config(signing_key_file: str, store_url: str) -> MockConfig:
    """Strict, seeded settings."""
    return MockConfig(
        strict=True, random_seed="tests", signing_key_file=signing_key_file, store=store_url
    )


@pytest.fixture
def app(config: MockConfig, clock: ControllableClock) -> Iterator[Flask]:
    """A fresh fake; fails the test if the fake crashed or broke its own spec."""
    flask_app = create_app(config, clock=clock)
    yield flask_app
    state = state_of(flask_app)
    state.store.close()
    crashes = state.take_crashes()
    if crashes:
        raise crashes[0]


@pytest.fixture
def state(app: Flask) -> MockState:
    """The fake's state."""
    return state_of(app)


@pytest.fixture
def mock(state: MockState) -> Controls:
    """The in-process control API."""
    return Controls(state)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A raw test client (no key)."""
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, state: MockState) -> Api:
    """A client authorised with the default app's secret key."""
    return Api(client, state.default_app().secret_keys[0])
