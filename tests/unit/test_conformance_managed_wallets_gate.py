"""Managed-wallet rules skip, with a reason, where a deployment does not serve them (M18)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from conformance.client import ApiClient
from conformance.gates import missing_managed_wallets
from conformance.server import MockServer
from mock_server import MockConfig


class _Without(http.server.BaseHTTPRequestHandler):
    """A MoonKey-like API without managed wallets: every path here is unknown (404 not_found)."""

    status = 404

    def do_POST(self) -> None:
        body = json.dumps({"status_code": self.status, "error_type": "not_found"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(params=[404, 405])
def without(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_Without,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_deployment_without_managed_wallets_gets_a_reason(without: str) -> None:
    api = ApiClient(without, "sk_test_x")
    reason = missing_managed_wallets(api)
    assert reason is not None
    assert "does not serve POST /v1/wallets/create" in reason
    assert "not user_not_found" in reason
    api.close()


def test_the_fake_serves_managed_wallets(signing_key_file: str) -> None:
    config = MockConfig(signing_key_file=signing_key_file, strict=True)
    with MockServer(config) as served:
        api = ApiClient(served.url, served.state.default_app().secret_keys[0])
        assert missing_managed_wallets(api) is None
        api.close()
        served.raise_crashes()
