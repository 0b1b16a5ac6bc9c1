"""A strict parser of Sign-In with Ethereum messages (EIP-4361) and their Solana variant.

EIP-4361 (https://eips.ethereum.org/EIPS/eip-4361) gives the message grammar; the Solana
variant (§4.4, P-WNONCE) has the header ``… with your Solana account:``, a base58 address and
no ``Chain ID`` line. Why not the ``siwe`` package: decision W3 (it pulls in web3 and pins an
older eth-account, and its grammar has no Solana header). Every deviation raises
:class:`~mock_server.errors.InvalidSiweMessage` naming the line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any

from mock_server.errors import InvalidSiweMessage, InvalidWalletAddress

from .wallet_signatures import ETHEREUM, SOLANA, normalize_address

HEADER = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<domain>[^\s/?#@]+(?:@[^\s/?#@]+)?)"
    r" wants you to sign in with your (?P<chain>Ethereum|Solana) account:$"
)
ETH_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
SOL_ADDRESS = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
CHAIN_ID = re.compile(r"^[0-9]+$")
SOLANA_CHAIN_ID = re.compile(r"^[A-Za-z0-9:_-]+$")
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)
REQUEST_ID = re.compile(r"^[^\s]*$")
# Optional fields, in the only order EIP-4361 allows.
OPTIONAL = ("Expiration Time", "Not Before", "Request ID", "Resources")


@dataclass(frozen=True)
class SiweMessage:
    """The fields of a parsed message (times as unix seconds)."""

    chain: str
    scheme: str
    domain: str
    address: str
    statement: str | None
    uri: str
    version: str
    chain_id: str | None
    nonce: str
    issued_at: float
    expiration_time: float | None = None
    not_before: float | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = ()


def _bad(message: str) -> InvalidSiweMessage:
    return InvalidSiweMessage(f"Invalid body field 'siwe_challenge': {message}")


def _time(name: str, value: str) -> float:
    if not DATE_TIME.match(value):
        raise _bad(f"'{name}' must be an RFC 3339 date-time, got '{value}'")
    try:
        return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _bad(f"'{name}' is not a real date-time: '{value}'") from None


def _field(lines: list[str], at: int, name: str) -> str:
    prefix = f"{name}: "
    if at >= len(lines) or not lines[at].startswith(prefix):
        found = lines[at] if at < len(lines) else "the end of the message"
        raise _bad(f"expected line {at + 1} to be '{name}: …', found '{found[:60]}'")
    return lines[at][len(prefix) :]


def parse(text: str) -> SiweMessage:
    """Parse ``text`` strictly; :class:`InvalidSiweMessage` says what is wrong and where."""
    if "\r" in text:
        raise _bad("lines must end with LF only (no CR)")
    lines = text.split("\n")
    header = HEADER.match(lines[0])
    if header is None:
        raise _bad("line 1 must be '<domain> wants you to sign in with your Ethereum account:'")
    chain = ETHEREUM if header["chain"] == "Ethereum" else SOLANA
    address = lines[1] if len(lines) > 1 else ""
    _check_address(chain, address)
    at, statement = _statement(lines)
    uri = _field(lines, at, "URI")
    if not URI.match(uri):
        raise _bad(f"'URI' must be an RFC 3986 URI, got '{uri}'")
    version = _field(lines, at + 1, "Version")
    if version != "1":
        raise _bad(f"'Version' must be 1, got '{version}'")
    at += 2
    chain_id: str | None = None
    if chain == ETHEREUM or (at < len(lines) and lines[at].startswith("Chain ID: ")):
        chain_id = _field(lines, at, "Chain ID")
        pattern = CHAIN_ID if chain == ETHEREUM else SOLANA_CHAIN_ID
        if not pattern.match(chain_id):
            raise _bad(f"'Chain ID' is not valid: '{chain_id}'")
        at += 1
    nonce = _field(lines, at, "Nonce")
    if not NONCE.match(nonce):
        raise _bad("'Nonce' must be at least 8 letters and digits (EIP-4361)")
    issued_at = _time("Issued At", _field(lines, at + 1, "Issued At"))
    message = SiweMessage(
        chain=chain,
        scheme=header["scheme"] or "",
        domain=header["domain"],
        address=address,
        statement=statement,
        uri=uri,
        version=version,
        chain_id=chain_id,
        nonce=nonce,
        issued_at=issued_at,
    )
    return _optional(message, lines, at + 2)


def _check_address(chain: str, address: str) -> None:
    if chain == ETHEREUM:
        if not ETH_ADDRESS.match(address):
            raise _bad("line 2 must be the 0x-prefixed 40-hex-digit address")
        from eth_utils.address import is_checksum_address  # slow to import: on first SIWE only

        if not is_checksum_address(address):
            raise _bad("the address on line 2 must be EIP-55 checksummed (EIP-4361)")
    else:
        if not SOL_ADDRESS.match(address):
            raise _bad("line 2 must be the base58 Solana address")
        try:
            normalize_address(SOLANA, address)
        except InvalidWalletAddress:
            raise _bad("the address on line 2 is not a 32-byte base58 key") from None


def _statement(lines: list[str]) -> tuple[int, str | None]:
    """Where ``URI:`` starts, and the statement (EIP-4361: blank, [statement, blank], ...).

    Without a statement the ABNF gives two blank lines; one is accepted too, as common
    libraries write it (decision W4).
    """
    if len(lines) < 4 or lines[2] != "":
        raise _bad("line 3 must be empty")
    if lines[3].startswith("URI: "):
        return 3, None
    if lines[3] == "":
        return 4, None
    if len(lines) < 5 or lines[4] != "":
        raise _bad("the statement must be one line followed by an empty line")
    return 5, lines[3]


def _optional(message: SiweMessage, lines: list[str], at: int) -> SiweMessage:
    values: dict[str, Any] = {}
    order = list(OPTIONAL)
    while at < len(lines):
        name, _, value = lines[at].partition(": ")
        if lines[at] == "Resources:":
            name = "Resources"
        elif name == "Resources":
            raise _bad(f"line {at + 1}: 'Resources:' must stand alone, the URIs follow")
        if name not in order:
            raise _bad(f"unexpected line {at + 1}: '{lines[at][:60]}'")
        order = order[order.index(name) + 1 :]
        if name == "Expiration Time":
            values["expiration_time"] = _time(name, value)
        elif name == "Not Before":
            values["not_before"] = _time(name, value)
        elif name == "Request ID":
            if not REQUEST_ID.match(value):
                raise _bad("'Request ID' must not contain spaces")
            values["request_id"] = value
        else:
            resources = []
            for line in lines[at + 1 :]:
                uri = line.removeprefix("- ")
                if not line.startswith("- ") or not URI.match(uri):
                    raise _bad(f"a resource must be '- <URI>', got '{line[:60]}'")
                resources.append(uri)
            values["resources"] = tuple(resources)
            break
        at += 1
    return replace(message, **values)
