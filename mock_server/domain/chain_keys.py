"""Keys and addresses of the five managed-wallet chains, and the two signing primitives (M4-M7).

Pure functions, no state. A managed wallet's secret is 32 bytes:

- ``ethereum``: a secp256k1 secret; the address is the last 20 bytes of the Keccak-256 of the
  uncompressed public key, as lower-case ``0x`` hex (Reference-more §1.1);
- ``bitcoin``: a secp256k1 secret; the address is testnet P2PKH (version byte ``0x6f``,
  ``m…``/``n…``) of the compressed public key, as the published GetWallet example shows (§5.2);
- ``solana``: an ed25519 seed; the address is the base58 of the 32-byte public key;
- ``polkadot``: an ed25519 seed; the address is SS58 with network prefix 0 (Polkadot relay chain)
  over the public key, checksum ``blake2b-512("SS58PRE" ‖ prefix ‖ key)[:2]``;
- ``stellar``: an ed25519 seed; the address is the ``G…`` StrKey (version byte ``6 << 3``, the
  key, a CRC16-XModem checksum little-endian, base32 without padding).

Signing uses libsecp256k1 (``coincurve``) and libsodium (PyNaCl), never ``eth-account`` (W9).
Tests check every address against libraries the fake does not use (eth-keys, solders,
bip-utils, stellar-sdk).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable

import base58
import coincurve
from Crypto.Hash import RIPEMD160
from eth_hash.auto import keccak
from nacl.signing import SigningKey

from mock_server.models import CHAINS

ETHEREUM, SOLANA, BITCOIN, POLKADOT, STELLAR = (
    "ethereum",
    "solana",
    "bitcoin",
    "polkadot",
    "stellar",
)
SECP256K1_CHAINS = frozenset({ETHEREUM, BITCOIN})
ED25519_CHAINS = frozenset({SOLANA, POLKADOT, STELLAR})
SECRET_BYTES = 32
# The order of the secp256k1 group: a secret must lie in [1, N - 1].
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
BITCOIN_TESTNET_P2PKH = 0x6F
SS58_POLKADOT = 0
STELLAR_ACCOUNT_VERSION = 6 << 3

__all__ = [
    "BITCOIN",
    "CHAINS",
    "ETHEREUM",
    "POLKADOT",
    "SOLANA",
    "STELLAR",
    "address_of",
    "chain_for_type",
    "new_secret",
    "public_key",
    "sign_digest_secp256k1",
    "sign_ed25519",
    "valid_secret",
]


def chain_for_type(wallet_type: str) -> str:
    """The chain of a managed ``wallet_type`` (either era); ValueError for any other."""
    chain = CHAINS.get(wallet_type)
    if chain is None:
        raise ValueError(f"unknown wallet_type {wallet_type!r}")
    return chain


def _check_chain(chain: str) -> None:
    if chain not in SECP256K1_CHAINS | ED25519_CHAINS:
        raise ValueError(f"unknown chain {chain!r}")


def valid_secret(chain: str, secret: bytes) -> bool:
    """Whether ``secret`` is a usable 32-byte key of ``chain``."""
    _check_chain(chain)
    if len(secret) != SECRET_BYTES:
        return False
    if chain in SECP256K1_CHAINS:
        return 0 < int.from_bytes(secret, "big") < SECP256K1_N
    return True


def new_secret(chain: str, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """32 random bytes that are a valid key of ``chain`` (``random_bytes`` may be seeded)."""
    while True:
        secret = random_bytes(SECRET_BYTES)
        if valid_secret(chain, secret):
            return secret


def _require(chain: str, secret: bytes) -> None:
    if not valid_secret(chain, secret):
        raise ValueError(f"not a {chain} secret key")


def public_key(chain: str, secret: bytes) -> bytes:
    """The public key: secp256k1 compressed (33 bytes) or ed25519 (32 bytes)."""
    _require(chain, secret)
    if chain in SECP256K1_CHAINS:
        return coincurve.PrivateKey(secret).public_key.format(compressed=True)
    return bytes(SigningKey(secret).verify_key)


def ethereum_address(uncompressed_public: bytes) -> str:
    """The lower-case ``0x`` address of a 65-byte uncompressed secp256k1 key."""
    return "0x" + keccak(uncompressed_public[1:])[-20:].hex()


def _hash160(data: bytes) -> bytes:
    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


def _ss58(public: bytes, prefix: int) -> str:
    body = bytes([prefix]) + public
    checksum = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    return base58.b58encode(body + checksum).decode("ascii")


def _crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM, Stellar's StrKey checksum: the standard library's CRC-CCITT from 0."""
    return binascii.crc_hqx(data, 0)


def _stellar_strkey(public: bytes) -> str:
    body = bytes([STELLAR_ACCOUNT_VERSION]) + public
    checksum = _crc16_xmodem(body).to_bytes(2, "little")
    return base64.b32encode(body + checksum).decode("ascii").rstrip("=")


def address_of(chain: str, secret: bytes) -> str:
    """The wallet's ``public_address`` on ``chain`` (see the module's description)."""
    _require(chain, secret)
    if chain == ETHEREUM:
        uncompressed = coincurve.PrivateKey(secret).public_key.format(compressed=False)
        return ethereum_address(uncompressed)
    public = public_key(chain, secret)
    if chain == BITCOIN:
        payload = bytes([BITCOIN_TESTNET_P2PKH]) + _hash160(public)
        return base58.b58encode_check(payload).decode("ascii")
    if chain == SOLANA:
        return base58.b58encode(public).decode("ascii")
    if chain == POLKADOT:
        return _ss58(public, SS58_POLKADOT)
    return _stellar_strkey(public)


def sign_digest_secp256k1(secret: bytes, digest32: bytes) -> bytes:
    """A deterministic (RFC 6979) low-s ECDSA signature of a 32-byte digest: ``r‖s‖recid``,
    65 bytes, ``recid`` 0 or 1 (the caller adds 27 where a format wants it)."""
    if len(digest32) != SECRET_BYTES:
        raise ValueError("the digest must be 32 bytes")
    _require(ETHEREUM, secret)
    return coincurve.PrivateKey(secret).sign_recoverable(digest32, hasher=None)


def sign_ed25519(seed: bytes, message: bytes) -> bytes:
    """The 64-byte detached ed25519 signature of ``message`` by the key of ``seed``."""
    _require(SOLANA, seed)
    return SigningKey(seed).sign(message).signature
