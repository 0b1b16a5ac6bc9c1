"""Wallet import: HPKE key pairs, opening the ciphertext, the imported wallet (§10; M60-M79).

BeginWalletImport makes a fresh X25519 key pair per call and keeps it (the page says the call
"stores nothing", yet the ciphertext must be opened later, and only the begin call carries
``account_index``): a :class:`~mock_server.models.WalletImportKey` filed by its public key,
living ``KEY_PAIR_SECONDS`` on the fake's clock, at most ``PENDING_PER_WALLET`` per wallet.
ImportWallet does not name the public key, so it tries the live key pairs begun for the same
wallet (chain, address, entropy type), newest first; HPKE's AEAD tag tells the right one. The
one that opens is used up, whatever follows. The suite is DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, ChaCha20-Poly1305, base mode, empty ``info`` and ``aad`` (``pyhpke``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, PyHPKEError

from mock_server.errors import (
    ImportedAddressMismatch,
    InvalidImportCiphertext,
    ValidationError,
    WalletImportExpired,
    WalletImportNotBegun,
)
from mock_server.models import App, User, Wallet, WalletImportKey, chain_of
from mock_server.state import MockState

from . import chain_keys, managed_wallets, users, wallet_entropy, wallet_signatures

SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
INFO = b""
AAD = b""
ENCAPSULATED_KEY_BYTES = 32  # an X25519 public key (RFC 9180 §7.1: Nenc = 32)
TAG_BYTES = 16  # ChaCha20-Poly1305's tag: no ciphertext is shorter
KEY_PAIR_SECONDS = 600
PENDING_PER_WALLET = 5
HEX = "0123456789abcdef"


def _seeded_bytes(state: MockState) -> Callable[[int], bytes]:
    """Random bytes from the fake's id source (``--random-seed`` repeats the key pairs)."""
    return lambda count: bytes.fromhex(state.ids.chars(2 * count, HEX))


def _wallet_key(body: dict[str, Any]) -> tuple[str, str]:
    chain = chain_keys.chain_for_type(body["wallet_type"])  # the spec's enum: ethereum, solana
    return chain, wallet_signatures.normalize_address(chain, body["public_address"])


def begin(state: MockState, app: App, body: dict[str, Any]) -> WalletImportKey:
    """BeginWalletImport: a fresh key pair for importing one wallet (§10.1)."""
    entropy_type, index = body["entropy_type"], body.get("account_index")  # the schema: M65
    chain, address = _wallet_key(body)
    private = X25519PrivateKey.from_private_bytes(_seeded_bytes(state)(32))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    now = state.now_ts()
    key = WalletImportKey(
        public_key=base64.b64encode(public).decode("ascii"),
        app_id=app.app_id,
        private_key_hex=private.private_bytes_raw().hex(),
        chain=chain,
        wallet_type=body["wallet_type"],
        public_address=address,
        entropy_type=entropy_type,
        account_index=index,
        created_at=now,
        expires_at=now + KEY_PAIR_SECONDS,
    )
    with state.store.atomic():
        same: list[WalletImportKey] = []
        for pending in state.store.wallet_import_keys(app.app_id):
            if pending.expires_at <= now:
                state.store.take_wallet_import_key(app.app_id, pending.public_key)
            elif (pending.chain, pending.public_address) == (chain, address):
                same.append(pending)
        for oldest in same[: max(0, len(same) - PENDING_PER_WALLET + 1)]:
            state.store.take_wallet_import_key(app.app_id, oldest.public_key)
        state.store.put_wallet_import_key(key)
    return key


def _base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"Invalid body field '{field}': not standard base64") from None


def _open(key: WalletImportKey, encapsulated: bytes, ciphertext: bytes) -> bytes | None:
    private = SUITE.kem.deserialize_private_key(bytes.fromhex(key.private_key_hex))
    try:
        context = SUITE.create_recipient_context(encapsulated, private, info=INFO)
        plaintext: bytes = context.open(ciphertext, aad=AAD)
    except (PyHPKEError, ValueError):  # a wrong key or tag; a low-order point as the enc
        return None
    return plaintext


def _use_up(state: MockState, app: App, key: WalletImportKey) -> bool:
    """Remove the key pair; False when another request took it first (single use, M63)."""
    return state.store.take_wallet_import_key(app.app_id, key.public_key) is not None


def _check_address(key: WalletImportKey, secret: bytes) -> None:
    """The imported key's address must be the one the import names (M71)."""
    derived = chain_keys.address_of(key.chain, secret)
    if derived != key.public_address:
        raise ImportedAddressMismatch(
            f"Invalid body field 'wallet.public_address': the imported key's address is "
            f"{derived}, not {key.public_address}"
        )


def _take_opened(
    state: MockState, app: App, wallet: dict[str, Any], encapsulated: bytes, ciphertext: bytes
) -> tuple[WalletImportKey, bytes]:
    """The live key pair begun for this wallet that opens the ciphertext (used up) and the text."""
    chain, address = _wallet_key(wallet)
    entropy_type = wallet["entropy_type"]
    now = state.now_ts()
    with state.store.atomic():
        begun = [
            k
            for k in state.store.wallet_import_keys(app.app_id)
            if (k.chain, k.public_address, k.entropy_type) == (chain, address, entropy_type)
        ]
        live = [k for k in begun if k.expires_at > now]
        for dead in (k for k in begun if k.expires_at <= now):
            state.store.take_wallet_import_key(app.app_id, dead.public_key)
        if not live:
            if begun:
                raise WalletImportExpired(
                    f"The key pair from BeginWalletImport for {address} expired "
                    f"({KEY_PAIR_SECONDS} s after the begin call): call BeginWalletImport again"
                )
            raise WalletImportNotBegun(
                f"No key pair from BeginWalletImport is waiting for {chain} wallet {address} "
                f"with entropy_type {entropy_type}: call BeginWalletImport first (a key pair "
                "is used once)"
            )
        for key in reversed(live):
            plaintext = _open(key, encapsulated, ciphertext)
            if plaintext is not None and _use_up(state, app, key):
                return key, plaintext
    raise InvalidImportCiphertext()


def import_wallet(state: MockState, app: App, body: dict[str, Any]) -> tuple[User, Wallet, bool]:
    """ImportWallet: ``(user, wallet, imported)``; the user's managed wallet of the chain, if
    there is one, is answered instead (``imported`` False, §10.2)."""
    wallet = body["wallet"]
    encapsulated = _base64(wallet["encapsulated_key"], "wallet.encapsulated_key")
    if len(encapsulated) != ENCAPSULATED_KEY_BYTES:
        raise ValidationError(
            "Invalid body field 'wallet.encapsulated_key': an X25519 key is "
            f"{ENCAPSULATED_KEY_BYTES} bytes, not {len(encapsulated)}"
        )
    ciphertext = _base64(wallet["ciphertext"], "wallet.ciphertext")
    if len(ciphertext) < TAG_BYTES:
        raise ValidationError(
            f"Invalid body field 'wallet.ciphertext': {len(ciphertext)} bytes, shorter than "
            f"the {TAG_BYTES}-byte ChaCha20-Poly1305 tag"
        )
    user = users.get(state, app, body["user_id"])
    key, plaintext = _take_opened(state, app, wallet, encapsulated, ciphertext)
    secret = wallet_entropy.secret_of(key.chain, key.entropy_type, plaintext, key.account_index)
    _check_address(key, secret)
    existing = next(
        (w for w in user.wallets if w.managed and chain_of(w.wallet_type) == key.chain), None
    )
    if existing is not None:
        return user, existing, False
    account_index = key.account_index if key.entropy_type == wallet_entropy.HD else None
    return managed_wallets.create(
        state,
        app,
        user.user_id,
        wallet["wallet_type"],
        secret=secret,
        imported=True,
        account_index=account_index,
    )
