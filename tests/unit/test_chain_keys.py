"""Managed-wallet keys and addresses, each checked against a library the fake does not use.

Ethereum: eth-keys; Solana: solders; Bitcoin (testnet P2PKH) and Polkadot (SS58 prefix 0):
bip-utils; Stellar: stellar-sdk. Signatures: eth-keys recovers secp256k1, ``cryptography``
verifies ed25519 (the fake signs with coincurve and PyNaCl).
"""

from __future__ import annotations

import hashlib

import pytest
from bip_utils import Bip44, Bip44Coins, SubstrateEd25519AddrEncoder
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from solders.keypair import Keypair as SolanaKeypair
from stellar_sdk import Keypair as StellarKeypair

from mock_server.domain import chain_keys
from mock_server.models import CHAINS, chain_of
from tests.wallet_keys import KEYS  # eth-keys' pure-Python backend

ONE = (1).to_bytes(32, "big")
# Fixed edge cases and a few pseudo-random keys (the same in every xdist worker).
DRAWN = [hashlib.sha256(b"chain-keys %d" % i).digest() for i in range(5)]
SEEDS = [bytes(range(32)), bytes(32), b"\xff" * 32, *DRAWN]
SECRETS = [ONE, (chain_keys.SECP256K1_N - 1).to_bytes(32, "big"), *DRAWN]


def test_every_wallet_type_of_both_eras_names_its_chain() -> None:
    assert {t: chain_of(t) for t in CHAINS} == {
        "ETH": "ethereum",
        "ethereum": "ethereum",
        "SOL": "solana",
        "solana": "solana",
        "BTC": "bitcoin",
        "bitcoin": "bitcoin",
        "DOT": "polkadot",
        "XLM": "stellar",
    }
    assert chain_keys.chain_for_type("XLM") == "stellar"
    with pytest.raises(ValueError, match="unknown wallet_type"):
        chain_keys.chain_for_type("DOGE")


@pytest.mark.parametrize("secret", SECRETS, ids=range(len(SECRETS)))
def test_ethereum_address_is_eth_keys_lower_case(secret: bytes) -> None:
    expected = KEYS.PrivateKey(secret).public_key.to_address()
    assert chain_keys.address_of("ethereum", secret) == expected.lower()


def test_ethereum_address_of_the_secret_one_is_the_well_known_one() -> None:
    assert chain_keys.address_of("ethereum", ONE) == "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"


@pytest.mark.parametrize("secret", SECRETS, ids=range(len(SECRETS)))
def test_bitcoin_address_is_testnet_p2pkh_of_the_compressed_key(secret: bytes) -> None:
    expected = Bip44.FromPrivateKey(secret, Bip44Coins.BITCOIN_TESTNET).PublicKey().ToAddress()
    address = chain_keys.address_of("bitcoin", secret)
    assert address == expected
    assert address[0] in "mn"


def test_bitcoin_address_of_the_secret_one_is_the_well_known_testnet_one() -> None:
    assert chain_keys.address_of("bitcoin", ONE) == "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"


@pytest.mark.parametrize("seed", SEEDS, ids=range(len(SEEDS)))
def test_solana_address_is_solders_pubkey(seed: bytes) -> None:
    assert chain_keys.address_of("solana", seed) == str(SolanaKeypair.from_seed(seed).pubkey())


@pytest.mark.parametrize("seed", SEEDS, ids=range(len(SEEDS)))
def test_polkadot_address_is_ss58_prefix_0_of_the_ed25519_key(seed: bytes) -> None:
    public = bytes(SolanaKeypair.from_seed(seed).pubkey())
    expected = SubstrateEd25519AddrEncoder.EncodeKey(public, ss58_format=0)
    address = chain_keys.address_of("polkadot", seed)
    assert address == expected
    assert address.startswith("1")


@pytest.mark.parametrize("seed", SEEDS, ids=range(len(SEEDS)))
def test_stellar_address_is_the_g_strkey(seed: bytes) -> None:
    expected = StellarKeypair.from_raw_ed25519_seed(seed).public_key
    address = chain_keys.address_of("stellar", seed)
    assert address == expected
    assert address.startswith("G")
    assert len(address) == 56


@pytest.mark.parametrize("chain", ["ethereum", "bitcoin", "solana", "polkadot", "stellar"])
def test_new_secrets_are_fresh_and_valid(chain: str) -> None:
    made = {chain_keys.new_secret(chain) for _ in range(20)}
    assert len(made) == 20
    assert all(chain_keys.valid_secret(chain, s) for s in made)


def test_secp256k1_secrets_outside_the_group_are_drawn_again() -> None:
    draws = iter([bytes(32), chain_keys.SECP256K1_N.to_bytes(32, "big"), b"\xff" * 32, ONE])
    assert chain_keys.new_secret("ethereum", lambda _n: next(draws)) == ONE


@pytest.mark.parametrize(
    ("chain", "secret"),
    [("ethereum", bytes(32)), ("bitcoin", b"\xff" * 32), ("solana", bytes(31)), ("dogecoin", ONE)],
)
def test_invalid_keys_are_refused(chain: str, secret: bytes) -> None:
    with pytest.raises(ValueError, match=r"not a|unknown chain"):
        chain_keys.address_of(chain, secret)


def test_public_keys_are_compressed_secp256k1_and_raw_ed25519() -> None:
    assert (
        chain_keys.public_key("bitcoin", ONE)
        == KEYS.PrivateKey(ONE).public_key.to_compressed_bytes()
    )
    seed = SEEDS[0]
    assert chain_keys.public_key("stellar", seed) == bytes(SolanaKeypair.from_seed(seed).pubkey())


@pytest.mark.parametrize("secret", SECRETS, ids=range(len(SECRETS)))
def test_secp256k1_signature_recovers_to_the_wallet_with_eth_keys(secret: bytes) -> None:
    digest = hashlib.sha3_256(secret).digest()
    signature = chain_keys.sign_digest_secp256k1(secret, digest)
    assert len(signature) == 65
    assert signature[64] in (0, 1)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    assert s <= chain_keys.SECP256K1_N // 2  # low-s
    recovered = KEYS.Signature(vrs=(signature[64], r, s)).recover_public_key_from_msg_hash(digest)
    assert recovered.to_address().lower() == chain_keys.address_of("ethereum", secret)
    assert chain_keys.sign_digest_secp256k1(secret, digest) == signature  # RFC 6979


def test_secp256k1_signing_needs_a_32_byte_digest() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        chain_keys.sign_digest_secp256k1(ONE, b"short")


@pytest.mark.parametrize("seed", SEEDS, ids=range(len(SEEDS)))
def test_ed25519_signature_verifies_with_cryptography(seed: bytes) -> None:
    message = b"moonkey managed wallet " + seed
    signature = chain_keys.sign_ed25519(seed, message)
    assert len(signature) == 64
    public = Ed25519PublicKey.from_public_bytes(chain_keys.public_key("solana", seed))
    public.verify(signature, message)  # raises InvalidSignature when wrong
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"!")
