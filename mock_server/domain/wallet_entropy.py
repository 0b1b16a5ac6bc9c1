"""What an imported wallet's decrypted entropy means: the 32-byte secret it stands for (M66-M70).

Pure functions, no state. ``private_key`` entropy is one key:

- ethereum: the 32-byte secp256k1 secret, as the raw bytes or as hex text (64 digits, with or
  without ``0x``);
- solana: the 32-byte ed25519 seed or the 64-byte keypair (seed ‖ public key, the Solana CLI's
  and Phantom's export), as the raw bytes or as base58 text; a keypair's public half must be
  its seed's.

``hd`` entropy is an English BIP-39 mnemonic (the checksum checked by ``mnemonic``), its seed
with an empty passphrase, and one account of it (``slip10``): ethereum ``m/44'/60'/0'/0/{i}``
(BIP-32 over secp256k1, MetaMask's and eth-account's default path), solana
``m/44'/501'/{i}'/0'`` (SLIP-10 over ed25519, every segment hardened, as Phantom and the Solana
CLI's ``prompt://?key={i}/0`` derive).
"""

from __future__ import annotations

import base58
from mnemonic import Mnemonic
from slip10 import SLIP10, SLIP10DerivationError

from mock_server.errors import InvalidWalletEntropy

from . import chain_keys

PRIVATE_KEY, HD = "private_key", "hd"
SECRET_BYTES = 32
KEYPAIR_BYTES = 64
HEX_DIGITS = 64
PATHS = {
    chain_keys.ETHEREUM: ("secp256k1", "m/44'/60'/0'/0/{index}"),
    chain_keys.SOLANA: ("ed25519", "m/44'/501'/{index}'/0'"),
}
_ENGLISH = Mnemonic("english")


def derivation_path(chain: str, account_index: int) -> str:
    """The BIP-44 path of an HD import's ``account_index`` on ``chain``."""
    return PATHS[chain][1].format(index=account_index)


def secret_of(chain: str, entropy_type: str, plaintext: bytes, account_index: int | None) -> bytes:
    """The wallet's 32-byte secret; :class:`InvalidWalletEntropy` saying what is wrong."""
    if entropy_type == HD:
        return _from_mnemonic(chain, _text(plaintext, "a BIP-39 mnemonic"), account_index or 0)
    if chain == chain_keys.ETHEREUM:
        secret = plaintext if len(plaintext) == SECRET_BYTES else _from_hex(plaintext)
    else:
        raw = plaintext if len(plaintext) in (SECRET_BYTES, KEYPAIR_BYTES) else _b58(plaintext)
        secret = _from_keypair(raw)
    if not chain_keys.valid_secret(chain, secret):
        raise InvalidWalletEntropy(
            "Invalid body field 'wallet.ciphertext': the decrypted key is not a valid "
            f"{chain} secret (zero or not below the secp256k1 group order)"
        )
    return secret


def _text(plaintext: bytes, what: str) -> str:
    try:
        return plaintext.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidWalletEntropy(
            f"Invalid body field 'wallet.ciphertext': the decrypted entropy is not {what} "
            "(not UTF-8 text)"
        ) from None


def _from_hex(plaintext: bytes) -> bytes:
    text = _text(plaintext, "an Ethereum private key")
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        if len(digits) != HEX_DIGITS:
            raise ValueError
        return bytes.fromhex(digits)
    except ValueError:
        raise InvalidWalletEntropy(
            "Invalid body field 'wallet.ciphertext': the decrypted entropy is not an Ethereum "
            f"private key (32 raw bytes, or 64 hex digits with or without 0x; got {len(text)} "
            "characters)"
        ) from None


def _b58(plaintext: bytes) -> bytes:
    text = _text(plaintext, "a Solana private key")
    try:
        raw = base58.b58decode(text) if text else b""
    except ValueError:
        raw = b""
    if len(raw) not in (SECRET_BYTES, KEYPAIR_BYTES):
        raise InvalidWalletEntropy(
            "Invalid body field 'wallet.ciphertext': the decrypted entropy is not a Solana "
            "private key (the 64-byte keypair or the 32-byte seed, raw or base58)"
        )
    return raw


def _from_keypair(raw: bytes) -> bytes:
    seed = raw[:SECRET_BYTES]
    if len(raw) == KEYPAIR_BYTES and raw[SECRET_BYTES:] != chain_keys.public_key(
        chain_keys.SOLANA, seed
    ):
        raise InvalidWalletEntropy(
            "Invalid body field 'wallet.ciphertext': the Solana keypair's last 32 bytes are not "
            "the public key of its first 32 (a keypair is seed followed by public key)"
        )
    return seed


def _from_mnemonic(chain: str, text: str, account_index: int) -> bytes:
    words = " ".join(text.split())
    try:
        valid = _ENGLISH.check(words)
    except (LookupError, ValueError):
        valid = False
    if not valid:
        raise InvalidWalletEntropy(
            "Invalid body field 'wallet.ciphertext': the decrypted entropy is not an English "
            "BIP-39 mnemonic (12-24 words of the wordlist with a valid checksum)"
        )
    curve, _ = PATHS[chain]
    seed = Mnemonic.to_seed(words, passphrase="")
    try:
        derived: bytes = SLIP10.from_seed(seed, curve_name=curve).get_privkey_from_path(
            derivation_path(chain, account_index)
        )
    except SLIP10DerivationError:  # a BIP-32 child beyond the group order: about 2^-127
        raise InvalidWalletEntropy(
            f"Invalid body field 'wallet.ciphertext': account {account_index} of this mnemonic "
            "derives no valid key; use another account_index"
        ) from None
    return derived
