"""Control calls with a malformed ``app_id`` filter answer a documented 400, never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.helpers import assert_error

EMPTY_APP_ID = [
    ("GET", "/_mock/state"),
    ("GET", "/_mock/faults"),
    ("DELETE", "/_mock/faults"),
    ("DELETE", "/_mock/outbox"),
    ("DELETE", "/_mock/requests"),
]


@pytest.mark.parametrize(("method", "path"), EMPTY_APP_ID)
def test_control_empty_app_id_is_400(client: FlaskClient, method: str, path: str) -> None:
    reply = client.open(path, method=method, query_string={"app_id": ""})
    assert_error(reply, 400, "validation_error", "app_id")


def test_control_spec_is_served_as_yaml(client: FlaskClient) -> None:
    reply = client.get("/_mock/openapi.yaml")
    assert reply.status_code == 200
    assert reply.mimetype == "application/yaml"
    assert b"openapi: 3.1" in reply.data
