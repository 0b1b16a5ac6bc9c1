"""The official SDK's tests share one served fake per module and an SDK client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.server import MockServer
from mock_server import MockConfig


@pytest.fixture(scope="module")
def server(signing_key_file: str, request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """One served fake for the module (strict: every answer is checked against the spec)."""
    seed = f"sdk-{request.module.__name__.rsplit('.', 1)[-1]}"
    config = MockConfig(strict=True, random_seed=seed, signing_key_file=signing_key_file)
    with MockServer(config) as served:
        yield served
        served.raise_crashes()


@pytest.fixture
def client(server: MockServer) -> Any:
    """An SDK client pointed at the fake (the SDK's base URL includes ``/v1``)."""
    streambird = pytest.importorskip("streambird")
    key = server.state.default_app().secret_keys[0]
    return streambird.Client(key, api_instance_url=f"{server.url}/v1")
