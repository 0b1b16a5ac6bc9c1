"""The plugin's software authenticator: register and sign in without a browser (pytester)."""

from __future__ import annotations

import pytest

ARGS = ("-p", "no:cacheprovider", "-q")


def test_moonkey_mock_passkey_registers_and_signs_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_passkey(moonkey_mock):
            me = moonkey_mock.login("ada@example.com")
            passkey, credential_id = moonkey_mock.register_passkey(me.user_id)
            assert credential_id.startswith("webauthn_")
            user = moonkey_mock.api("GET", f"/v1/auth/users/{me.user_id}").json()
            assert [c["id"] for c in user["webauthn_credentials"]] == [credential_id]

            signed_in = moonkey_mock.passkey_login(me.user_id, passkey, session_expires_in=30)
            (factor,) = signed_in.session["factors"]
            assert factor["type"] == "webauthn"
            assert factor["method"]["method_id"] == credential_id

            stepped = moonkey_mock.passkey_login(
                me.user_id, passkey, session_token=me.session_token
            )
            assert stepped.session_id == me.session_id
            kinds = [f["delivery_channel"] for f in stepped.session["factors"]]
            assert kinds == ["email", "webauthn_credential"]
            assert moonkey_mock.request_count("VerifyWebAuthnAuthentication") == 2

        def test_packed_passkey_on_another_origin(moonkey_mock):
            me = moonkey_mock.session("bob@example.com")
            passkey = moonkey_mock.passkey("https://app.example.com", attestation="packed")
            moonkey_mock.register_passkey(me.user_id, passkey, domain="example.com")
            signed_in = moonkey_mock.passkey_login(me.user_id, passkey, domain="example.com")
            assert signed_in.user_id == me.user_id
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)
