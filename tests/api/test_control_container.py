"""The container image's settings over real HTTP, on both servers (docs/decisions.md I1-I3).

The fake is built from the ``MOONKEY_MOCK_*`` lines of the ``Containerfile`` itself (bound to
``0.0.0.0``, control on, remote control allowed, the hostname trusted) plus a service name in
``MOONKEY_MOCK_ALLOWED_HOSTS``, and served on 127.0.0.1 (the Host header says which name a
client used). Loopback names, this machine's hostname and addresses and the allowed name reach
``/_mock/``; any other name and any foreign Origin are refused; an admin token, when set, is
required on every name.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.server import MockServer
from mock_server import MockConfig, create_app
from mock_server.clock import ControllableClock
from mock_server.config import exposure_warnings
from mock_server.hosts import is_loopback, own_names

CONTAINERFILE = Path(__file__).resolve().parents[2] / "Containerfile"
SERVICE = "moonkey"
TOKEN = "container-admin-token"
HOSTNAME = socket.gethostname().lower()


def image_env() -> dict[str, str]:
    """The ``MOONKEY_MOCK_*`` variables the Containerfile's ``ENV`` sets."""
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(re.findall(r"(MOONKEY_MOCK_\w+)=(\S+)", line))
    return found


def _config(**overrides: object) -> MockConfig:
    env = {**image_env(), "MOONKEY_MOCK_ALLOWED_HOSTS": SERVICE}
    return MockConfig.from_env(env, strict=True, random_seed="container", **overrides)


def _serve(config: MockConfig, kind: str) -> MockServer:
    app = create_app(config, clock=ControllableClock())
    return MockServer(app=app, threads=4, server=kind).start()


@pytest.fixture(scope="module", params=["waitress", "native"])
def server(request: pytest.FixtureRequest, signing_key_file: str) -> Iterator[MockServer]:
    running = _serve(_config(signing_key_file=signing_key_file), request.param)
    yield running
    running.stop()


def _host(server: MockServer, name: str) -> str:
    return f"{name}:{server.port}"


def _state(server: MockServer, name: str, **headers: str) -> requests.Response:
    headers["Host"] = _host(server, name)
    return requests.get(server.url + "/_mock/state", headers=headers, timeout=5)


def test_the_image_binds_every_interface_with_the_control_api_on() -> None:
    config = _config()
    assert config.host == "0.0.0.0"
    assert config.port == 8080
    assert config.control_enabled
    assert config.allow_hostname
    assert config.admin_token is None
    # Allowed without a token (I1); the published-key warning stays.
    assert any("published default secret key" in line for line in exposure_warnings(config))


def test_own_names_are_the_hostname_and_what_it_resolves_to() -> None:
    names = own_names()
    assert HOSTNAME.removesuffix(".") in names
    try:
        addresses = socket.gethostbyname_ex(HOSTNAME)[2]
    except OSError:
        addresses = []
    assert set(addresses) <= names


@pytest.mark.parametrize(
    "name",
    ["127.0.0.1", "localhost", "[::1]", HOSTNAME, HOSTNAME.upper(), SERVICE],
    ids=["127.0.0.1", "localhost", "::1", "hostname", "HOSTNAME", "service"],
)
def test_control_api_answers_loopback_the_hostname_and_allowed_names(
    server: MockServer, name: str
) -> None:
    reply = _state(server, name)
    assert reply.status_code == 200, reply.text
    assert "sk_test_" in reply.text


def test_control_api_answers_the_hostnames_addresses(server: MockServer) -> None:
    addresses = sorted(n for n in own_names() if n[:1].isdigit() and not is_loopback(n))
    if not addresses:
        pytest.skip(f"{HOSTNAME} resolves to no address other than loopback here")
    for address in addresses:
        reply = _state(server, address)
        assert reply.status_code == 200, (address, reply.text)


@pytest.mark.parametrize(
    "name",
    ["evil.example", f"{HOSTNAME}.evil.example", f"{SERVICE}.evil.example", "10.255.255.254"],
)
def test_control_api_refuses_other_names(server: MockServer, name: str) -> None:
    if name in own_names():
        pytest.skip(f"{name} is this machine's own name here")
    reply = _state(server, name)
    assert reply.status_code == 403, reply.text
    assert reply.json()["error_type"] == "host_not_allowed"
    assert "sk_test_" not in reply.text


@pytest.mark.parametrize("origin", ["http://evil.example", "https://moonkey.evil.example", "null"])
def test_control_api_refuses_a_foreign_origin(server: MockServer, origin: str) -> None:
    headers = {"Host": _host(server, SERVICE), "Origin": origin}
    reply = requests.post(server.url + "/_mock/reset", json={}, headers=headers, timeout=5)
    assert reply.status_code == 403, reply.text
    assert reply.json()["error_type"] == "cross_site_request"


def test_control_api_takes_its_own_origin_by_the_hostname(server: MockServer) -> None:
    headers = {"Host": _host(server, HOSTNAME), "Origin": f"http://{_host(server, HOSTNAME)}"}
    reply = requests.post(server.url + "/_mock/reset", json={}, headers=headers, timeout=5)
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("kind", ["waitress", "native"])
def test_without_allow_hostname_the_hostname_is_refused(kind: str, signing_key_file: str) -> None:
    if is_loopback(HOSTNAME) or HOSTNAME == SERVICE:
        pytest.skip(f"the hostname {HOSTNAME} is a loopback or allowed name anyway")
    running = _serve(_config(signing_key_file=signing_key_file, allow_hostname=False), kind)
    try:
        assert _state(running, HOSTNAME).status_code == 403
        assert _state(running, SERVICE).status_code == 200
    finally:
        running.stop()


@pytest.mark.parametrize("kind", ["waitress", "native"])
def test_an_admin_token_is_required_on_every_name(kind: str, signing_key_file: str) -> None:
    config = _config(signing_key_file=signing_key_file, admin_token=TOKEN)
    running = _serve(config, kind)
    try:
        for name in ("127.0.0.1", HOSTNAME, SERVICE):
            refused = _state(running, name)
            assert refused.status_code == 401, (name, refused.text)
            assert "sk_test_" not in refused.text
            wrong = _state(running, name, Authorization="Bearer not-the-token")
            assert wrong.status_code == 401, (name, wrong.text)
            taken = _state(running, name, Authorization=f"Bearer {TOKEN}")
            assert taken.status_code == 200, (name, taken.text)
        foreign = _state(running, "evil.example", Authorization=f"Bearer {TOKEN}")
        assert foreign.status_code == 403, foreign.text
    finally:
        running.stop()
