"""The control API's Host and Origin guard over real HTTP, on both servers (decisions G1-G4).

A page on a name its author controls (``127.evil.example`` resolving to 127.0.0.1) must not
read ``/_mock/state``, reset the fake or open the dashboard; loopback addresses, ``localhost``
and the allowed names must. Each name is tried as the ``Host`` of ``GET /_mock/state`` and of
the dashboard, and as the ``Origin`` of ``POST /_mock/reset``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from conformance.server import MockServer
from mock_server import MockConfig, create_app
from mock_server.clock import ControllableClock
from mock_server.hosts import host_name, is_loopback, names_this_fake

# (name as a client writes it, allowed?)
NAMES = [
    ("127.0.0.1", True),
    ("127.0.0.2", True),
    ("localhost", True),
    ("LOCALHOST", True),
    ("localhost.", True),
    ("[::1]", True),
    ("[::ffff:127.0.0.1]", True),
    ("[::ffff:7f00:1]", True),
    ("mock.internal", True),  # --allowed-hosts
    ("MOCK.INTERNAL.", True),
    ("127.evil.example", False),
    ("127.EVIL.EXAMPLE", False),
    ("127.0.0.1.nip.io", False),
    ("127.0.0.1.nip.io.", False),
    ("localhost.evil.example", False),
    ("evil.example", False),
    ("0x7f000001", False),
    ("2130706433", False),
    ("127.1", False),
    ("[::2]", False),
    ("mock.internal.evil.example", False),
]
IDS = [name for name, _ in NAMES]


@pytest.fixture(scope="module", params=["waitress", "native"])
def server(request: pytest.FixtureRequest, signing_key_file: str) -> Iterator[MockServer]:
    """One fake per server kind on 127.0.0.1, with ``--allowed-hosts mock.internal``."""
    config = MockConfig(
        strict=True,
        random_seed="hosts",
        signing_key_file=signing_key_file,
        allowed_hosts="mock.internal",
    )
    app = create_app(config, clock=ControllableClock())
    running = MockServer(app=app, threads=4, server=request.param).start()
    yield running
    running.stop()


def _host(server: MockServer, name: str) -> str:
    return f"{name}:{server.url.rsplit(':', 1)[1].rstrip('/')}"


def _expect(reply: requests.Response, allowed: bool, code: str) -> None:
    if allowed:
        assert reply.status_code == 200, reply.text
    else:
        assert reply.status_code == 403, reply.text
        assert reply.json()["error_type"] == code


@pytest.mark.parametrize(("name", "allowed"), NAMES, ids=IDS)
def test_get_state_host_is_an_address_or_an_exact_name(
    server: MockServer, name: str, allowed: bool
) -> None:
    reply = requests.get(
        server.url + "/_mock/state", headers={"Host": _host(server, name)}, timeout=5
    )
    _expect(reply, allowed, "host_not_allowed")
    if not allowed:
        assert "sk_test_" not in reply.text


@pytest.mark.parametrize(("name", "allowed"), NAMES, ids=IDS)
def test_reset_origin_is_an_address_or_an_exact_name(
    server: MockServer, name: str, allowed: bool
) -> None:
    origin = f"http://{_host(server, name)}"
    headers = {"Origin": origin}
    reply = requests.post(server.url + "/_mock/reset", json={}, headers=headers, timeout=5)
    _expect(reply, allowed, "cross_site_request")


@pytest.mark.parametrize(("name", "allowed"), NAMES, ids=IDS)
def test_dashboard_host_is_an_address_or_an_exact_name(
    server: MockServer, name: str, allowed: bool
) -> None:
    reply = requests.get(server.url + "/_mock/ui", headers={"Host": _host(server, name)}, timeout=5)
    _expect(reply, allowed, "host_not_allowed")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8080", "127.0.0.1"),
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("Localhost.:80", "localhost"),
        ("::1", ""),  # an IPv6 literal must be bracketed
        ("[::1", ""),
        ("[::1]x", ""),
        ("localhost:port", ""),
        ("", ""),
    ],
)
def test_host_name_strips_port_brackets_case_and_one_trailing_dot(header: str, name: str) -> None:
    assert host_name(header) == name


def test_is_loopback_parses_addresses_instead_of_matching_a_prefix() -> None:
    for name in ("127.0.0.1", "127.255.0.9", "::1", "localhost", "LOCALHOST."):
        assert is_loopback(name), name
    for name in ("127.evil.example", "0.0.0.0", "localhost.evil.example", "::2", "127.1"):
        assert not is_loopback(name), name


def test_names_this_fake_the_bound_address_but_never_the_any_address() -> None:
    assert names_this_fake("10.1.2.3:8080", "10.1.2.3", ())
    assert not names_this_fake("0.0.0.0:8080", "0.0.0.0", ())
    assert names_this_fake("anything.example", "10.1.2.3", ("*",))
