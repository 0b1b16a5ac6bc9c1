"""Wallet-signing rules skip, with a reason, where a deployment does not sign (M33)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from conformance.client import ApiClient
from conformance.gates import missing_wallet_signing
from conformance.server import MockServer
from mock_server import MockConfig


class _NoSigning(http.server.BaseHTTPRequestHandler):
    """Managed wallets (CreateWallet knows no such user) but no signing paths (404 not_found);
    with ``managed = False``, no managed wallets at all."""

    managed = True

    def do_POST(self) -> None:
        known = self.managed and self.path == "/v1/wallets/create"
        status, code = (404, "user_not_found") if known else (404, "not_found")
        body = json.dumps({"status_code": status, "error_type": code}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(params=[True, False], ids=["managed-wallets-only", "no-managed-wallets"])
def target(request: pytest.FixtureRequest) -> Iterator[tuple[str, bool]]:
    handler = type("Handler", (_NoSigning,), {"managed": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", request.param
    server.shutdown()
    server.server_close()


def test_a_deployment_without_signing_gets_a_reason(target: tuple[str, bool]) -> None:
    url, managed = target
    api = ApiClient(url, "sk_test_x")
    reason = missing_wallet_signing(api)
    api.close()
    assert reason is not None
    if managed:
        assert "does not serve POST /v1/wallets/{wallet_id}/sign_message" in reason
        assert "not wallet_not_found" in reason
    else:
        assert reason.startswith("wallet signing (out of managed wallets)")


def test_the_fake_serves_wallet_signing(signing_key_file: str) -> None:
    config = MockConfig(signing_key_file=signing_key_file, strict=True)
    with MockServer(config) as served:
        api = ApiClient(served.url, served.state.default_app().secret_keys[0])
        assert missing_wallet_signing(api) is None
        api.close()
        served.raise_crashes()
