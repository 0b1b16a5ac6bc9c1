"""The decrypted entropy of a wallet import → its secret (decisions M66-M70), on known vectors.

The "abandon … about" mnemonic is the BIP-39 test vector every wallet documents; its first
Ethereum account (m/44'/60'/0'/0/0) is 0x9858EfFD232B4033E47d90003D41EC34EcaEda94 (MetaMask,
eth-account's tests) and its first Solana account (m/44'/501'/0'/0') is checked here against
solders' own derivation.
"""

from __future__ import annotations

import base58
import pytest
from bip_utils import Bip39SeedGenerator
from solders.keypair import Keypair

from mock_server.domain import chain_keys, wallet_entropy
from mock_server.errors import InvalidWalletEntropy

ABANDON = " ".join(["abandon"] * 11 + ["about"])


def test_ethereum_account_zero_of_the_bip39_vector() -> None:
    secret = wallet_entropy.secret_of("ethereum", "hd", ABANDON.encode(), 0)
    address = chain_keys.address_of("ethereum", secret)
    assert address == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94".lower()


@pytest.mark.parametrize("index", [0, 1, 7])
def test_solana_accounts_match_solders(index: int) -> None:
    seed = Bip39SeedGenerator(ABANDON).Generate()
    expected = Keypair.from_seed_and_derivation_path(seed, f"m/44'/501'/{index}'/0'")
    secret = wallet_entropy.secret_of("solana", "hd", ABANDON.encode(), index)
    assert secret == bytes(expected)[:32]


def test_derivation_paths() -> None:
    assert wallet_entropy.derivation_path("ethereum", 4) == "m/44'/60'/0'/0/4"
    assert wallet_entropy.derivation_path("solana", 4) == "m/44'/501'/4'/0'"


@pytest.mark.parametrize("form", ["0x{}", "0X{}", " {}\n", "{}"])
def test_ethereum_hex_forms(form: str) -> None:
    secret = bytes(range(1, 33))
    text = form.format(secret.hex()).encode()
    assert wallet_entropy.secret_of("ethereum", "private_key", text, None) == secret


def test_solana_keypair_and_seed() -> None:
    keypair = Keypair()
    seed = bytes(keypair)[:32]
    for text in (str(keypair).encode(), base58.b58encode(seed), bytes(keypair), seed):
        assert wallet_entropy.secret_of("solana", "private_key", text, None) == seed


@pytest.mark.parametrize(
    ("chain", "entropy", "plaintext", "says"),
    [
        ("ethereum", "private_key", b"0x" + b"0" * 64, "not a valid ethereum secret"),
        ("ethereum", "private_key", b"\xff\xfe", "not UTF-8"),
        ("ethereum", "private_key", b"12" * 31, "got 62 characters"),
        ("solana", "private_key", b"0OIl" * 11, "base58"),
        ("solana", "hd", b"abandon " * 12, "BIP-39"),
        ("ethereum", "hd", b"", "BIP-39"),
    ],
)
def test_bad_entropy_says_why(chain: str, entropy: str, plaintext: bytes, says: str) -> None:
    with pytest.raises(InvalidWalletEntropy, match=says):
        wallet_entropy.secret_of(chain, entropy, plaintext, 0)
