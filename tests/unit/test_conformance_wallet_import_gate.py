"""Wallet-import rules skip, with a reason, where a deployment does not serve them (M77)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from conformance.client import ApiClient
from conformance.gates import missing_wallet_import
from conformance.server import MockServer
from mock_server import MockConfig
from tests.unit.test_conformance_managed_wallets_gate import _Without


@pytest.fixture(params=[404, 405])
def without(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_Without,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_deployment_without_wallet_import_gets_a_reason(without: str) -> None:
    api = ApiClient(without, "sk_test_x")
    reason = missing_wallet_import(api)
    assert reason is not None
    assert "does not serve POST /v1/wallets/import/begin" in reason
    api.close()


def test_the_fake_serves_wallet_import(signing_key_file: str) -> None:
    config = MockConfig(signing_key_file=signing_key_file, strict=True)
    with MockServer(config) as served:
        api = ApiClient(served.url, served.state.default_app().secret_keys[0])
        assert missing_wallet_import(api) is None
        api.close()
        served.raise_crashes()
