"""The strict EIP-4361 parser (and its Solana variant) without HTTP."""

from __future__ import annotations

import pytest

from mock_server.domain import siwe
from mock_server.errors import InvalidSiweMessage
from tests.wallet_keys import EthKey, SolKey

ETH = EthKey().address
SOL = SolKey().address
FULL = "\n".join(
    [
        f"https://app.example:8443 wants you to sign in with your Ethereum account:\n{ETH}",
        "",
        "I accept the Terms: https://app.example/tos",
        "",
        "URI: https://app.example/login",
        "Version: 1",
        "Chain ID: 137",
        "Nonce: 32891756aBc",
        "Issued At: 2021-09-30T16:25:24.000Z",
        "Expiration Time: 2021-10-01T16:25:24+02:00",
        "Not Before: 2021-09-30T16:00:00Z",
        "Request ID: req-1",
        "Resources:",
        "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        "- https://example.com/my-web2-claim.json",
    ]
)


def test_parse_reads_every_field() -> None:
    message = siwe.parse(FULL)
    assert (message.chain, message.scheme, message.domain) == (
        "ethereum",
        "https",
        "app.example:8443",
    )
    assert message.address == ETH
    assert message.statement == "I accept the Terms: https://app.example/tos"
    assert (message.uri, message.version, message.chain_id) == (
        "https://app.example/login",
        "1",
        "137",
    )
    assert message.nonce == "32891756aBc"
    assert message.issued_at == 1633019124.0
    assert message.expiration_time == 1633098324.0
    assert message.not_before == 1633017600.0
    assert message.request_id == "req-1"
    assert len(message.resources) == 2


@pytest.mark.parametrize("blank_lines", [1, 2])
def test_parse_without_statement_takes_one_or_two_blank_lines(blank_lines: int) -> None:
    head = f"a.example wants you to sign in with your Ethereum account:\n{ETH}\n"
    tail = (
        "URI: https://a.example\nVersion: 1\nChain ID: 1\nNonce: abcdefgh\n"
        "Issued At: 2026-03-01T12:00:00Z"
    )
    message = siwe.parse(head + "\n" * blank_lines + tail)
    assert message.statement is None


def test_parse_solana_variant_has_no_chain_id() -> None:
    text = (
        f"a.example wants you to sign in with your Solana account:\n{SOL}\n\n"
        "URI: https://a.example\nVersion: 1\nNonce: abcdefgh\nIssued At: 2026-03-01T12:00:00Z"
    )
    message = siwe.parse(text)
    assert (message.chain, message.address, message.chain_id) == ("solana", SOL, None)


@pytest.mark.parametrize(
    ("old", "new", "text"),
    [
        ("Nonce: 32891756aBc", "Nonce: short", "at least 8"),
        ("Nonce: 32891756aBc", "Nonce: 32891756-aBc", "at least 8"),
        ("Chain ID: 137", "Chain ID: polygon", "Chain ID"),
        ("URI: https://app.example/login", "URI: not a uri", "URI"),
        ("Request ID: req-1", "Request ID: two words", "spaces"),
        ("- https://example.com/my-web2-claim.json", "* https://x", "resource"),
        ("Issued At: 2021-09-30T16:25:24.000Z", "Issued At: 2021-02-30T16:25:24Z", "real date"),
        ("Resources:", "Resources: x", "stand alone"),
    ],
)
def test_parse_refuses_bad_fields(old: str, new: str, text: str) -> None:
    with pytest.raises(InvalidSiweMessage, match=text):
        siwe.parse(FULL.replace(old, new))


def test_parse_refuses_optional_fields_out_of_order() -> None:
    swapped = FULL.replace("Expiration Time:", "TMP:").replace("Not Before:", "Expiration Time:")
    with pytest.raises(InvalidSiweMessage, match="unexpected line"):
        siwe.parse(swapped.replace("TMP:", "Not Before:"))


def test_parse_refuses_a_trailing_newline() -> None:
    with pytest.raises(InvalidSiweMessage, match="resource"):
        siwe.parse(FULL + "\n")
