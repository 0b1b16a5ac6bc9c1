"""Bad input of every kind gets the D9 envelope with the right status, never a 500 (D9, D18)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server import ControllableClock, MockConfig, create_app, state_of
from mock_server.domain import users as users_domain
from mock_server.spec import load_spec
from mock_server.state import MockState
from tests.helpers import Api, add_app, assert_error

ISSUE_TAGS = {"sessions", "otps", "users"}
OPERATIONS = [op for op in load_spec().operations.values() if op.tag in ISSUE_TAGS]
BODY_OPS = [op for op in OPERATIONS if op.body_pointer is not None]
JSON = {"Content-Type": "application/json"}


def _send(api: Api, op: Any, data: Any, headers: dict[str, str] | None = None) -> Any:
    auth = {"Authorization": f"Bearer {api.key}", **(headers or {})}
    return api.client.open(op.path, method=op.method, data=data, headers=auth)


def _path(op: Any) -> str:
    return str(op.path).replace("{user_id}", "user_x").replace("{app_id}", "app_x")


body_ops = pytest.mark.parametrize("op", BODY_OPS, ids=lambda op: op.operation_id)
required_body_ops = pytest.mark.parametrize(
    "op", [op for op in BODY_OPS if op.body_required], ids=lambda op: op.operation_id
)
all_ops = pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)


# --- the body itself -------------------------------------------------------------------


@body_ops
def test_body_operation_malformed_json_is_400(api: Api, op: Any) -> None:
    reply = _send(api, op, '{"email": ', JSON)
    assert_error(reply, 400, "invalid_json", "The request body is not valid JSON")


@body_ops
@pytest.mark.parametrize("data", ["[]", '[{"email": "a@b.co"}]', '"text"', "42", "null", "true"])
def test_body_operation_non_object_json_is_400(api: Api, op: Any, data: str) -> None:
    reply = _send(api, op, data, JSON)
    assert_error(reply, 400, "validation_error", "The body must be a JSON object")


@body_ops
@pytest.mark.parametrize(
    ("content_type", "shown"),
    [("text/plain", "text/plain"), ("application/x-www-form-urlencoded", "form"), ("", "none")],
)
def test_body_operation_wrong_content_type_is_415(
    api: Api, op: Any, content_type: str, shown: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = _send(api, op, '{"email": "a@b.co"}', headers)
    assert_error(reply, 415, "unsupported_media_type", "Content-Type must be application/json")
    assert_error(reply, 415, "unsupported_media_type", shown)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd+json"]
)
def test_create_user_json_content_type_variants_are_accepted(api: Api, content_type: str) -> None:
    headers = {"Content-Type": content_type, **_auth(api)}
    reply = api.client.post("/v1/auth/users/create", data='{"email": "a@b.co"}', headers=headers)
    assert reply.status_code == 200, reply.get_json()


@required_body_ops
@pytest.mark.parametrize("data", ["", "   \n"])
def test_body_operation_empty_body_is_400(api: Api, op: Any, data: str) -> None:
    reply = _send(api, op, data, JSON)
    assert_error(reply, 400, "validation_error", "Missing request body")


@body_ops
def test_body_operation_unknown_field_is_400_naming_it(api: Api, op: Any) -> None:
    reply = _send(api, op, '{"bogus_field": 1}', JSON)
    assert_error(reply, 400, "validation_error", "Unknown body field 'bogus_field'")


@body_ops
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_body_operation_non_json_constant_is_400(api: Api, op: Any, constant: str) -> None:
    reply = _send(api, op, f'{{"limit": {constant}}}', JSON)
    assert_error(reply, 400, "invalid_json", f"{constant} is not valid JSON")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"session_token": "\xff\xfe"}', "not valid JSON"),
        ('{"session_token": ' + "[" * 100_000, "nested too deeply"),
        ('{"session_token": ' + "9" * 5000 + "}", "not valid JSON"),
        ("{'session_token': 'x'}", "not valid JSON"),
        ('{"session_token": "x",}', "not valid JSON"),
    ],
    ids=["bad-utf8", "deep-nesting", "huge-integer", "single-quotes", "trailing-comma"],
)
def test_verify_session_unparseable_body_is_400(api: Api, data: str | bytes, message: str) -> None:
    reply = api.client.post("/v1/auth/sessions/verify", data=data, headers={**JSON, **_auth(api)})
    assert_error(reply, 400, "invalid_json", message)


def _auth(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/auth/sessions/verify", {"session_token": 123}, "'session_token': expected a string"),
        ("/v1/auth/sessions/verify", {"session_token": ["x"]}, 'got ["x"]'),
        ("/v1/auth/users/create", {"email": True}, "'email': expected a string, got true"),
        ("/v1/auth/users/search", {"limit": "10"}, "'limit': expected an integer"),
        ("/v1/auth/users/search", {"filters": []}, "'filters': expected an object, got []"),
        ("/v1/auth/otps/email/send", {"email": "a@b.co", "device_fingerprint": "x"}, "object"),
        (
            "/v1/auth/otps/email/send",
            {"email": "a@b.co", "device_fingerprint": {"ip": 1}},
            "'device_fingerprint.ip': expected a string",
        ),
        (
            "/v1/auth/otps/email/send",
            {"email": "a@b.co", "device_fingerprint": {"mac": "x"}},
            "Unknown body field 'device_fingerprint.mac'",
        ),
        ("/v1/auth/otps/email/send", {"email": None}, "'email': expected a string, got null"),
    ],
)
def test_body_operation_wrong_type_is_400_naming_the_field(
    api: Api, path: str, body: dict[str, Any], message: str
) -> None:
    assert_error(api.post(path, body), 400, "validation_error", message)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/auth/otps/email/send", {"email": "a@b.co", "expires_in": 11}, "maximum of 10"),
        ("/v1/auth/otps/sms/send", {"phone_number": "+1415", "expires_in": 0}, "minimum of 1"),
        ("/v1/auth/users/search", {"limit": 101}, "'limit': 101 is greater than the maximum"),
        ("/v1/auth/sessions/verify", {"session_token": "x", "session_expires_in": 0}, "minimum"),
        ("/v1/auth/otps/email/send", {"email": "a" * 5}, "'email'"),
        ("/v1/auth/otps/sms/send", {"phone_number": "+0123"}, "'phone_number'"),
    ],
)
def test_body_operation_out_of_range_is_400_naming_the_field(
    api: Api, path: str, body: dict[str, Any], message: str
) -> None:
    assert_error(api.post(path, body), 400, "validation_error", message)


def test_verify_session_number_beyond_float_range_is_400(api: Api) -> None:
    data = '{"session_token": "x", "session_expires_in": 1e400}'
    reply = api.client.post("/v1/auth/sessions/verify", data=data, headers={**JSON, **_auth(api)})
    assert_error(reply, 400, "validation_error", "'session_expires_in': expected an integer")


def test_list_sessions_bad_query_is_400(api: Api) -> None:
    assert_error(api.get("/v1/auth/sessions/list", user_id=""), 400, "validation_error", "user_id")


# --- routing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/auth/nope"),
        ("POST", "/v1"),
        ("POST", "/v1/auth/sessions/verify/"),
        ("GET", "/v1/auth/users/user_x/delete/extra"),
    ],
)
def test_unknown_path_is_404_not_found(client: FlaskClient, method: str, path: str) -> None:
    reply = client.open(path, method=method)
    assert_error(reply, 404, "not_found", f"No endpoint {method} {path}")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/auth/sessions/verify", "POST"),
        ("POST", "/v1/auth/sessions/list", "GET"),
        ("PUT", "/v1/auth/users/create", "POST"),
        ("POST", "/v1/auth/sessions/delete", "DELETE"),
        ("DELETE", "/v1/auth/users/user_x", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(api: Api, method: str, path: str, allowed: str) -> None:
    reply = api.client.open(path, method=method, headers=_auth(api))
    assert_error(reply, 405, "method_not_allowed", f"{method} is not allowed on {path}")
    assert allowed in reply.headers["Allow"].split(", ")
    assert method not in reply.headers["Allow"]


@pytest.fixture
def small_app(config: MockConfig, clock: ControllableClock) -> Iterator[Flask]:
    """A fake that accepts request bodies of at most 256 bytes."""
    flask_app = create_app(config.with_(max_body_bytes=256), clock=clock)
    yield flask_app
    crashes = state_of(flask_app).take_crashes()
    if crashes:
        raise crashes[0]


@pytest.mark.parametrize("size", [257, 100_000])
def test_create_user_oversize_body_is_413(small_app: Flask, size: int) -> None:
    state = state_of(small_app)
    api = Api(small_app.test_client(), state.default_app().secret_keys[0])
    padding = "x" * (size - len('{"email": "a@b.co", "first_name": ""}'))
    reply = api.post("/v1/auth/users/create", {"email": "a@b.co", "first_name": padding})
    assert_error(reply, 413, "request_too_large", "too large")
    assert api.post("/v1/auth/users/create", {"email": "a@b.co"}).status_code == 200


def test_verify_session_handler_crash_is_500_envelope_without_traceback(
    api: Api, state: MockState, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(users_domain, "get", boom)
    reply = api.get("/v1/auth/users/user_x")
    assert_error(reply, 500, "internal_error", "Internal server error")
    assert "secret internals" not in reply.get_data(as_text=True)
    [crash] = state.take_crashes()  # recorded for the test fixture; consumed here
    assert isinstance(crash, RuntimeError)


# --- API keys (D18) --------------------------------------------------------------------


@all_ops
def test_operation_without_api_key_is_401(client: FlaskClient, op: Any) -> None:
    reply = client.open(_path(op), method=op.method, json={})
    assert_error(reply, 401, "unauthorized", "Missing API key")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <secret API key>'"),
        ("Bearer", "must be 'Bearer <secret API key>'"),
        ("Bearer    ", "must be 'Bearer <secret API key>'"),
        ("Token sk_test_abc", "must be 'Bearer <secret API key>'"),
        ("Bearer sk_bad_abc", "Malformed API key"),
        ("Bearer abc", "Malformed API key"),
        ("Bearer sk_test_" + "x" * 48, "Unknown or revoked API key"),
        ("Bearer sk_live_" + "x" * 48, "Unknown or revoked API key"),
    ],
)
def test_get_user_bad_authorization_is_401(client: FlaskClient, header: str, message: str) -> None:
    reply = client.get("/v1/auth/users/user_x", headers={"Authorization": header})
    assert_error(reply, 401, "unauthorized", message)


def test_get_user_public_token_is_401_public_token_not_allowed(
    client: FlaskClient, state: MockState
) -> None:
    token = state.default_app().public_token
    reply = client.get("/v1/auth/users/user_x", headers={"Authorization": f"Bearer {token}"})
    assert_error(reply, 401, "public_token_not_allowed", "public token cannot be used here")


def test_get_user_lowercase_bearer_scheme_is_accepted(api: Api) -> None:
    reply = api.client.get("/v1/auth/users/user_x", headers={"Authorization": f"bearer {api.key}"})
    assert_error(reply, 404, "user_not_found", "user_x")


def test_create_user_auth_is_checked_before_the_body(client: FlaskClient) -> None:
    reply = client.post("/v1/auth/users/create", data="{not json", headers=JSON)
    assert_error(reply, 401, "unauthorized", "Missing API key")


def test_get_user_revoked_key_is_401(api: Api, state: MockState) -> None:
    fresh = "sk_live_" + "r" * 48
    state.store.put_app(dataclasses.replace(state.default_app(), secret_keys=(fresh,)))
    assert_error(api.get("/v1/auth/users/user_x"), 401, "unauthorized", "Unknown or revoked")
    live = Api(api.client, fresh)
    assert_error(live.get("/v1/auth/users/user_x"), 404, "user_not_found", "user_x")


def test_get_user_key_of_another_app_acts_for_that_app(api: Api, state: MockState) -> None:
    other = Api(api.client, add_app(state).secret_keys[0])
    user_id = other.post("/v1/auth/users/create", {"email": "a@b.co"}).get_json()["user_id"]
    assert other.get(f"/v1/auth/users/{user_id}").status_code == 200
    assert_error(api.get(f"/v1/auth/users/{user_id}"), 404, "user_not_found", user_id)


def test_error_responses_are_json_and_stamped_with_the_fake_time(client: FlaskClient) -> None:
    for reply in (client.get("/nope"), client.get("/v1/auth/users/user_x")):
        assert reply.mimetype == "application/json"
        assert float(reply.headers["X-Moonkey-Mock-Now"]) > 0


def test_a_deeply_nested_body_is_400_whatever_the_recursion_limit(api: Api) -> None:
    # py_ecc raises the limit to 100,000 when imported (W9); json would then overflow the C
    # stack on this body (the process crashed) instead of raising RecursionError.
    data = '{"session_token": ' + "[" * 100_000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        reply = api.client.post(
            "/v1/auth/sessions/verify", data=data, headers={**JSON, **_auth(api)}
        )
    finally:
        sys.setrecursionlimit(limit)
    assert_error(reply, 400, "invalid_json", "nested too deeply")
