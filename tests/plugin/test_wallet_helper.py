"""The plugin's wallet helper: a downstream test logs a wallet user in with two lines."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_wallet_logs_in_on_ethereum_solana_and_siwe(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("chain", ["ethereum", "solana"])
        def test_wallet_login(moonkey_mock, chain):
            wallet = moonkey_mock.wallet(chain)
            me = wallet.login()
            factor = me.session["factors"][0]
            channel = "eth_wallet" if chain == "ethereum" else "sol_wallet"
            assert factor["delivery_channel"] == channel
            assert factor["method"]["wallet_id"] == wallet.wallet_id
            body = {"session_token": me.session_token}
            assert moonkey_mock.api("POST", "/v1/auth/sessions/verify", body).status_code == 200
            assert moonkey_mock.request_count("BeginWalletRegistration") == 1
            assert moonkey_mock.request_count("VerifyWallet") == 1

        @pytest.mark.parametrize("chain", ["ethereum", "solana"])
        def test_siwe_login_follows_the_fakes_clock(moonkey_mock, chain):
            moonkey_mock.set_time("2030-01-01T00:00:00Z", freeze=True)
            wallet = moonkey_mock.wallet(chain, wallet_type="ETH" if chain == "ethereum" else "SOL")
            me = wallet.siwe_login(session_expires_in=5)
            assert me.session["expires_at"] == me.session["started_at"] + 300
            assert wallet.last_response["wallet_type"] in {"ETH", "SOL"}

        def test_second_login_is_the_same_user(moonkey_mock):
            wallet = moonkey_mock.wallet()
            first, second = wallet.login(), wallet.login(session_expires_in=None)
            assert first.user_id == second.user_id
            assert second.session_token == ""

        def test_step_up_an_email_session(moonkey_mock):
            me = moonkey_mock.login("ada@example.com")
            wallet = moonkey_mock.wallet("solana")
            both = wallet.login(None, user_id=me.user_id, session_token=me.session_token)
            assert both.session_id == me.session_id
            assert [f["type"] for f in both.session["factors"]] == ["otp", "wallet"]
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=6)
