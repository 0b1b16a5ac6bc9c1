"""Checking wallet signatures with maintained libraries (D21; §4.1, §4.2, §4.4).

Ethereum: EIP-191 ``personal_sign`` over the exact UTF-8 message, a 65-byte ``r‖s‖v``
signature as 0x hex with ``v`` 27/28 or 0/1, the signer's key recovered by libsecp256k1
(``coincurve``) and its address derived with Keccak-256 (``eth-hash``). Not ``eth-account``:
it imports ``py_ecc``, which raises the interpreter's recursion limit to 100,000, and then a
deeply nested JSON body crashes the process instead of answering 400 (decision W9).
Solana: a detached ed25519 signature (64 bytes, base58 or base64) over the UTF-8 message,
checked with PyNaCl against the 32-byte public key the base58 address encodes. No elliptic-curve
code here: only decoding and the comparison of the recovered address.
"""

from __future__ import annotations

import base64
import binascii
import contextlib

import base58
import coincurve
from eth_hash.auto import keccak
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from mock_server.errors import InvalidWalletAddress, InvalidWalletSignature

ETHEREUM, SOLANA = "ethereum", "solana"
ETH_SIGNATURE_BYTES = 65
ED25519_SIGNATURE_BYTES = 64
ED25519_KEY_BYTES = 32
ETH_V_VALUES = frozenset({0, 1, 27, 28})


def normalize_address(chain: str, address: str) -> str:
    """The stored form: lower-case hex for Ethereum (§1.1); a checked base58 key for Solana.

    The spec's patterns have checked the characters; this checks what they cannot (a Solana
    address must decode to a 32-byte ed25519 key).
    """
    if chain == ETHEREUM:
        return address.lower()
    try:
        raw = base58.b58decode(address)
    except ValueError:
        raw = b""
    if len(raw) != ED25519_KEY_BYTES:
        raise InvalidWalletAddress(
            f"public_address '{address}' is not a base58 Solana address (a 32-byte key)"
        )
    return address


def verify(chain: str, address: str, message: str, signature: str) -> None:
    """Raise unless ``signature`` over ``message`` was made by the key of ``address``."""
    if chain == ETHEREUM:
        _verify_ethereum(address, message, signature)
    else:
        _verify_solana(address, message, signature)


def _verify_ethereum(address: str, message: str, signature: str) -> None:
    try:
        raw = bytes.fromhex(signature.removeprefix("0x").removeprefix("0X"))
    except ValueError:
        raw = b""
    if len(raw) != ETH_SIGNATURE_BYTES:
        raise InvalidWalletSignature(
            "Invalid body field 'signature': expected a 65-byte signature as 0x-prefixed hex"
        )
    if raw[-1] not in ETH_V_VALUES:
        raise InvalidWalletSignature(
            f"Invalid body field 'signature': v must be 27, 28, 0 or 1, got {raw[-1]}"
        )
    signer = _recover(message, raw[:64] + bytes([raw[-1] % 27]))
    if signer != address.lower():
        raise InvalidWalletSignature(
            f"The signature was made by {signer}, not by {address.lower()}"
        )


def eip191_digest(message: str) -> bytes:
    """Keccak-256 of the EIP-191 ``personal_sign`` framing of ``message`` (version 0x45)."""
    data = message.encode("utf-8")
    return bytes(keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data))


def eth_address(public_key: coincurve.PublicKey) -> str:
    """The lower-case 0x address of a secp256k1 public key (last 20 bytes of its Keccak-256)."""
    return "0x" + bytes(keccak(public_key.format(compressed=False)[1:]))[-20:].hex()


def _recover(message: str, signature: bytes) -> str:
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature, eip191_digest(message), hasher=None
        )
    except (ValueError, TypeError) as error:
        raise InvalidWalletSignature(f"The signature cannot be recovered: {error}") from None
    return eth_address(public)


def solana_signature_candidates(signature: str) -> list[bytes]:
    """Every 64-byte reading of ``signature`` as base58 or base64 (standard or URL-safe)."""
    found: list[bytes] = []
    with contextlib.suppress(ValueError):
        found.append(base58.b58decode(signature))
    padded = signature + "=" * (-len(signature) % 4)
    for alphabet in (None, b"-_"):
        with contextlib.suppress(binascii.Error, ValueError):
            found.append(base64.b64decode(padded, altchars=alphabet, validate=True))
    return [c for c in dict.fromkeys(found) if len(c) == ED25519_SIGNATURE_BYTES]


def _verify_solana(address: str, message: str, signature: str) -> None:
    candidates = solana_signature_candidates(signature)
    if not candidates:
        raise InvalidWalletSignature(
            "Invalid body field 'signature': expected a 64-byte ed25519 signature "
            "in base58 or base64"
        )
    key = VerifyKey(base58.b58decode(address))
    for candidate in candidates:
        try:
            key.verify(message.encode("utf-8"), candidate)
        except BadSignatureError:
            continue
        return
    raise InvalidWalletSignature(f"The signature was not made by the key of {address}")
