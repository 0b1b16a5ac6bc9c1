"""Wallet import over the test client: BeginWalletImport and ImportWallet (Reference-more §10;
decisions M60-M79). ``tests/api/test_stores.py`` runs this module on SQLite and Redis too.

The ciphertext is made with ``cryptography``'s own HPKE (OpenSSL), not the fake's ``pyhpke``;
keys come from eth-keys' pure-Python backend and solders; HD addresses from bip-utils' BIP-39
seed and BIP-44 derivation and solders' ``from_seed_and_derivation_path`` — none of them the
``mnemonic``/``slip10`` code the fake derives with; eth-account (key and ``from_mnemonic``) in a
child process, as W9 wants it out of the process the fake runs in.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import base58
import pytest
from bip_utils import Bip39SeedGenerator, Bip44, Bip44Changes, Bip44Coins
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from flask.testing import FlaskClient
from solders.keypair import Keypair

from mock_server import ControllableClock
from mock_server.state import MockState
from tests.helpers import Api, assert_error
from tests.wallet_keys import KEYS

BEGIN, IMPORT, GET = "/v1/wallets/import/begin", "/v1/wallets/import", "/v1/wallets/"
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
MNEMONIC = (
    "legal winner thank year wave sausage worth useful legal winner thank yellow"  # BIP-39 vector
)


def _user(api: Api, email: str = "importer@example.com") -> str:
    reply = api.post("/v1/auth/users/create", {"email": email})
    assert reply.status_code == 200, reply.get_json()
    return str(reply.get_json()["user_id"])


def _eth() -> tuple[bytes, str]:
    key = KEYS.PrivateKey(os.urandom(32))
    return key.to_bytes(), str(key.public_key.to_checksum_address())


def _begin(
    api: Api, address: str, wallet_type: str, entropy: str = "private_key", **extra: Any
) -> str:
    body = {
        "public_address": address,
        "wallet_type": wallet_type,
        "encryption_type": "HPKE",
        "entropy_type": entropy,
        **extra,
    }
    reply = api.post(BEGIN, body)
    assert reply.status_code == 200, reply.get_json()
    answer = reply.get_json()
    assert answer["encryption_type"] == "HPKE"
    return str(answer["encryption_public_key"])


def _seal(public_key: str, plaintext: bytes) -> tuple[str, str]:
    """``(encapsulated_key, ciphertext)`` in base64: cryptography answers ``enc ‖ ct``."""
    raw = base64.b64decode(public_key)
    sealed = SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(raw))
    return base64.b64encode(sealed[:32]).decode(), base64.b64encode(sealed[32:]).decode()


def _body(user_id: str, address: str, wallet_type: str, enc: str, ct: str, entropy: str) -> Any:
    return {
        "user_id": user_id,
        "wallet": {
            "public_address": address,
            "wallet_type": wallet_type,
            "encryption_type": "HPKE",
            "entropy_type": entropy,
            "encapsulated_key": enc,
            "ciphertext": ct,
        },
    }


def _import(
    api: Api,
    user_id: str,
    address: str,
    wallet_type: str,
    plaintext: bytes,
    entropy: str = "private_key",
    **begin: Any,
) -> Any:
    enc, ct = _seal(_begin(api, address, wallet_type, entropy, **begin), plaintext)
    return api.post(IMPORT, _body(user_id, address, wallet_type, enc, ct, entropy))


def _imported(reply: Any) -> dict[str, Any]:
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    assert body["is_imported"] is True
    assert body["is_read_only"] is False
    assert body["is_default"] is False
    assert body["verified"] is True
    assert body["wallet_pk_id"].startswith("walletpk_")
    return body


def _stored_secret(state: MockState, wallet: dict[str, Any]) -> bytes:
    key = state.store.get_wallet_key(wallet["app_id"], wallet["id"])
    assert key is not None
    return key.secret


# --- BeginWalletImport ----------------------------------------------------------------------


def test_begin_wallet_import_answers_a_fresh_x25519_key_each_call(api: Api) -> None:
    _, address = _eth()
    first, second = _begin(api, address, "ethereum"), _begin(api, address, "ethereum")
    assert first != second
    for key in (first, second):
        assert len(base64.b64decode(key, validate=True)) == 32
        X25519PublicKey.from_public_bytes(base64.b64decode(key))


def test_begin_wallet_import_hd_needs_account_index(api: Api) -> None:
    _, address = _eth()
    body: dict[str, Any] = {
        "public_address": address,
        "wallet_type": "ethereum",
        "encryption_type": "HPKE",
        "entropy_type": "hd",
    }
    assert_error(api.post(BEGIN, body), 400, "validation_error", "field 'account_index'")
    body.update(entropy_type="private_key", account_index=0)
    assert_error(api.post(BEGIN, body), 400, "validation_error", "field 'account_index'")


def test_begin_wallet_import_refuses_other_types_and_bad_addresses(api: Api) -> None:
    _, address = _eth()
    body = {
        "public_address": address,
        "wallet_type": "ETH",
        "encryption_type": "HPKE",
        "entropy_type": "private_key",
    }
    assert_error(api.post(BEGIN, body), 400, "validation_error", "wallet_type")
    body.update(wallet_type="solana", public_address="4vJ9")
    assert_error(api.post(BEGIN, body), 400, "validation_error", "public_address")


# --- ImportWallet: private keys ---------------------------------------------------------------


@pytest.mark.parametrize("form", ["0x", "bare", "raw"])
def test_import_wallet_ethereum_private_key(api: Api, state: MockState, form: str) -> None:
    secret, address = _eth()
    text = {"0x": ("0x" + secret.hex()).encode(), "bare": secret.hex().encode(), "raw": secret}
    user_id = _user(api)
    wallet = _imported(_import(api, user_id, address, "ethereum", text[form]))
    assert wallet["public_address"] == address.lower()
    assert wallet["user_id"] == user_id
    assert wallet["wallet_type"] == "ethereum"
    assert wallet["account_index"] is None
    assert _stored_secret(state, wallet) == secret
    fetched = api.get(GET + wallet["id"])
    assert fetched.status_code == 200, fetched.get_json()
    assert fetched.get_json()["public_address"] == address.lower()
    assert secret.hex() not in fetched.get_data(as_text=True)


@pytest.mark.parametrize("form", ["keypair58", "seed58", "keypair_raw"])
def test_import_wallet_solana_private_key(api: Api, state: MockState, form: str) -> None:
    keypair = Keypair()
    seed = bytes(keypair)[:32]
    text = {
        "keypair58": str(keypair).encode(),
        "seed58": base58.b58encode(seed),
        "keypair_raw": bytes(keypair),
    }
    wallet = _imported(_import(api, _user(api), str(keypair.pubkey()), "solana", text[form]))
    assert wallet["public_address"] == str(keypair.pubkey())
    assert _stored_secret(state, wallet) == seed


def test_import_wallet_solana_keypair_with_a_foreign_public_half_is_400(api: Api) -> None:
    keypair, other = Keypair(), Keypair()
    forged = bytes(keypair)[:32] + bytes(other.pubkey())
    reply = _import(api, _user(api), str(keypair.pubkey()), "solana", base58.b58encode(forged))
    assert_error(reply, 400, "invalid_wallet_entropy", "last 32 bytes")


# --- ImportWallet: BIP-39 mnemonics -----------------------------------------------------------

# eth-account raises the recursion limit when imported (W9), so it runs in a child process.
ETH_ACCOUNT = """
import json, sys
from eth_account import Account
Account.enable_unaudited_hdwallet_features()
fresh = Account.create()
hd = Account.from_mnemonic(sys.argv[1], account_path="m/44'/60'/0'/0/" + sys.argv[2])
print(json.dumps({"key": fresh.key.hex(), "address": fresh.address, "hd": hd.address}))
"""


def _eth_account(mnemonic: str, index: int) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", ETH_ACCOUNT, mnemonic, str(index)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def test_import_wallet_eth_account_key_and_mnemonic(api: Api, state: MockState) -> None:
    """A key eth-account made, and account 6 by eth-account's own HD wallet, import as such."""
    made = _eth_account(MNEMONIC, 6)
    user_id = _user(api)
    wallet = _imported(_import(api, user_id, made["address"], "ethereum", made["key"].encode()))
    assert wallet["public_address"] == made["address"].lower()
    assert _stored_secret(state, wallet) == bytes.fromhex(made["key"].removeprefix("0x"))
    other = _user(api, "hd@example.com")
    reply = _import(api, other, made["hd"], "ethereum", MNEMONIC.encode(), "hd", account_index=6)
    assert _imported(reply)["public_address"] == made["hd"].lower()


def test_import_wallet_ethereum_hd_account(api: Api) -> None:
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    account = (
        Bip44.FromSeed(seed, Bip44Coins.ETHEREUM)
        .Purpose()
        .Coin()
        .Account(0)
        .Change(Bip44Changes.CHAIN_EXT)
        .AddressIndex(3)
    )
    address = account.PublicKey().ToAddress()
    reply = _import(api, _user(api), address, "ethereum", MNEMONIC.encode(), "hd", account_index=3)
    wallet = _imported(reply)
    assert wallet["public_address"] == address.lower()
    assert wallet["account_index"] == 3


def test_import_wallet_solana_hd_account(api: Api, state: MockState) -> None:
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    keypair = Keypair.from_seed_and_derivation_path(seed, "m/44'/501'/2'/0'")
    text = ("  " + MNEMONIC.replace(" ", "\n") + "\n").encode()  # any whitespace between words
    reply = _import(api, _user(api), str(keypair.pubkey()), "solana", text, "hd", account_index=2)
    wallet = _imported(reply)
    assert wallet["public_address"] == str(keypair.pubkey())
    assert wallet["account_index"] == 2
    assert _stored_secret(state, wallet) == bytes(keypair)[:32]


def test_import_wallet_hd_of_another_account_is_an_address_mismatch(api: Api) -> None:
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    keypair = Keypair.from_seed_and_derivation_path(seed, "m/44'/501'/0'/0'")
    reply = _import(
        api, _user(api), str(keypair.pubkey()), "solana", MNEMONIC.encode(), "hd", account_index=1
    )
    assert_error(reply, 400, "wallet_address_mismatch", "wallet.public_address")


def test_import_wallet_bad_mnemonic_checksum_is_400(api: Api) -> None:
    _, address = _eth()
    words = MNEMONIC.replace("yellow", "wave")
    reply = _import(api, _user(api), address, "ethereum", words.encode(), "hd", account_index=0)
    assert_error(reply, 400, "invalid_wallet_entropy", "BIP-39")


# --- ImportWallet: the key pair ----------------------------------------------------------------


def test_import_wallet_key_pair_is_used_once(api: Api) -> None:
    secret, address = _eth()
    user_id = _user(api)
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    body = _body(user_id, address, "ethereum", enc, ct, "private_key")
    _imported(api.post(IMPORT, body))
    assert_error(api.post(IMPORT, body), 400, "wallet_import_not_begun", "call BeginWalletImport")


def test_import_wallet_key_pair_expires_after_600_seconds(
    api: Api, clock: ControllableClock
) -> None:
    secret, address = _eth()
    user_id = _user(api)
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    clock.shift(timedelta(seconds=600))
    body = _body(user_id, address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "wallet_import_expired", "600 s")
    assert_error(api.post(IMPORT, body), 400, "wallet_import_not_begun")


def test_import_wallet_just_before_expiry_works(api: Api, clock: ControllableClock) -> None:
    secret, address = _eth()
    user_id = _user(api)
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    clock.shift(timedelta(seconds=599))
    _imported(api.post(IMPORT, _body(user_id, address, "ethereum", enc, ct, "private_key")))


def test_import_wallet_without_begin_is_400(api: Api) -> None:
    secret, address = _eth()
    other = X25519PrivateKey.generate().public_key().public_bytes_raw()
    enc, ct = _seal(base64.b64encode(other).decode(), secret.hex().encode())
    body = _body(_user(api), address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "wallet_import_not_begun", address.lower())


def test_import_wallet_encrypted_to_another_key_is_400_and_keeps_the_pair(api: Api) -> None:
    secret, address = _eth()
    user_id = _user(api)
    good = _begin(api, address, "ethereum")
    stranger = X25519PrivateKey.generate().public_key().public_bytes_raw()
    enc, ct = _seal(base64.b64encode(stranger).decode(), secret.hex().encode())
    body = _body(user_id, address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "invalid_import_ciphertext", "wallet.ciphertext")
    enc, ct = _seal(good, secret.hex().encode())
    _imported(api.post(IMPORT, _body(user_id, address, "ethereum", enc, ct, "private_key")))


def test_import_wallet_tampered_ciphertext_is_400(api: Api) -> None:
    secret, address = _eth()
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    raw = bytearray(base64.b64decode(ct))
    raw[0] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    body = _body(_user(api), address, "ethereum", enc, tampered, "private_key")
    assert_error(api.post(IMPORT, body), 400, "invalid_import_ciphertext")


def test_import_wallet_any_of_the_live_pairs_opens(api: Api) -> None:
    secret, address = _eth()
    first = _begin(api, address, "ethereum")
    _begin(api, address, "ethereum")
    enc, ct = _seal(first, secret.hex().encode())
    _imported(api.post(IMPORT, _body(_user(api), address, "ethereum", enc, ct, "private_key")))


def test_import_wallet_keeps_five_pairs_per_wallet(api: Api) -> None:
    secret, address = _eth()
    first = _begin(api, address, "ethereum")
    for _ in range(5):
        _begin(api, address, "ethereum")
    enc, ct = _seal(first, secret.hex().encode())
    body = _body(_user(api), address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "invalid_import_ciphertext")


def test_import_wallet_pair_of_another_address_does_not_serve(api: Api) -> None:
    secret, address = _eth()
    _, other = _eth()
    enc, ct = _seal(_begin(api, other, "ethereum"), secret.hex().encode())
    body = _body(_user(api), address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "wallet_import_not_begun")


# --- ImportWallet: malformed input ---------------------------------------------------------------


def test_import_wallet_bad_base64_names_the_field(api: Api) -> None:
    secret, address = _eth()
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    user_id = _user(api)
    body = _body(user_id, address, "ethereum", "not base64!", ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "validation_error", "wallet.encapsulated_key")
    body = _body(user_id, address, "ethereum", enc, "***", "private_key")
    assert_error(api.post(IMPORT, body), 400, "validation_error", "wallet.ciphertext")
    short = base64.b64encode(b"x" * 15).decode()
    body = _body(user_id, address, "ethereum", enc, short, "private_key")
    assert_error(api.post(IMPORT, body), 400, "validation_error", "'wallet.ciphertext'")


def test_import_wallet_encapsulated_key_of_the_wrong_length_is_400(api: Api) -> None:
    secret, address = _eth()
    _, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    p256_sized = base64.b64encode(b"\x04" + b"\x01" * 64).decode()
    body = _body(_user(api), address, "ethereum", p256_sized, ct, "private_key")
    assert_error(api.post(IMPORT, body), 400, "validation_error", "'wallet.encapsulated_key'")


@pytest.mark.parametrize(
    "plaintext",
    [b"0x1234", b"\xff" * 40, b"zz" * 32, b"\x00" * 32, bytes.fromhex("ff" * 32)],
)
def test_import_wallet_not_a_key_is_400(api: Api, plaintext: bytes) -> None:
    _, address = _eth()
    reply = _import(api, _user(api), address, "ethereum", plaintext)
    assert_error(reply, 400, "invalid_wallet_entropy", "wallet.ciphertext")


def test_import_wallet_key_of_another_address_is_400(api: Api) -> None:
    secret, _ = _eth()
    _, address = _eth()
    reply = _import(api, _user(api), address, "ethereum", secret.hex().encode())
    assert_error(reply, 400, "wallet_address_mismatch", address.lower())


def test_import_wallet_unknown_user_is_404_and_keeps_the_pair(api: Api) -> None:
    secret, address = _eth()
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    body = _body("user_unknown", address, "ethereum", enc, ct, "private_key")
    assert_error(api.post(IMPORT, body), 404, "user_not_found")
    body["user_id"] = _user(api)
    _imported(api.post(IMPORT, body))


def test_import_wallet_entropy_type_must_match_the_begin_call(api: Api) -> None:
    secret, address = _eth()
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    body = _body(_user(api), address, "ethereum", enc, ct, "hd")
    assert_error(api.post(IMPORT, body), 400, "wallet_import_not_begun", "entropy_type hd")


# --- ImportWallet: the user's wallets ------------------------------------------------------------


def test_import_wallet_answers_the_users_existing_wallet_of_that_chain(
    api: Api, state: MockState
) -> None:
    user_id = _user(api)
    created = api.post("/v1/wallets/create", {"user_id": user_id, "wallet_type": "ethereum"})
    assert created.status_code == 200, created.get_json()
    secret, address = _eth()
    reply = _import(api, user_id, address, "ethereum", secret.hex().encode())
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == created.get_json()
    user = state.store.get_user(state.store.apps()[0].app_id, user_id)
    assert user is not None
    assert [w.is_imported for w in user.wallets] == [False]


def test_import_wallet_second_import_of_the_chain_answers_the_first(api: Api) -> None:
    user_id = _user(api)
    secret, address = _eth()
    first = _imported(_import(api, user_id, address, "ethereum", secret.hex().encode()))
    other_secret, other = _eth()
    again = _import(api, user_id, other, "ethereum", other_secret.hex().encode())
    assert again.get_json() == first
    keypair = Keypair()
    solana = _imported(
        _import(api, user_id, str(keypair.pubkey()), "solana", str(keypair).encode())
    )
    assert solana["id"] != first["id"]


def test_import_wallet_address_of_another_user_is_409(api: Api) -> None:
    secret, address = _eth()
    _imported(_import(api, _user(api, "a@example.com"), address, "ethereum", secret.hex().encode()))
    reply = _import(api, _user(api, "b@example.com"), address, "ethereum", secret.hex().encode())
    assert_error(reply, 409, "duplicate_wallet", address.lower())


# --- state, engines, process ------------------------------------------------------------------


def test_import_wallet_key_pairs_round_trip_through_the_state_export(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    secret, address = _eth()
    user_id = _user(api)
    enc, ct = _seal(_begin(api, address, "ethereum"), secret.hex().encode())
    document = client.get("/_mock/state").get_json()
    assert len(document["apps"][0]["wallet_import_keys"]) == 1
    state.store.reset()
    imported = client.post("/_mock/state", json=document)
    assert imported.status_code == 200, imported.get_json()
    _imported(api.post(IMPORT, _body(user_id, address, "ethereum", enc, ct, "private_key")))


def test_wallet_import_libraries_leave_the_recursion_limit_alone() -> None:
    """Decision W9: pyhpke, mnemonic and slip10 are imported by the fake's process."""
    import mnemonic
    import pyhpke
    import slip10

    assert all(m.__name__ for m in (mnemonic, pyhpke, slip10))
    assert sys.getrecursionlimit() < 10_000
