"""The plugin's wallet-import helper: a downstream test imports a wallet with two lines."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_import_wallet_private_key_mnemonic_and_refusals(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import base64, os

        import base58
        import pytest
        from nacl.signing import SigningKey

        from conformance.plugin import MoonkeyMockError

        MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"

        def _user(moonkey_mock):
            reply = moonkey_mock.api("POST", "/v1/auth/users/create", {"email": "w@example.com"})
            return reply.json()["user_id"]

        def test_two_lines(moonkey_mock):
            user_id = _user(moonkey_mock)
            wallet = moonkey_mock.import_wallet(user_id, private_key=os.urandom(32).hex())
            assert wallet["is_imported"] and not wallet["is_read_only"]
            assert moonkey_mock.request_count("BeginWalletImport") == 1
            assert moonkey_mock.request_count("ImportWallet") == 1

        def test_solana_keypair_and_mnemonic(moonkey_mock):
            seed = os.urandom(32)
            keypair = seed + bytes(SigningKey(seed).verify_key)
            user_id = _user(moonkey_mock)
            text = base58.b58encode(keypair).decode()
            sol = moonkey_mock.import_wallet(user_id, "solana", private_key=text)
            assert sol["public_address"] == base58.b58encode(keypair[32:]).decode()
            eth = moonkey_mock.import_wallet(user_id, mnemonic=MNEMONIC, account_index=4)
            assert eth["account_index"] == 4

        def test_a_mismatch_raises_with_the_fakes_message(moonkey_mock):
            with pytest.raises(MoonkeyMockError, match="wallet_address_mismatch|public_address"):
                moonkey_mock.import_wallet(
                    _user(moonkey_mock), private_key=os.urandom(32).hex(),
                    public_address="0x" + "11" * 20,
                )

        def test_encrypt_for_import_by_hand(moonkey_mock):
            key = moonkey_mock.api("POST", "/v1/wallets/import/begin", {
                "public_address": "0x" + "22" * 20, "wallet_type": "ethereum",
                "encryption_type": "HPKE", "entropy_type": "private_key",
            }).json()["encryption_public_key"]
            enc, ct = moonkey_mock.encrypt_for_import(key, "0x" + "33" * 32)
            assert len(base64.b64decode(enc)) == 32
            assert len(base64.b64decode(ct)) == 66 + 16
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=4)
