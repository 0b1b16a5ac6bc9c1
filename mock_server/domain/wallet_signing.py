"""Signing with a managed wallet's key: EIP-191, EIP-1559, EIP-7702 and Solana (M20-M39).

Every signature comes from the two primitives of :mod:`chain_keys` (libsecp256k1 through
coincurve, libsodium through PyNaCl); the framing is here:

- EIP-191 ``personal_sign``: ``keccak("\\x19Ethereum Signed Message:\\n" ‖ len ‖ message)``
  (https://eips.ethereum.org/EIPS/eip-191), ``r‖s‖v`` with ``v`` 0/1 (Streambird, M20) or
  27/28 (``/rpc``, M27);
- EIP-1559: ``0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value,
  data, accessList, yParity, r, s])`` signed over ``keccak(0x02 ‖ rlp(the first nine))``
  (https://eips.ethereum.org/EIPS/eip-1559), RLP by the maintained ``rlp`` package;
- EIP-7702: ``keccak(0x05 ‖ rlp([chain_id, address, nonce]))``
  (https://eips.ethereum.org/EIPS/eip-7702);
- Solana: ed25519 over the message bytes of the transaction (M30) or the raw message.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import base58
import rlp  # type: ignore[import-untyped]
from eth_hash.auto import keccak

from mock_server.errors import InvalidTransaction, ValidationError, WalletChainMismatch
from mock_server.models import App, User, Wallet
from mock_server.state import MockState

from . import chain_keys, managed_wallets, solana_wire

UINT256 = 2**256
UINT64 = 2**64
HEX_QUANTITY_FIELDS = ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "value")
PERSONAL_PREFIX = b"\x19Ethereum Signed Message:\n"


@dataclass(frozen=True)
class Signer:
    """A managed wallet ready to sign: its user, wallet, chain and secret."""

    user: User
    wallet: Wallet
    chain: str
    secret: bytes


def signer(state: MockState, app: App, wallet_id: str, chains: set[str], what: str) -> Signer:
    """The wallet's key; 400 ``wallet_not_managed`` (linked) or ``wallet_chain_mismatch``."""
    user, wallet = managed_wallets.find(state, app, wallet_id)
    key = managed_wallets.key_of(state, app, wallet_id)
    if key.chain not in chains:
        accepted = " or ".join(sorted(chains))
        raise WalletChainMismatch(
            f"Wallet '{wallet_id}' is a {key.chain} wallet ({wallet.wallet_type}): "
            f"{what} signs for {accepted} wallets only"
        )
    return Signer(user, wallet, key.chain, key.secret)


# --- Ethereum -------------------------------------------------------------------------------


def personal_sign(secret: bytes, message: bytes, *, v_base: int) -> bytes:
    """The 65-byte EIP-191 signature ``r‖s‖v`` with ``v = v_base + recid``."""
    digest = keccak(PERSONAL_PREFIX + str(len(message)).encode("ascii") + message)
    raw = chain_keys.sign_digest_secp256k1(secret, digest)
    return raw[:64] + bytes([v_base + raw[64]])


def hex_bytes(text: str, field: str) -> bytes:
    """``0x``-prefixed (or bare) hex as bytes; ValidationError naming ``field``."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        return bytes.fromhex(body) if len(body) % 2 == 0 else bytes.fromhex("0" + body)
    except ValueError:
        raise ValidationError(f"Invalid body field '{field}': not hex") from None


def quantity(value: Any, field: str, limit: int = UINT256) -> int:
    """A hex (``0x…``) or decimal quantity, string or number, below ``limit``."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
        except ValueError:
            number = None
    if number is None or not 0 <= number < limit:
        raise ValidationError(
            f"Invalid body field '{field}': {value!r} is not a quantity "
            f"below 2^{limit.bit_length() - 1}"
        )
    return number


@dataclass(frozen=True)
class SignedEthTransaction:
    """A signed EIP-1559 transaction: the typed envelope and its hash."""

    envelope: bytes
    tx_hash: bytes
    wrapped: bytes


def sign_eip1559(secret: bytes, address: str, tx: dict[str, Any]) -> SignedEthTransaction:
    """Build and sign the type-2 transaction of a MetaMask-style object (M22-M25)."""
    where = "eth_transaction"
    if "gasPrice" in tx:
        raise InvalidTransaction(
            f"Invalid body field '{where}.gasPrice': only EIP-1559 (type 2) transactions "
            "are signed; send maxFeePerGas and maxPriorityFeePerGas"
        )
    if "type" in tx and quantity(tx["type"], f"{where}.type") != 2:
        raise InvalidTransaction(f"Invalid body field '{where}.type': only type 0x2 is signed")
    sender = tx.get("from")
    if sender is not None and str(sender).lower() != address:
        raise InvalidTransaction(
            f"Invalid body field '{where}.from': {sender} is not this wallet's address {address}"
        )
    gas_name = "gas" if "gas" in tx else "gasLimit"
    if gas_name not in tx:
        raise ValidationError(f"Missing required body field '{where}.gas'")
    values = {
        name: quantity(
            tx.get(name, "0x0"), f"{where}.{name}", UINT64 if name == "nonce" else UINT256
        )
        for name in HEX_QUANTITY_FIELDS
        if name != "gas"
    }
    gas = quantity(tx[gas_name], f"{where}.{gas_name}", UINT64)
    if values["maxPriorityFeePerGas"] > values["maxFeePerGas"]:
        raise InvalidTransaction(
            f"Invalid body field '{where}.maxPriorityFeePerGas': above maxFeePerGas"
        )
    to = hex_bytes(tx["to"], f"{where}.to") if tx.get("to") else b""
    data = hex_bytes(tx.get("data", tx.get("input", "0x")), f"{where}.data")
    access = [
        [
            hex_bytes(item["address"], f"{where}.accessList"),
            [hex_bytes(k, f"{where}.accessList") for k in item.get("storageKeys", [])],
        ]
        for item in tx.get("accessList", [])
    ]
    fields = [
        values["chainId"],
        values["nonce"],
        values["maxPriorityFeePerGas"],
        values["maxFeePerGas"],
        gas,
        to,
        values["value"],
        data,
        access,
    ]
    digest = keccak(b"\x02" + rlp.encode(fields))
    raw = chain_keys.sign_digest_secp256k1(secret, digest)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    envelope = b"\x02" + rlp.encode([*fields, raw[64], r, s])
    return SignedEthTransaction(envelope, keccak(envelope), rlp.encode(envelope))


def sign_7702(secret: bytes, chain_id: int, contract: bytes, nonce: int) -> tuple[int, int, int]:
    """``(yParity, r, s)`` over ``keccak(0x05 ‖ rlp([chain_id, address, nonce]))``."""
    digest = keccak(b"\x05" + rlp.encode([chain_id, contract, nonce]))
    raw = chain_keys.sign_digest_secp256k1(secret, digest)
    return raw[64], int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")


# --- Solana ---------------------------------------------------------------------------------


def decode_text(text: str, encoding: str, field: str) -> bytes:
    """The bytes of ``text`` in ``encoding`` (utf-8, base58 or base64); 400 naming ``field``."""
    if encoding == "utf-8":
        return text.encode("utf-8")
    try:
        if encoding == "base58":
            return base58.b58decode(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ValidationError(f"Invalid body field '{field}': not {encoding}") from None


def encode_bytes(data: bytes, encoding: str) -> str:
    """``data`` as base58 or base64 text."""
    if encoding == "base64":
        return base64.b64encode(data).decode("ascii")
    return base58.b58encode(data).decode("ascii")


def sign_solana_transaction(
    seed: bytes, address: str, transaction: str, encoding: str, field: str
) -> tuple[bytes, bytes]:
    """``(signed transaction bytes, the wallet's signature)``: the wallet's slot filled (M30)."""
    raw = decode_text(transaction, encoding, f"{field}.transaction")
    try:
        parsed = solana_wire.parse(raw)
    except solana_wire.WireError as error:
        raise InvalidTransaction(f"Invalid body field '{field}.transaction': {error}") from None
    public = base58.b58decode(address)
    if public not in parsed.signers:
        raise InvalidTransaction(
            f"Invalid body field '{field}.transaction': the wallet {address} is not a required "
            "signer of the message"
        )
    signature = chain_keys.sign_ed25519(seed, parsed.message)
    return parsed.with_signature(parsed.signers.index(public), signature), signature


def sign_ed25519_text(seed: bytes, message: bytes, encoding: str) -> str:
    """The ed25519 signature of ``message`` as base58 or base64 text."""
    return encode_bytes(chain_keys.sign_ed25519(seed, message), encoding)
