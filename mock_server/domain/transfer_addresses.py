"""Destination addresses of a transfer, by the source wallet's chain (§9.1; decision M46).

"Any wallet address of the same wallet type as the source" (P-TRC): the syntax and checksum of
each chain's address format, decoded with the same libraries the managed wallets use (base58,
eth-hash) and the standard library (``binascii.crc_hqx`` is CRC16-XModem, Stellar's StrKey
checksum; ``hashlib.blake2b`` SS58's). Stellar destinations carry a memo after a colon,
``G…W37:3652667947``, as the published text requires for transfers out of a managed wallet.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

import base58
from eth_hash.auto import keccak

from mock_server.errors import InvalidDestAddress

ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
BITCOIN_VERSIONS = {
    0x00: "mainnet P2PKH",
    0x05: "mainnet P2SH",
    0x6F: "testnet P2PKH",
    0xC4: "testnet P2SH",
}
STELLAR_ACCOUNT_VERSION = 6 << 3
STELLAR_MEMO_BYTES = 28  # MEMO_TEXT's limit; a MEMO_ID (uint64) fits too
SS58_SIMPLE_PREFIX_MAX = 63


def check_dest(chain: str, dest: str) -> None:
    """Raise :class:`InvalidDestAddress` naming ``dest`` unless it is an address of ``chain``."""
    problem = _problem(chain, dest)
    if problem:
        raise InvalidDestAddress(f"Invalid body field 'dest': '{dest}' {problem}")


def _problem(chain: str, dest: str) -> str:
    if chain == "stellar":
        address, colon, memo = dest.partition(":")
        if not colon or not memo:
            return "needs a memo after a colon (G…:memo) for a Stellar transfer"
        if len(memo.encode("utf-8")) > STELLAR_MEMO_BYTES:
            return f"has a memo longer than {STELLAR_MEMO_BYTES} bytes"
        return _stellar(address)
    if ":" in dest:
        return "has a ':' suffix, which only Stellar (XLM) destinations take"
    checks = {
        "ethereum": _ethereum,
        "solana": _solana,
        "bitcoin": _bitcoin,
        "polkadot": _polkadot,
    }
    check = checks.get(chain)
    return check(dest) if check else f"cannot be checked: no transfers on {chain}"


def _ethereum(dest: str) -> str:
    if not ETH_ADDRESS.fullmatch(dest):
        return "is not an Ethereum address (0x and 40 hex digits)"
    body = dest[2:]
    if body.islower() or body.isupper() or body.isdigit():
        return ""
    digest = keccak(body.lower().encode("ascii")).hex()
    expected = "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c.lower()
        for i, c in enumerate(body.lower())
    )
    return "" if body == expected else "fails its EIP-55 mixed-case checksum"


def _b58(dest: str) -> bytes | None:
    try:
        return base58.b58decode(dest)
    except ValueError:
        return None


def _solana(dest: str) -> str:
    raw = _b58(dest)
    if raw is None or len(raw) != 32:
        return "is not a Solana address (base58 of 32 bytes)"
    return ""


def _bitcoin(dest: str) -> str:
    try:
        raw = base58.b58decode_check(dest)
    except ValueError:
        return "is not a Bitcoin base58check address (P2PKH or P2SH, mainnet or testnet)"
    if len(raw) != 21 or raw[0] not in BITCOIN_VERSIONS:
        return "is not a Bitcoin P2PKH or P2SH address"
    return ""


def _polkadot(dest: str) -> str:
    raw = _b58(dest)
    if raw is None or len(raw) != 35 or raw[0] > SS58_SIMPLE_PREFIX_MAX:
        return "is not an SS58 address (one-byte network prefix, 32-byte key, checksum)"
    checksum = hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2]
    return "" if checksum == raw[33:] else "fails its SS58 checksum"


def _stellar(address: str) -> str:
    if len(address) != 56 or not address.startswith("G"):
        return "is not a Stellar account address (G… and 56 characters)"
    try:
        raw = base64.b32decode(address)
    except binascii.Error:
        return "is not a Stellar account address (base32)"
    if len(raw) != 35 or raw[0] != STELLAR_ACCOUNT_VERSION:
        return "is not a Stellar account address (G…)"
    checksum = binascii.crc_hqx(raw[:33], 0).to_bytes(2, "little")
    return "" if checksum == raw[33:] else "fails its StrKey checksum"
