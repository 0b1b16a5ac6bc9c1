"""The suite's own reading of wallet signatures: EIP-191, EIP-1559, EIP-7702 and Solana.

Hashes are framed here from the standards, never taken from the target: EIP-191
(https://eips.ethereum.org/EIPS/eip-191), EIP-1559 (https://eips.ethereum.org/EIPS/eip-1559),
EIP-7702 (https://eips.ethereum.org/EIPS/eip-7702) and Solana's legacy transaction format
(https://solana.com/docs/core/transactions). secp256k1 recovery is eth-keys' pure-Python
backend and ed25519 verification OpenSSL's (``cryptography``), neither of which the fake signs
with (it uses libsecp256k1 and libsodium), so a framing slip on either side shows. eth-account
is not used: it raises the recursion limit at import (docs/decisions.md W9) and the in-process
run shares its process with the fake. Each check answers what is wrong in words a user can act
on, or None.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import base58
import rlp  # type: ignore[import-untyped]
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eth_keys.backends.native.main import NativeECCBackend
from eth_keys.exceptions import BadSignature
from eth_keys.main import KeyAPI
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

KEYS = KeyAPI(NativeECCBackend)
PERSONAL_PREFIX = b"\x19Ethereum Signed Message:\n"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# EIP-1559's signed fields, in envelope order (the payload before yParity, r, s)
EIP1559_FIELDS = (
    "chainId",
    "nonce",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
    "gas",
    "to",
    "value",
    "data",
    "accessList",
)
SYSTEM_PROGRAM = bytes(32)


def eip191_digest(message: bytes) -> bytes:
    """``keccak("\\x19Ethereum Signed Message:\\n" ‖ len ‖ message)`` (EIP-191 version 0x45)."""
    return bytes(keccak(PERSONAL_PREFIX + str(len(message)).encode("ascii") + message))


def recover(digest: bytes, y_parity: int, r: int, s: int) -> str | None:
    """The lower-case address whose key signed ``digest``, or None when nothing recovers."""
    if y_parity not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        return None
    try:
        public = KEYS.ecdsa_recover(digest, KEYS.Signature(vrs=(y_parity, r, s)))
    except (BadSignature, ValidationError):
        return None
    return str(public.to_address()).lower()


def split_65(signature: Any) -> tuple[int, int, int] | None:
    """``(r, s, v)`` of a 0x-hex 65-byte signature, or None when it is not one."""
    text = str(signature)
    if not text.startswith("0x") or len(text) != 132:
        return None
    try:
        raw = bytes.fromhex(text[2:])
    except ValueError:
        return None
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]


def personal_sign_problem(
    signature: Any, message: bytes, address: str, v_values: tuple[int, int]
) -> str | None:
    """What is wrong with an EIP-191 signature of ``message`` by ``address``, or None.

    ``v_values`` is the pair ``v`` must be in (``(0, 1)`` raw, ``(27, 28)`` wallet JSON-RPC).
    When the signature does not recover, the common slips are tried to say which one it is.
    """
    parts = split_65(signature)
    if parts is None:
        return f"not 0x + 130 hex digits (65 bytes r‖s‖v): {str(signature)[:80]!r}"
    r, s, v = parts
    parity = v - 27 if v >= 27 else v
    if v not in v_values:
        if parity in (0, 1) and recover(eip191_digest(message), parity, r, s) == address:
            return f"v = {v}: the signature is right but v must be {v_values[0]}/{v_values[1]}"
        return f"v = {v}, not {v_values[0]} or {v_values[1]}"
    signer = recover(eip191_digest(message), v - v_values[0], r, s)
    if signer == address:
        return None
    if recover(bytes(keccak(message)), v - v_values[0], r, s) == address:
        return "it recovers to the wallet only over keccak(message): the EIP-191 prefix is missing"
    characters = len(message.decode("utf-8", "replace"))
    if characters != len(message):
        miscounted = PERSONAL_PREFIX + str(characters).encode() + message
        if recover(bytes(keccak(miscounted)), v - v_values[0], r, s) == address:
            return (
                f"the EIP-191 prefix counts {characters} characters; it must count the "
                f"{len(message)} UTF-8 bytes of the message"
            )
    if recover(eip191_digest(message), 1 - (v - v_values[0]), r, s) == address:
        return f"v = {v} is the wrong recovery id: the other one recovers to the wallet"
    return f"the EIP-191 signature recovers to {signer}, not the wallet {address}"


def quantity_bytes(number: int) -> bytes:
    """RLP's form of an integer: big-endian without leading zeros (0 is empty)."""
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def authorization_problem(
    authorization: dict[str, Any], chain_id: int, contract: str, nonce: int, address: str
) -> str | None:
    """What is wrong with an EIP-7702 authorization tuple signed by ``address``, or None."""
    wanted = {"chainId": str(chain_id), "nonce": str(nonce), "contractAddress": contract.lower()}
    for name, value in wanted.items():
        if authorization.get(name) != value:
            return f"{name} = {authorization.get(name)!r}, not {value!r} (decimal string, M28)"
    y_parity = authorization.get("yParity")
    if not isinstance(y_parity, int) or isinstance(y_parity, bool) or y_parity not in (0, 1):
        return f"yParity = {y_parity!r}, not the number 0 or 1"
    if authorization.get("v") != str(y_parity):
        return f"v = {authorization.get('v')!r}, not yParity as a string {str(y_parity)!r}"
    try:
        r, s = int(str(authorization.get("r")), 16), int(str(authorization.get("s")), 16)
    except ValueError:
        return f"r/s not hex: {authorization.get('r')!r}, {authorization.get('s')!r}"
    payload = rlp.encode([chain_id, bytes.fromhex(contract[2:]), nonce])
    digest = bytes(keccak(b"\x05" + payload))
    signer = recover(digest, y_parity, r, s)
    if signer == address:
        return None
    if recover(digest, 1 - y_parity, r, s) == address:
        return f"yParity = {y_parity} is wrong: the signature recovers to the wallet with the other"
    if recover(bytes(keccak(payload)), y_parity, r, s) == address:
        return "signed over keccak(rlp([...])) without EIP-7702's MAGIC 0x05"
    return f"keccak(0x05 ‖ rlp([chainId, address, nonce])) recovers to {signer}, not {address}"


def eip1559_problems(envelope_hex: Any, sent: dict[str, Any], address: str) -> list[str]:
    """What is wrong with a signed type-2 envelope of the transaction ``sent``: [] when right.

    ``sent`` holds the request's quantities as hex strings, ``to`` and ``data`` as 0x hex.
    """
    text = str(envelope_hex)
    try:
        envelope = bytes.fromhex(text[2:]) if text.startswith("0x") else b""
    except ValueError:
        envelope = b""
    if not envelope or envelope[0] != 2:
        return [f"not a 0x02… EIP-2718 typed envelope (M22): {text[:20]!r}…"]
    try:
        fields = rlp.decode(envelope[1:])
    except rlp.exceptions.DecodingError as error:
        return [f"the payload after 0x02 is not RLP: {error}"]
    if not isinstance(fields, list) or len(fields) != 12:
        return ["the RLP payload is not the 12-item list of EIP-1559 (9 fields, yParity, r, s)"]
    names = [*EIP1559_FIELDS, "yParity", "r", "s"]
    nested = [names[i] for i, item in enumerate(fields) if isinstance(item, list) != (i == 8)]
    if nested:
        return [f"malformed RLP items (a list where a string belongs, or the reverse): {nested}"]
    problems = []
    for index, name in enumerate(EIP1559_FIELDS):
        if name == "accessList":
            if fields[index] != []:
                problems.append(f"accessList = {fields[index]!r}, not the empty list sent")
            continue
        wanted = _field_bytes(name, sent)
        if fields[index] != wanted:
            got, sent_text = (
                (f"0x{fields[index].hex()}", f"0x{wanted.hex()}")
                if name in ("to", "data")
                else (hex(int.from_bytes(fields[index], "big")), hex(int.from_bytes(wanted, "big")))
            )
            problems.append(f"{name} = {got} in the envelope, {sent_text} in the request")
    y_parity = int.from_bytes(fields[9], "big")
    r, s = int.from_bytes(fields[10], "big"), int.from_bytes(fields[11], "big")
    digest = bytes(keccak(b"\x02" + rlp.encode(fields[:9])))
    signer = recover(digest, y_parity, r, s)
    if signer != address:
        if recover(digest, 1 - y_parity, r, s) == address:
            problems.append(f"yParity = {y_parity} is wrong: the other recovers to the wallet")
        elif recover(bytes(keccak(rlp.encode(fields[:9]))), y_parity, r, s) == address:
            problems.append("signed without the 0x02 type byte in the signing hash")
        else:
            problems.append(f"keccak(0x02 ‖ rlp(fields)) recovers to {signer}, not {address}")
    return problems


def _field_bytes(name: str, sent: dict[str, Any]) -> bytes:
    value = sent.get(name)
    if name in ("to", "data"):
        return bytes.fromhex(str(value or "0x")[2:])
    return quantity_bytes(int(str(value or "0x0"), 16))


# --- Solana ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolanaTransfer:
    """An unsigned legacy transaction: a fee payer (the suite's key, slot 0, signed already)
    and the wallet (slot 1) move lamports to a fresh account through the System Program."""

    payer: Ed25519PrivateKey
    wallet: bytes
    message: bytes
    unsigned: bytes

    @classmethod
    def build(cls, wallet_address: str, lamports: int = 5000) -> SolanaTransfer:
        """The message written out byte by byte from the documented format."""
        payer = Ed25519PrivateKey.generate()
        payer_key = payer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        wallet = base58.b58decode(wallet_address)
        dest = os.urandom(32)
        header = bytes([2, 0, 1])  # two signers, none read-only; the program read-only
        keys = bytes([4]) + payer_key + wallet + dest + SYSTEM_PROGRAM
        blockhash = os.urandom(32)
        data = (2).to_bytes(4, "little") + lamports.to_bytes(8, "little")  # Transfer
        instruction = bytes([3, 2, 1, 2, len(data)]) + data
        message = header + keys + blockhash + bytes([1]) + instruction
        payer_signature = payer.sign(message)
        unsigned = bytes([2]) + payer_signature + bytes(64) + message
        return cls(payer, wallet, message, unsigned)

    def problems(self, signed: bytes) -> list[str]:
        """What is wrong with the signed transaction ``signed``: [] when right."""
        if len(signed) != len(self.unsigned):
            return [f"{len(signed)} bytes, not the {len(self.unsigned)} sent"]
        if signed[0] != 2:
            return [f"signature count {signed[0]}, not 2"]
        if signed[1 + 128 :] != self.message:
            return ["the message bytes differ from the transaction sent"]
        problems = []
        if signed[1:65] != self.unsigned[1:65]:
            problems.append("the fee payer's signature (slot 0) was changed")
        slot = signed[65:129]
        if not ed25519_ok(self.wallet, slot, self.message):
            where = (
                "it is in slot 0, not the wallet's slot 1"
                if ed25519_ok(self.wallet, signed[1:65], self.message)
                else "it does not verify over the message bytes with the wallet's key"
            )
            problems.append(f"the wallet's signature (slot 1): {where}")
        return problems


def ed25519_ok(public: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public``'s ed25519 signature of ``message`` (OpenSSL)."""
    if len(public) != 32 or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True
