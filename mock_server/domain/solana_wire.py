"""The Solana transaction wire format, read and re-written with one signature replaced (M30).

A transaction is ``compact-u16 n ‖ n 64-byte signatures ‖ message``; the message is legacy
or versioned (first byte ``0x80 | version``, only version 0 exists), then the header
(required signatures, read-only signed, read-only unsigned), the account keys, the recent
blockhash, the instructions and (v0) the address-table lookups
(https://solana.com/docs/core/transactions). The fake parses the whole message so a truncated
or padded transaction is refused, and signs the message bytes exactly as received. solders
reads the same format in the tests (it is not a server dependency: M30).
"""

from __future__ import annotations

from dataclasses import dataclass

SIGNATURE_BYTES = 64
KEY_BYTES = 32


class WireError(ValueError):
    """The bytes are not a Solana transaction (the message says where)."""


@dataclass(frozen=True)
class SolanaTransaction:
    """A parsed transaction: its signatures, the signed message and the signer keys."""

    signatures: tuple[bytes, ...]
    message: bytes
    signers: tuple[bytes, ...]

    def with_signature(self, index: int, signature: bytes) -> bytes:
        """The transaction's bytes with signature ``index`` replaced."""
        sigs = list(self.signatures)
        sigs[index] = signature
        return _compact(len(sigs)) + b"".join(sigs) + self.message


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int, what: str) -> bytes:
        if self.at + count > len(self.data):
            raise WireError(f"the transaction ends inside {what}")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def compact(self, what: str) -> int:
        value = 0
        for shift in (0, 7, 14):
            part = self.byte(what)
            value |= (part & 0x7F) << shift
            if not part & 0x80:
                return value
        raise WireError(f"{what}: a compact-u16 longer than 3 bytes")


def _compact(value: int) -> bytes:
    out = bytearray()
    while True:
        part = value & 0x7F
        value >>= 7
        if value:
            out.append(part | 0x80)
        else:
            out.append(part)
            return bytes(out)


def parse(data: bytes) -> SolanaTransaction:
    """Parse a serialized transaction; :class:`WireError` for anything malformed."""
    reader = _Reader(data)
    count = reader.compact("the signature count")
    signatures = tuple(reader.take(SIGNATURE_BYTES, "the signatures") for _ in range(count))
    start = reader.at
    first = reader.byte("the message")
    versioned = bool(first & 0x80)
    if versioned and first & 0x7F != 0:
        raise WireError(f"message version {first & 0x7F} is unknown (only 0 and legacy)")
    required = reader.byte("the message header") if versioned else first
    readonly_signed, _ = reader.byte("the message header"), reader.byte("the message header")
    keys = [reader.take(KEY_BYTES, "the account keys") for _ in range(reader.compact("keys"))]
    if required == 0 or required > len(keys) or readonly_signed > required:
        raise WireError(f"the header asks {required} signers of {len(keys)} account keys")
    reader.take(KEY_BYTES, "the recent blockhash")
    _instructions(reader, len(keys))
    if versioned:
        for _ in range(reader.compact("the address-table lookups")):
            reader.take(KEY_BYTES, "an address-table key")
            for what in ("writable indexes", "read-only indexes"):
                reader.take(reader.compact(what), what)
    if reader.at != len(data):
        raise WireError(f"{len(data) - reader.at} bytes follow the message")
    if count != required:
        raise WireError(f"{count} signatures for {required} required signers")
    return SolanaTransaction(signatures, data[start:], tuple(keys[:required]))


def _instructions(reader: _Reader, key_count: int) -> None:
    for _ in range(reader.compact("the instruction count")):
        program = reader.byte("an instruction's program index")
        if program >= key_count:
            raise WireError(f"an instruction names program index {program} of {key_count}")
        reader.take(reader.compact("an instruction's accounts"), "an instruction's accounts")
        reader.take(reader.compact("an instruction's data"), "an instruction's data")
