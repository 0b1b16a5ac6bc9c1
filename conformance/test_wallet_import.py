"""Wallet import: BeginWalletImport's HPKE key, ImportWallet's checks and the imported wallet.

Capability-gated: a deployment that does not serve ``POST /v1/wallets/import/begin`` skips
these rules with that reason. The suite makes throwaway keys of its own (so a run against a real
deployment imports a key nobody holds funds with) and seals them with the HPKE suite of
decision M61, which the published pages do not name: a deployment using another suite fails
the import rules, and that failure says so. Sources (public pages):

- https://docs.moonkey.fun/api-reference/wallet-import/begin-wallet-import
- https://docs.moonkey.fun/api-reference/wallet-import/import-wallet
- docs/decisions.md M60-M79 (the suite, the key pair's life, the plaintext, the errors).
"""

from __future__ import annotations

import base64
import os
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from nacl.signing import SigningKey

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.gates import missing_wallet_import
from conformance.timing import TimeTravel
from conformance.wallet_import import address_of, encrypt_for_import, mnemonic_secret

BEGIN, IMPORT = "/v1/wallets/import/begin", "/v1/wallets/import"
KEY_PAIR_SECONDS = 600
MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def _wallet(address: str, wallet_type: str, entropy: str) -> dict[str, Any]:
    return {
        "public_address": address,
        "wallet_type": wallet_type,
        "encryption_type": "HPKE",
        "entropy_type": entropy,
    }


@pytest.fixture(scope="module", autouse=True)
def _serves_wallet_import(api: ApiClient) -> None:
    """Skip the module on a deployment without wallet import (the path is unknown there)."""
    reason = missing_wallet_import(api)
    if reason is not None:
        pytest.skip(reason)


def _eth_key() -> tuple[str, str]:
    secret = os.urandom(32)
    return "0x" + secret.hex(), address_of("ethereum", secret)


def _begin(api: ApiClient, expect: Expect, wallet: dict[str, Any], **extra: Any) -> str:
    begun = api.post(BEGIN, {**wallet, **extra})
    expect.ok(begun)
    return str(expect.field(begun, "encryption_public_key"))


def _import(
    api: ApiClient, user_id: str, wallet: dict[str, Any], sealed: tuple[str, str]
) -> Exchange:
    body = {**wallet, "encapsulated_key": sealed[0], "ciphertext": sealed[1]}
    return api.post(IMPORT, {"user_id": user_id, "wallet": body})


def _check_imported(expect: Expect, imported: Exchange, address: str) -> dict[str, Any]:
    body = expect.ok(imported)
    expect.equal("public_address", address, body.get("public_address"), imported)
    expect.equal("is_imported", True, body.get("is_imported"), imported)
    expect.equal("is_read_only", False, body.get("is_read_only"), imported)
    expect.equal("is_default", False, body.get("is_default"), imported)
    return body


@pytest.mark.rule(
    "M61: BeginWalletImport answers a fresh 32-byte X25519 key per call",
    source=sources.BEGIN_WALLET_IMPORT,
)
def test_begin_wallet_import_answers_a_fresh_key(api: ApiClient, expect: Expect) -> None:
    """``encryption_type`` HPKE; two calls, two different 32-byte base64 keys."""
    wallet = _wallet(_eth_key()[1], "ethereum", "private_key")
    first, second = api.post(BEGIN, wallet), api.post(BEGIN, wallet)
    keys = []
    for begun in (first, second):
        body = expect.ok(begun)
        expect.equal("encryption_type", "HPKE", body.get("encryption_type"), begun)
        key = base64.b64decode(str(body.get("encryption_public_key", "")))
        expect.true(len(key) == 32, "a 32-byte key", f"{len(key)} bytes", begun)
        keys.append(key)
    expect.true(keys[0] != keys[1], "a fresh key per call", "the same key twice", second)


@pytest.mark.rule(
    "M66: an Ethereum private key imports as an imported managed wallet",
    source=sources.IMPORT_WALLET,
)
def test_import_wallet_ethereum_private_key(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The key as 0x hex; the wallet is imported, not read-only, not default, of its address."""
    key, address = _eth_key()
    wallet = _wallet(address, "ethereum", "private_key")
    sealed = encrypt_for_import(_begin(api, expect, wallet), key)
    body = _check_imported(expect, _import(api, flows.create_user(), wallet, sealed), address)
    expect.equal("account_index", None, body.get("account_index"))


@pytest.mark.rule(
    "M67: a Solana keypair (base58) imports as an imported managed wallet",
    source=sources.IMPORT_WALLET,
)
def test_import_wallet_solana_keypair(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The 64-byte keypair (seed ‖ public key) as base58, the Solana CLI's and Phantom's export."""
    seed = os.urandom(32)
    public = bytes(SigningKey(seed).verify_key)
    address = base58.b58encode(public).decode()
    wallet = _wallet(address, "solana", "private_key")
    sealed = encrypt_for_import(_begin(api, expect, wallet), base58.b58encode(seed + public))
    _check_imported(expect, _import(api, flows.create_user(), wallet, sealed), address)


@pytest.mark.rule(
    "M68: an HD import derives account_index at m/44'/60'/0'/0/{i}",
    source=sources.WALLET_IMPORT_DECISIONS,
)
def test_import_wallet_ethereum_mnemonic_account(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """Account 5 of the BIP-39 test mnemonic; the answer carries ``account_index: 5``."""
    address = address_of("ethereum", mnemonic_secret("ethereum", MNEMONIC, 5))
    wallet = _wallet(address, "ethereum", "hd")
    sealed = encrypt_for_import(_begin(api, expect, wallet, account_index=5), MNEMONIC)
    imported = _import(api, flows.create_user(), wallet, sealed)
    body = _check_imported(expect, imported, address)
    expect.equal("account_index", 5, body.get("account_index"), imported)


@pytest.mark.rule(
    "M71: a key of another address is refused naming public_address",
    source=sources.WALLET_IMPORT_DECISIONS,
)
def test_import_wallet_address_mismatch_is_refused(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """The key of one address sent for another → 400 ``wallet_address_mismatch``."""
    key, _ = _eth_key()
    _, other = _eth_key()
    wallet = _wallet(other, "ethereum", "private_key")
    sealed = encrypt_for_import(_begin(api, expect, wallet), key)
    refused = _import(api, flows.create_user(), wallet, sealed)
    body = expect.error(refused, 400, "wallet_address_mismatch")
    expect.true(
        "public_address" in str(body.get("error_message")),
        "the message names public_address",
        repr(body.get("error_message")),
        refused,
    )


@pytest.mark.rule("M63: a key pair opens one import only", source=sources.WALLET_IMPORT_DECISIONS)
def test_import_wallet_key_pair_is_single_use(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The same successful import sent twice: the second → 400 ``wallet_import_not_begun``."""
    key, address = _eth_key()
    wallet = _wallet(address, "ethereum", "private_key")
    sealed = encrypt_for_import(_begin(api, expect, wallet), key)
    user_id = flows.create_user()
    expect.ok(_import(api, user_id, wallet, sealed))
    expect.error(_import(api, user_id, wallet, sealed), 400, "wallet_import_not_begun")


@pytest.mark.rule(
    "M64: a key pair expires 600 s after BeginWalletImport",
    source=sources.WALLET_IMPORT_DECISIONS,
)
@pytest.mark.time_dependent
def test_import_wallet_expired_key_pair_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, travel: TimeTravel
) -> None:
    """Sealed in time but sent 600 s later → 400 ``wallet_import_expired``."""
    key, address = _eth_key()
    wallet = _wallet(address, "ethereum", "private_key")
    user_id = flows.create_user()
    started = travel.now()
    sealed = encrypt_for_import(_begin(api, expect, wallet), key)
    travel.at(started + KEY_PAIR_SECONDS)
    expect.error(_import(api, user_id, wallet, sealed), 400, "wallet_import_expired")


@pytest.mark.rule(
    "M73: a ciphertext sealed to another key is refused (400, not 500)",
    source=sources.WALLET_IMPORT_DECISIONS,
)
def test_import_wallet_foreign_ciphertext_is_refused(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """Sealed to a key the server never made → 400 ``invalid_import_ciphertext``."""
    key, address = _eth_key()
    wallet = _wallet(address, "ethereum", "private_key")
    _begin(api, expect, wallet)
    stranger = base64.b64encode(X25519PrivateKey.generate().public_key().public_bytes_raw())
    sealed = encrypt_for_import(stranger.decode(), key)
    refused = _import(api, flows.create_user(), wallet, sealed)
    expect.error(refused, 400, "invalid_import_ciphertext")


@pytest.mark.rule(
    "M74: bad base64 and a wrong-length encapsulated key are 400 naming the field",
    source=sources.WALLET_IMPORT_DECISIONS,
)
def test_import_wallet_malformed_fields_are_400(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``encapsulated_key`` not base64, or 65 bytes (a P-256 key) → 400 naming it."""
    key, address = _eth_key()
    wallet = _wallet(address, "ethereum", "private_key")
    _, ciphertext = encrypt_for_import(_begin(api, expect, wallet), key)
    user_id = flows.create_user()
    for encapsulated in ("not base64!", base64.b64encode(b"\x04" * 65).decode()):
        refused = _import(api, user_id, wallet, (encapsulated, ciphertext))
        body = expect.error(refused, 400)
        expect.true(
            "encapsulated_key" in str(body.get("error_message")),
            "the message names encapsulated_key",
            repr(body.get("error_message")),
            refused,
        )
