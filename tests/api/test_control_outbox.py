"""Control API: the outbox (GET/DELETE /_mock/outbox) over HTTP and in-process."""

from __future__ import annotations

import threading
import time

import pytest
from flask.testing import FlaskClient

from mock_server.control.inprocess import Controls
from tests.helpers import Api, assert_error

SEND = "/v1/auth/otps/email/login_or_create"


def _send(api: Api, email: str) -> None:
    assert api.post(SEND, {"email": email}).status_code == 200


def test_list_outbox_newest_first_with_filters(api: Api, client: FlaskClient) -> None:
    _send(api, "ann@example.com")
    _send(api, "bob@example.com")
    _send(api, "ann@example.com")
    every = client.get("/_mock/outbox").get_json()["messages"]
    assert [m["to"] for m in every] == ["ann@example.com", "bob@example.com", "ann@example.com"]
    assert every[0]["kind"] == "otp"
    assert len(every[0]["code"]) == 6
    ann = client.get("/_mock/outbox", query_string={"to": "ANN@example.com"}).get_json()
    assert [m["id"] for m in ann["messages"]] == [every[0]["id"], every[2]["id"]]
    none = client.get("/_mock/outbox", query_string={"kind": "magic_link"}).get_json()
    assert none == {"messages": []}


def test_list_outbox_is_scoped_by_app(api: Api, client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app()
    _send(api, "ann@example.com")
    _send(Api(client, other["secret_key"]), "ann@example.com")
    default_id = mock.state.config.app_id
    assert [m["app_id"] for m in mock.outbox(app_id=other["app_id"])] == [other["app_id"]]
    assert [m["app_id"] for m in mock.outbox(app_id=default_id)] == [default_id]
    assert len(mock.outbox()) == 2  # no app_id: every app
    assert len(mock.outbox(app_id="*")) == 2


def test_list_outbox_wait_returns_when_a_message_arrives(api: Api, mock: Controls) -> None:
    def send_later() -> None:
        assert mock.state.outbox.wait_until_waiting(1, timeout=10)  # the control call blocks
        _send(api, "late@example.com")

    sender = threading.Thread(target=send_later)
    started = time.perf_counter()
    sender.start()
    found = mock.outbox("late@example.com", wait=10)
    sender.join()
    assert [m["to"] for m in found] == ["late@example.com"]
    assert time.perf_counter() - started < 5


def test_list_outbox_wait_with_after_waits_for_a_newer_message(
    api: Api, client: FlaskClient, mock: Controls
) -> None:
    _send(api, "ann@example.com")
    sender = threading.Thread(target=lambda: _send(api, "ann@example.com"))
    sender.start()
    reply = client.get(
        "/_mock/outbox", query_string={"to": "ann@example.com", "wait": "5", "after": "1"}
    )
    sender.join()
    assert len(reply.get_json()["messages"]) == 2


def test_list_outbox_wait_gives_up_after_the_wait(client: FlaskClient) -> None:
    started = time.perf_counter()
    reply = client.get("/_mock/outbox", query_string={"to": "x@example.com", "wait": "0.05"})
    assert reply.get_json() == {"messages": []}
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"wait": "soon"}, "wait"),
        ({"wait": "-1"}, "wait"),
        ({"wait": "nan"}, "wait"),
        ({"after": "-2"}, "after"),
    ],
)
def test_list_outbox_bad_query_is_400(
    client: FlaskClient, query: dict[str, str], message: str
) -> None:
    assert_error(client.get("/_mock/outbox", query_string=query), 400, "validation_error", message)


def test_list_outbox_unknown_app_is_404(client: FlaskClient) -> None:
    reply = client.get("/_mock/outbox", query_string={"app_id": "app_nope"})
    assert_error(reply, 404, "app_not_found", "app_nope")


def test_clear_outbox_all_or_one_app(api: Api, client: FlaskClient, mock: Controls) -> None:
    other = mock.create_app()
    _send(api, "ann@example.com")
    _send(Api(client, other["secret_key"]), "ann@example.com")
    one = client.delete("/_mock/outbox", query_string={"app_id": other["app_id"]}).get_json()
    assert one["deleted"] == 1
    assert [m["app_id"] for m in mock.outbox()] == [mock.state.config.app_id]
    assert mock.clear_outbox()["deleted"] == 1
    assert mock.outbox() == []
