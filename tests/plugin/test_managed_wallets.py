"""The plugin handle's managed-wallet helpers: create_wallet, set_balance, balance."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_managed_wallet_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from decimal import Decimal

        import pytest
        from conformance.control_client import ControlError
        from conformance.plugin import MoonkeyMockError

        def test_balance_in_two_lines(moonkey_mock):
            me = moonkey_mock.login("ada@example.com")
            wallet = moonkey_mock.create_wallet("ada@example.com", "ETH")
            assert moonkey_mock.create_wallet(me.user_id, "ethereum") == wallet
            assert moonkey_mock.balance(wallet["id"], "ETH") == 0
            moonkey_mock.set_balance(wallet["id"], "ETH", "1.5")
            body = {"wallet_id": wallet["id"], "token_symbol": "ETH"}
            reply = moonkey_mock.api("POST", "/v1/wallets/balance", body).json()
            assert reply["balance"] == "1.5"
            moonkey_mock.set_balance(wallet["id"], "USDC", Decimal("0.000001"))
            assert moonkey_mock.balance(wallet["id"], "USDC") == Decimal("0.000001")
            moonkey_mock.set_balance(wallet["id"], "MATIC", 3)
            assert moonkey_mock.balance(wallet["id"], "matic") == 3

        def test_refusals(moonkey_mock):
            me = moonkey_mock.login("bob@example.com")
            wallet = moonkey_mock.create_wallet(me.user_id, "SOL")
            with pytest.raises(TypeError, match="not a float"):
                moonkey_mock.set_balance(wallet["id"], "SOL", 1.5)
            with pytest.raises(MoonkeyMockError, match="invalid_token_symbol|token_symbol"):
                moonkey_mock.balance(wallet["id"], "ETH")
            with pytest.raises(ControlError, match="400: .*token_symbol"):
                moonkey_mock.set_balance(wallet["id"], "MATIC", "1")
            with pytest.raises(MoonkeyMockError, match="no user"):
                moonkey_mock.create_wallet("nobody@example.com")
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)
