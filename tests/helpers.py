"""Helpers shared by the project's tests."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server.models import App, Factor, Session
from mock_server.state import MockState
from mock_server.store import loop_io


class Api:
    """A test client that sends the default app's secret key."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def post(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        """POST a JSON body."""
        return self.client.post(path, json=json, headers=self._headers(headers))

    def put(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        """PUT a JSON body."""
        return self.client.put(path, json=json, headers=self._headers(headers))

    def get(self, path: str, headers: dict[str, str] | None = None, **query: Any) -> TestResponse:
        """GET with query parameters."""
        return self.client.get(path, query_string=query, headers=self._headers(headers))

    def delete(
        self, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        """DELETE, with a JSON body when given."""
        return self.client.delete(path, json=json, headers=self._headers(headers))


def assert_error(response: TestResponse, status: int, code: str, contains: str = "") -> None:
    """The D9 envelope with ``status`` and ``code`` (and ``contains`` in the message)."""
    body = response.get_json()
    assert response.status_code == status, body
    assert body["status_code"] == status
    assert body["error_type"] == code
    assert body["error"] == {"code": code, "message": body["error_message"]}
    assert contains.lower() in body["error_message"].lower(), body["error_message"]


def login(api: Api, state: MockState, email: str, **verify: Any) -> dict[str, Any]:
    """Log ``email`` in through the real OTP flow; returns the VerifyOtp body."""
    sent = api.post("/v1/auth/otps/email/login_or_create", {"email": email})
    assert sent.status_code == 200, sent.get_json()
    message = state.outbox.latest(to=email)
    assert message is not None
    reply = api.post("/v1/auth/otps/verify", {"email": email, "code": message.code, **verify})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def data_path(name: str) -> Path:
    """A file under tests/data."""
    return Path(__file__).parent / "data" / name


def add_app(state: MockState, **settings: Any) -> App:
    """A second app with fresh keys (``settings`` override App fields), stored in the fake."""
    other = App(
        app_id=state.ids.new("app_"),
        secret_keys=("sk_test_" + state.ids.chars(48),),
        public_token="pk_test_" + state.ids.chars(48),
        created_at=state.now_ts(),
    )
    other = dataclasses.replace(other, **settings)
    state.store.put_app(other)
    return other


def latest_code(state: MockState, to: str) -> str:
    """The passcode of the newest message the fake "sent" to ``to``."""
    message = state.outbox.latest(to=to)
    assert message is not None, f"nothing was sent to {to}"
    return message.code


def session_record(name: str, app_id: str, user_id: str = "user_1", active: int = 0) -> Session:
    """A stored session ``sess_{name}`` (token ``token_{name}``) with one email factor."""
    factor = Factor("email", "otp", "email_x", "email", 0)
    return Session(
        session_id=f"sess_{name}",
        app_id=app_id,
        user_id=user_id,
        token=f"token_{name}",
        started_at=0,
        expires_at=10**9,
        last_active_at=active,
        updated_at=active,
        created_at=0,
        factors=(factor,),
    )


def run_spawned(loop: asyncio.AbstractEventLoop, *calls: Any) -> list[Any]:
    """Spawn each ``(function, *args)`` on ``loop`` (:func:`loop_io.spawn`) and run the loop
    until all end; their results, an error as its value."""

    async def main() -> list[Any]:
        futures = [loop_io.spawn(loop, call, *args) for call, *args in calls]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    return loop.run_until_complete(main())
