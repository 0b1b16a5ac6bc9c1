"""OAuth: begin, the fake provider page, the fake MoonKey callback and VerifyOAuthToken.

The flows run browser-less over the test client: begin -> GET the provider page -> POST the
form -> follow the redirects -> the token from the final Location -> verify.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server import ControllableClock
from mock_server.domain.oauth import mint_token
from mock_server.errors import ApiError
from mock_server.models import App
from mock_server.state import MockState
from tests.helpers import Api, assert_error, login

VERIFY = "/v1/auth/oauth/verify"
LOGIN_URL = "https://app.example/login"
REGISTER_URL = "https://app.example/register"
SHAPES = {
    "google": ("/idp/google/o/oauth2/auth", "openid email profile"),
    "apple": ("/idp/apple/auth/authorize", "name email"),
    "microsoft": ("/idp/microsoft/common/oauth2/v2.0/authorize", "openid email profile"),
    "discord": ("/idp/discord/oauth2/authorize", "identify email"),
    "github": ("/idp/github/login/oauth/authorize", "read:user user:email"),
}


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _begin(client: FlaskClient, state: MockState, provider: str = "google", **query: Any) -> str:
    query.setdefault("login_redirect_url", LOGIN_URL)
    query.setdefault("registration_redirect_url", REGISTER_URL)
    reply = client.get(
        f"/v1/auth/oauth/{provider}/begin",
        query_string={"public_token": state.default_app().public_token, **query},
    )
    assert reply.status_code == 200, reply.get_json()
    url: str = reply.get_json()["redirect_url"]
    return url


def _follow(client: FlaskClient, response: TestResponse) -> str:
    """Follow redirects while they stay on the fake; the first Location that leaves it."""
    while response.status_code == 302:
        location = response.headers["Location"]
        if not location.startswith("http://localhost/"):
            return location
        response = client.get(location)
    raise AssertionError(f"no redirect off the fake: {response.status_code} {response.data!r}")


def _login_page(
    client: FlaskClient, state: MockState, provider: str = "google", **form: str
) -> str:
    """Begin, open the provider page, submit it; the URL the browser lands on."""
    url = _begin(client, state, provider)
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="email"' in page.data
    return _follow(client, client.post(url, data={"action": "consent", **form}))


def _token(landing: str) -> str:
    return _query(landing)["token"]


@pytest.mark.parametrize("provider", list(SHAPES))
def test_begin_oauth_redirect_url_shape(
    client: FlaskClient, state: MockState, provider: str
) -> None:
    url = _begin(client, state, provider)
    path, scope = SHAPES[provider]
    parts, params = urlsplit(url), _query(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", path)
    assert params["redirect_uri"] == f"http://localhost/v1/auth/oauth/{provider}/callback"
    assert (params["response_type"], params["scope"]) == ("code", scope)
    assert params["state"].startswith(f"{provider}-")
    assert params["client_id"]
    assert list(params) == sorted(params)


def test_begin_google_oauth_client_id_shape(client: FlaskClient, state: MockState) -> None:
    params = _query(_begin(client, state, "google"))
    assert params["client_id"].endswith(".apps.googleusercontent.com")
    assert params["access_type"] == "offline"


def test_begin_github_oauth_redirect_true(client: FlaskClient, state: MockState) -> None:
    token = state.default_app().public_token
    reply = client.get(
        "/v1/auth/oauth/github/begin", query_string={"public_token": token, "redirect": "true"}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == reply.get_json()["redirect_url"]
    assert "scope=read%3Auser+user%3Aemail" in reply.headers["Location"]


def test_begin_google_oauth_invalid_public_token(client: FlaskClient, state: MockState) -> None:
    path = "/v1/auth/oauth/google/begin"
    bad = client.get(path, query_string={"public_token": "pk_test_nope"})
    assert_error(bad, 401, "invalid_public_token")
    secret = client.get(path, query_string={"public_token": state.default_app().secret_keys[0]})
    assert_error(secret, 401, "invalid_public_token")
    assert_error(client.get(path), 400, "validation_error", "public_token")


def test_begin_google_oauth_missing_redirect_url(client: FlaskClient, state: MockState) -> None:
    state.store.put_app(replace(state.default_app(), default_redirect_url=None))
    reply = client.get(
        "/v1/auth/oauth/google/begin",
        query_string={"public_token": state.default_app().public_token},
    )
    assert_error(reply, 400, "missing_redirect_url")


def test_oauth_flow_new_user_lands_on_registration_url(
    client: FlaskClient, api: Api, state: MockState
) -> None:
    landing = _login_page(client, state, email="new@example.com", name="Ada Lovelace")
    assert landing.startswith(REGISTER_URL + "?token=")
    assert len(_token(landing)) == 64
    body = api.post(VERIFY, {"token": _token(landing), "session_expires_in": 60}).get_json()
    assert body["provider"] == "google"
    user = body["user"]
    assert (user["email"], user["first_name"], user["last_name"]) == (
        "new@example.com",
        "Ada",
        "Lovelace",
    )
    assert (user["status"], user["emails"][0]["verified"]) == ("active", True)
    [link] = user["idp_providers"]
    assert (link["provider"], link["provider_subject"]) == ("google", body["provider_subject"])
    assert body["method_id"] == link["id"]
    assert body["session"]["factors"][0]["delivery_channel"] == "google_oauth"
    assert body["session"]["factors"][0]["method"]["provider_subject"] == link["provider_subject"]
    assert body["session"]["expires_at"] - body["session"]["started_at"] == 3600
    assert "idp_session" not in body


def test_oauth_flow_existing_user_lands_on_login_url(
    client: FlaskClient, api: Api, state: MockState
) -> None:
    known = login(api, state, "user@example.com")["user"]
    landing = _login_page(client, state, "github", email="user@example.com")
    assert landing.startswith(LOGIN_URL + "?token=")
    body = api.post(VERIFY, {"token": _token(landing)}).get_json()
    assert body["user_id"] == known["user_id"]
    assert [p["provider"] for p in body["user"]["idp_providers"]] == ["github"]


def test_oauth_flow_again_reuses_link(client: FlaskClient, api: Api, state: MockState) -> None:
    first = api.post(VERIFY, {"token": _token(_login_page(client, state))}).get_json()
    landing = _login_page(client, state)
    assert landing.startswith(LOGIN_URL)
    second = api.post(VERIFY, {"token": _token(landing)}).get_json()
    assert second["user_id"] == first["user_id"]
    assert second["user"]["idp_providers"] == first["user"]["idp_providers"]
    assert second["user"]["email"] == "user@example.com"


def test_oauth_flow_custom_subject(client: FlaskClient, api: Api, state: MockState) -> None:
    landing = _login_page(client, state, "discord", provider_subject="80351110224678912")
    body = api.post(VERIFY, {"token": _token(landing)}).get_json()
    assert body["provider_subject"] == "80351110224678912"


def test_oauth_flow_apple_callback_accepts_form_post(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state, "apple")
    consent = client.post(url, data={})
    callback = urlsplit(consent.headers["Location"])
    posted = client.post(callback.path, data=_query(consent.headers["Location"]))
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith(REGISTER_URL + "?token=")


def test_oauth_flow_deny(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state)
    denied = client.post(url, data={"action": "deny"})
    callback = denied.headers["Location"]
    landing = _follow(client, denied)
    assert landing.startswith(LOGIN_URL + "?")
    params = _query(landing)
    assert params["error"] == "access_denied"
    assert params["error_description"]
    assert "token" not in params
    assert_error(client.get(callback), 400, "invalid_state")


def test_oauth_page_unknown_state(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state).replace("state=google-", "state=google-x")
    assert_error(client.get(url), 400, "invalid_state")
    assert_error(client.post(url, data={}), 400, "invalid_state")
    path = urlsplit(url).path
    assert_error(client.get(path), 400, "invalid_state", "missing")


def test_oauth_page_unknown_provider(client: FlaskClient) -> None:
    assert_error(client.get("/idp/okta/oauth2/authorize"), 400, "unsupported_provider")
    callback = client.get("/v1/auth/oauth/okta/callback?state=okta-1&code=2")
    assert_error(callback, 400, "unsupported_provider")


def test_oauth_page_wrong_path(client: FlaskClient) -> None:
    assert_error(client.get("/idp/google/elsewhere"), 404, "not_found")


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("client_id=", "client_id=x", "invalid_client"),
        ("redirect_uri=http", "redirect_uri=https", "redirect_uri_mismatch"),
        ("response_type=code", "response_type=token", "unsupported_response_type"),
    ],
)
def test_oauth_page_wrong_parameters(
    client: FlaskClient, state: MockState, old: str, new: str, code: str
) -> None:
    assert_error(client.get(_begin(client, state).replace(old, new)), 400, code)


def test_oauth_page_state_of_other_provider(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state, "github")
    other = url.replace("/idp/github/login/oauth/authorize", "/idp/google/o/oauth2/auth")
    assert_error(client.get(other), 400, "invalid_state", "github")


def test_oauth_page_expired_state(
    client: FlaskClient, state: MockState, clock: ControllableClock
) -> None:
    url = _begin(client, state)
    clock.shift(timedelta(minutes=10))
    assert_error(client.get(url), 400, "invalid_state", "expired")


def test_oauth_page_answered_twice(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state)
    assert client.post(url, data={}).status_code == 302
    assert_error(client.post(url, data={}), 400, "invalid_state", "already")


def test_oauth_page_invalid_form(client: FlaskClient, state: MockState) -> None:
    url = _begin(client, state)
    assert_error(client.post(url, data={"email": "nope"}), 400, "validation_error")
    assert_error(client.post(url, data={"action": "maybe"}), 400, "validation_error")


def test_oauth_callback_wrong_code(client: FlaskClient, state: MockState) -> None:
    consent = client.post(_begin(client, state), data={})
    location = consent.headers["Location"]
    wrong = location.replace("code=", "code=x")
    assert_error(client.get(wrong), 400, "invalid_grant")
    assert client.get(location).status_code == 302


def test_verify_oauth_token_seed_example(client: FlaskClient, api: Api, state: MockState) -> None:
    code = _token(_login_page(client, state))
    reply = api.post(VERIFY, {"code": code, "session_expires_in": 10080})
    body = reply.get_json()
    assert reply.status_code == 200, body
    assert body["session"]["expires_at"] - body["session"]["started_at"] == 10080 * 60
    assert body["session_jwt"].startswith("eyJ")
    check = api.post("/v1/auth/sessions/verify", {"session_token": body["session_token"]})
    assert check.get_json()["user"]["user_id"] == body["user_id"]


def test_verify_oauth_token_single_use(client: FlaskClient, api: Api, state: MockState) -> None:
    token = _token(_login_page(client, state))
    assert api.post(VERIFY, {"token": token}).status_code == 200
    assert_error(api.post(VERIFY, {"token": token}), 400, "invalid_oauth_token")


def test_verify_oauth_token_unknown(api: Api) -> None:
    assert_error(api.post(VERIFY, {"token": "t" * 64}), 400, "invalid_oauth_token")


def test_verify_oauth_token_expired(
    client: FlaskClient, api: Api, state: MockState, clock: ControllableClock
) -> None:
    token = _token(_login_page(client, state))
    clock.shift(timedelta(minutes=10))
    assert_error(api.post(VERIFY, {"token": token}), 400, "invalid_oauth_token", "expired")


@pytest.mark.parametrize("payload", [{}, {"token": "a", "code": "a"}, {"token": ""}])
def test_verify_oauth_token_invalid_request(api: Api, payload: dict[str, Any]) -> None:
    assert_error(api.post(VERIFY, payload), 400, "validation_error")


def test_verify_oauth_token_other_app(client: FlaskClient, api: Api, state: MockState) -> None:
    other = App(
        app_id="app_" + "1" * 27,
        secret_keys=("sk_test_" + "p" * 48,),
        public_token="pk_test_" + "p" * 48,
        default_redirect_url=LOGIN_URL,
    )
    state.store.put_app(other)
    token = _token(_login_page(client, state))
    other_api = Api(client, other.secret_keys[0])
    assert_error(other_api.post(VERIFY, {"token": token}), 400, "invalid_oauth_token")
    assert api.post(VERIFY, {"token": token}).status_code == 200
    minted = mint_token(state, other, provider="google", email="user@example.com")
    body = other_api.post(VERIFY, {"token": minted.token}).get_json()
    assert body["user"]["app_id"] == other.app_id
    assert state.store.user_by_email(other.app_id, "user@example.com") is not None


def test_verify_oauth_token_idp_session(client: FlaskClient, api: Api, state: MockState) -> None:
    tokens = []
    for email in ("a@example.com", "b@example.com"):
        code = _token(_login_page(client, state, email=email))
        body = api.post(VERIFY, {"code": code, "session_type": "idp"}).get_json()
        idp = body["idp_session"]["idp"]
        assert idp["access_token"]
        assert idp["refresh_token"]
        tokens += [idp["access_token"], idp["refresh_token"]]
    assert len(set(tokens)) == 4


def test_verify_oauth_token_extends_session(
    client: FlaskClient, api: Api, state: MockState
) -> None:
    first = login(api, state, "user@example.com")
    token = _token(_login_page(client, state, email="user@example.com"))
    body = api.post(VERIFY, {"token": token, "session_jwt": first["session_jwt"]}).get_json()
    assert body["session"]["id"] == first["session"]["id"]
    assert [f["type"] for f in body["session"]["factors"]] == ["otp", "oauth"]


def test_verify_oauth_token_session_user_mismatch(
    client: FlaskClient, api: Api, state: MockState
) -> None:
    other = login(api, state, "other@example.com")
    token = _token(_login_page(client, state, email="user@example.com"))
    mismatch = api.post(VERIFY, {"token": token, "session_token": other["session_token"]})
    assert_error(mismatch, 400, "session_user_mismatch")
    assert api.post(VERIFY, {"token": token}).status_code == 200


def test_verify_oauth_token_no_session_mode(
    client: FlaskClient, api: Api, state: MockState
) -> None:
    state.store.put_app(replace(state.default_app(), default_session_minutes=None))
    body = api.post(VERIFY, {"token": _token(_login_page(client, state))}).get_json()
    assert (body["session"], body["session_token"], body["session_jwt"]) == (None, "", "")


def test_mint_token_links_existing_user(api: Api, state: MockState) -> None:
    user = login(api, state, "user@example.com")["user"]
    app = state.default_app()
    minted = mint_token(state, app, provider="microsoft", email="user@example.com", name="X Y")
    assert (len(minted.token), minted.user_id, minted.user_created) == (64, user["user_id"], False)
    again = mint_token(state, app, provider="microsoft", email="USER@example.com")
    assert again.provider_subject == minted.provider_subject
    custom = mint_token(
        state, app, provider="microsoft", email="x@example.com", provider_subject="s"
    )
    assert (custom.provider_subject, custom.user_created) == ("s", True)
    body = api.post(VERIFY, {"token": minted.token}).get_json()
    assert body["user"]["first_name"] == ""
    assert len(body["user"]["idp_providers"]) == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"provider": "okta"}, "unsupported_provider"), ({"email": "nope"}, "validation_error")],
)
def test_mint_token_invalid(state: MockState, fields: dict[str, str], code: str) -> None:
    arguments = {"provider": "google", "email": "user@example.com", **fields}
    with pytest.raises(ApiError) as raised:
        mint_token(state, state.default_app(), **arguments)
    assert raised.value.body()["error_type"] == code
