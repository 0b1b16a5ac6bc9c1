"""Which names a ``Host`` or ``Origin`` header may give for this fake (docs/decisions.md G1-G4).

The control API hands out every key and code, so a page on another site must never reach it
through DNS rebinding: a name the page's author controls that resolves to 127.0.0.1. A name is
therefore allowed only when it *is* an address (parsed by :mod:`ipaddress`, never by prefix) or
is exactly one of the names the fake trusts: ``localhost``, the address it is bound to, and
``--allowed-hosts``. ``127.evil.example`` is a DNS name like any other and is refused.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable

LOOPBACK_NAMES = frozenset({"localhost"})
ANY_ADDRESS = frozenset({"0.0.0.0", "::"})  # noqa: S104 (names, not a bind)


def host_name(host_header: str) -> str:
    """The name part of a Host header (or an Origin's netloc): lower case, no port, no brackets.

    One trailing dot, the absolute form of a DNS name (``localhost.``), is dropped from names;
    an IPv6 literal keeps its brackets off (``[::1]:8080`` -> ``::1``). Empty when malformed.
    """
    host = host_header.strip().lower()
    if host.startswith("["):
        literal, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not _is_port(rest)):
            return ""
        return literal
    name, colon, port = host.rpartition(":")
    if colon and host.count(":") == 1:
        if not _is_port(":" + port):
            return ""
        host = name
    elif host.count(":") > 1:
        return ""  # an IPv6 address must be bracketed in a Host header (RFC 3986 §3.2.2)
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isascii() and text[1:].isdigit()


def ip_literal(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``name`` as an address when it is one in canonical form (``127.0.0.1``, ``::1``), else None.

    Shorthand and numeric forms (``127.1``, ``0x7f000001``, ``2130706433``) are not accepted:
    browsers canonicalize them to dotted decimal before sending a Host header (WHATWG URL
    standard, IPv4 parser), so only hand-made requests carry them, and refusing is the safe side.
    """
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bare name or address) names a loopback interface.

    ``localhost`` (RFC 6761 §6.3: it always resolves to loopback), any address in 127.0.0.0/8,
    ``::1`` and the IPv4-mapped ``::ffff:127.x.y.z``; never a DNS name that merely starts
    with ``127.``.
    """
    name = host.strip().lower().removesuffix(".")
    if name in LOOPBACK_NAMES:
        return True
    address = ip_literal(name.removeprefix("[").removesuffix("]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


@functools.cache
def own_names() -> frozenset[str]:
    """This machine's hostname and what it resolves to here (``--allow-hostname``, decision I2).

    In a container the hostname is the container's (its id, or ``--hostname``), and the
    engine writes it with the container's addresses into ``/etc/hosts``, so the lookup is
    local. Looked up once; a name that does not resolve gives the hostname alone.
    """
    hostname = socket.gethostname().strip().lower().removesuffix(".")
    names = {hostname}
    try:
        canonical, aliases, addresses = socket.gethostbyname_ex(hostname)
    except OSError:  # no entry and no resolver: the name itself is still this machine's
        return frozenset(name for name in names if name)
    names.update(n.lower().removesuffix(".") for n in (canonical, *aliases))
    names.update(addresses)
    return frozenset(name for name in names if name)


def names_this_fake(host_header: str, bound: str, extra: Iterable[str]) -> bool:
    """Whether a Host header names this fake: loopback, the bound address, or an allowed name.

    ``bound`` is the address the fake listens on (``0.0.0.0`` and ``::`` name no host);
    ``extra`` the ``--allowed-hosts`` names, where ``*`` allows any.
    """
    name = host_name(host_header)
    if not name:
        return False
    allowed = {n.strip().lower().removesuffix(".") for n in extra}
    if "*" in allowed or name in allowed or is_loopback(name):
        return True
    bound_name = bound.strip().lower().removesuffix(".")
    return name == bound_name and bound_name not in ANY_ADDRESS
