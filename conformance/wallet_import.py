"""Wallet import for tests: encrypt a key or mnemonic to BeginWalletImport's key and import it.

The HPKE suite is the fake's (docs/decisions.md M61): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
ChaCha20-Poly1305, base mode, empty ``info`` and ``aad``. Two lines in a downstream test::

    wallet = moonkey_mock.import_wallet(user_id, "ethereum", private_key="0x4c08…")
    assert wallet["is_imported"]

:func:`encrypt_for_import` is the step in the middle, for tests that drive the calls themselves.
Addresses: Ethereum from libsecp256k1 (``coincurve``) and Keccak-256, Solana from PyNaCl; a
mnemonic's account by ``mnemonic`` and ``slip10`` at the paths of decisions M68-M69.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import base58
import coincurve
from mnemonic import Mnemonic
from nacl.signing import SigningKey
from pyhpke import AEADId, CipherSuite, KDFId, KEMId
from slip10 import SLIP10

from conformance.wallet import eth_address

Post = Callable[[str, dict[str, Any]], dict[str, Any]]
BEGIN, IMPORT = "/v1/wallets/import/begin", "/v1/wallets/import"
SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
CHAINS = {"ethereum": "ethereum", "eth": "ethereum", "solana": "solana", "sol": "solana"}
PATHS = {
    "ethereum": ("secp256k1", "m/44'/60'/0'/0/{index}"),
    "solana": ("ed25519", "m/44'/501'/{index}'/0'"),
}


def encrypt_for_import(public_key_b64: str, plaintext: bytes | str) -> tuple[str, str]:
    """``(encapsulated_key, ciphertext)``, base64, of ``plaintext`` sealed to the begin key."""
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    recipient = SUITE.kem.deserialize_public_key(base64.b64decode(public_key_b64))
    encapsulated, sender = SUITE.create_sender_context(recipient)
    ciphertext = sender.seal(data)
    return base64.b64encode(encapsulated).decode(), base64.b64encode(ciphertext).decode()


def _chain(wallet_type: str) -> str:
    chain = CHAINS.get(wallet_type.lower())
    if chain is None:
        raise ValueError(f"wallet import takes ethereum or solana wallets, not {wallet_type!r}")
    return chain


def _secret_of_key(chain: str, private_key: str | bytes) -> bytes:
    if isinstance(private_key, bytes):
        raw = private_key
    elif chain == "ethereum":
        raw = bytes.fromhex(private_key.removeprefix("0x"))
    else:
        raw = base58.b58decode(private_key)
    return raw[:32]


def mnemonic_secret(chain: str, mnemonic: str, account_index: int) -> bytes:
    """The 32-byte secret of account ``account_index`` of a BIP-39 ``mnemonic`` on ``chain``."""
    curve, path = PATHS[_chain(chain)]
    seed = Mnemonic.to_seed(" ".join(mnemonic.split()), passphrase="")
    secret: bytes = SLIP10.from_seed(seed, curve_name=curve).get_privkey_from_path(
        path.format(index=account_index)
    )
    return secret


def address_of(chain: str, secret: bytes) -> str:
    """The wallet address of a 32-byte secret: lower-case 0x hex, or the base58 ed25519 key."""
    if _chain(chain) == "ethereum":
        return eth_address(coincurve.PrivateKey(secret).public_key)
    return base58.b58encode(bytes(SigningKey(secret).verify_key)).decode()


def import_wallet(
    post: Post,
    user_id: str,
    wallet_type: str,
    *,
    private_key: str | bytes | None = None,
    mnemonic: str | None = None,
    account_index: int = 0,
    public_address: str | None = None,
) -> dict[str, Any]:
    """BeginWalletImport, :func:`encrypt_for_import`, ImportWallet: the wallet answered.

    Give ``private_key`` (Ethereum hex, Solana base58, or raw bytes) or ``mnemonic`` with
    ``account_index``. ``public_address`` defaults to the key's own address (pass another to
    test a mismatch).
    """
    if (private_key is None) == (mnemonic is None):
        raise ValueError("give exactly one of private_key and mnemonic")
    chain = _chain(wallet_type)
    plaintext: str | bytes
    if mnemonic is not None:
        entropy, plaintext = "hd", mnemonic
        secret = mnemonic_secret(chain, mnemonic, account_index)
    else:
        assert private_key is not None
        entropy, plaintext = "private_key", private_key
        secret = _secret_of_key(chain, private_key)
    address = public_address or address_of(chain, secret)
    wallet = {"public_address": address, "wallet_type": wallet_type, "encryption_type": "HPKE"}
    begin: dict[str, Any] = {**wallet, "entropy_type": entropy}
    if entropy == "hd":
        begin["account_index"] = account_index
    key = post(BEGIN, begin)["encryption_public_key"]
    encapsulated, ciphertext = encrypt_for_import(key, plaintext)
    body = {
        **wallet,
        "entropy_type": entropy,
        "encapsulated_key": encapsulated,
        "ciphertext": ciphertext,
    }
    return post(IMPORT, {"user_id": user_id, "wallet": body})
