"""The plugin handle's transfer helper: fail_transfer (with create_wallet and set_balance)."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_fail_transfer(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from decimal import Decimal

        import pytest
        from conformance.control_client import ControlError

        def test_a_failed_transfer_keeps_the_funds(moonkey_mock):
            moonkey_mock.login("ada@example.com")
            wallet = moonkey_mock.create_wallet("ada@example.com", "ETH")
            moonkey_mock.set_balance(wallet["id"], "ETH", "2")
            body = {"source": wallet["id"], "dest": "0x" + "ab" * 20,
                    "source_amount": "1", "dest_currency": "ETH"}
            made = moonkey_mock.api("POST", "/v1/transfers/create", body).json()
            with pytest.raises(ControlError, match="409: .*pending"):
                moonkey_mock.fail_transfer(made["id"])
            moonkey_mock.api("POST", f"/v1/transfers/{made['id']}/confirm")
            assert moonkey_mock.balance(wallet["id"], "ETH") == Decimal("0.9")
            failed = moonkey_mock.fail_transfer(made["id"], "node down")
            assert (failed["status"], failed["failure_reason"]) == ("failed", "node down")
            assert moonkey_mock.balance(wallet["id"], "ETH") == 2
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)
