"""GET /_mock/passkey: the browser page for WebAuthn (served with the control API only)."""

from __future__ import annotations

from flask.testing import FlaskClient

from mock_server import MockConfig, create_app


def test_passkey_page_is_served_with_the_control_api(client: FlaskClient) -> None:
    reply = client.get("/_mock/passkey?key=sk_test_x&user_id=user_x")
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    assert "navigator.credentials.create" in page
    assert "navigator.credentials.get" in page
    assert "sk_test_x" not in page  # the key stays in the query string, read by the script


def test_passkey_page_is_off_without_the_control_api(config: MockConfig) -> None:
    app = create_app(config.with_(control=False))
    reply = app.test_client().get("/_mock/passkey")
    assert reply.status_code == 404
