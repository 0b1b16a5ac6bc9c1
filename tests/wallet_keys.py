"""Test wallets whose keys and signatures come from libraries the fake does not verify with.

Ethereum: secp256k1 keys and signatures from ``eth-keys``' pure-Python backend (the fake
recovers with libsecp256k1 through ``coincurve``). Solana: ed25519 from ``cryptography`` (the
fake verifies with PyNaCl). EIP-191 framing and EIP-4361 text are written out here from
the standards, so a mistake on either side shows as a refused signature.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass, field

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eth_hash.auto import keccak
from eth_keys.backends.native.main import NativeECCBackend
from eth_keys.datatypes import PrivateKey
from eth_keys.main import KeyAPI

KEYS = KeyAPI(NativeECCBackend)


def iso(at: dt.datetime | float) -> str:
    """RFC 3339 in UTC with ``Z``, as SIWE messages carry times."""
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromtimestamp(at, dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class EthKey:
    """A secp256k1 key and its Ethereum address."""

    key: PrivateKey = field(default_factory=lambda: KEYS.PrivateKey(os.urandom(32)))

    @property
    def address(self) -> str:
        """The EIP-55 checksummed address."""
        return str(self.key.public_key.to_checksum_address())

    def sign(self, text: str, *, v_base: int = 27) -> str:
        """EIP-191 ``personal_sign`` over the UTF-8 text: 0x hex ``r‖s‖v``."""
        data = text.encode("utf-8")
        digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
        signature = KEYS.ecdsa_sign(digest, self.key).to_bytes()
        return "0x" + (signature[:64] + bytes([signature[64] + v_base])).hex()


@dataclass
class SolKey:
    """An ed25519 key and its base58 Solana address."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def address(self) -> str:
        """The base58 public key."""
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base58.b58encode(raw).decode()

    def sign(self, text: str, *, encoding: str = "base58") -> str:
        """A detached ed25519 signature over the UTF-8 text, base58 or base64."""
        signature = self.key.sign(text.encode("utf-8"))
        if encoding == "base64":
            return base64.b64encode(signature).decode()
        return base58.b58encode(signature).decode()


def siwe_message(
    address: str,
    nonce: str,
    issued_at: float,
    *,
    chain: str = "Ethereum",
    domain: str = "app.example",
    statement: str | None = "Sign in to Example",
    extra: tuple[str, ...] = (),
) -> str:
    """An EIP-4361 message (the Solana variant has no Chain ID line)."""
    lines = [f"{domain} wants you to sign in with your {chain} account:", address, ""]
    if statement is not None:
        lines += [statement, ""]
    else:
        lines += [""]
    lines += ["URI: https://app.example/login", "Version: 1"]
    if chain == "Ethereum":
        lines.append("Chain ID: 1")
    lines += [f"Nonce: {nonce}", f"Issued At: {iso(issued_at)}", *extra]
    return "\n".join(lines)
