"""Wallets login over the test client, signed by keys the fake never sees (tests.wallet_keys).

BeginWalletRegistration, VerifyWallet, GetWalletRegistrationNonce, VerifySiweWalletRegistration
and DeleteUserWallet (Reference-more §4, §3.2; D19, D21; docs/decisions.md W1-W9).
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.test import TestResponse

from mock_server import ControllableClock
from mock_server.control import snapshot
from mock_server.state import MockState
from tests.helpers import Api, add_app, assert_error, login
from tests.wallet_keys import EthKey, SolKey, iso, siwe_message

BEGIN = "/v1/auth/wallets/registrations/begin"
VERIFY = "/v1/auth/wallets/verify"
NONCE = "/v1/auth/wallets/registrations/nonce"
SIWE = "/v1/auth/wallets/siwe/verify"
CHALLENGE = re.compile(r"^Login for Default app: [0-9A-Za-z]{43}$")

Key = EthKey | SolKey


def _type(key: Key, era: str = "old") -> str:
    if isinstance(key, EthKey):
        return "ETH" if era == "old" else "ethereum"
    return "SOL" if era == "old" else "solana"


def _begin(api: Api, key: Key, **extra: Any) -> dict[str, Any]:
    body = {"wallet_type": _type(key), "public_address": key.address, **extra}
    reply = api.post(BEGIN, body)
    assert reply.status_code == 200, reply.get_json()
    result: dict[str, Any] = reply.get_json()
    return result


def _verify(api: Api, key: Key, signature: str, **extra: Any) -> TestResponse:
    body = {"wallet_type": _type(key), "public_address": key.address, "signature": signature}
    return api.post(VERIFY, {**body, **extra})


def _nonce(api: Api, key: Key, **extra: Any) -> str:
    body = {"wallet_type": _type(key, "new"), "public_address": key.address, **extra}
    reply = api.post(NONCE, body)
    assert reply.status_code == 200, reply.get_json()
    nonce: str = reply.get_json()["nonce"]
    return nonce


def _siwe(api: Api, key: Key, message: str, **extra: Any) -> TestResponse:
    return api.post(SIWE, {"siwe_challenge": message, "signature": key.sign(message), **extra})


def _siwe_for(key: Key, nonce: str, state: MockState, **options: Any) -> str:
    chain = "Ethereum" if isinstance(key, EthKey) else "Solana"
    return siwe_message(key.address, nonce, state.now(), chain=chain, **options)


def _login(api: Api, key: Key, **extra: Any) -> dict[str, Any]:
    challenge = _begin(api, key)["challenge"]
    reply = _verify(api, key, key.sign(challenge), **extra)
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


# --- BeginWalletRegistration -----------------------------------------------------------------


def test_begin_wallet_registration_creates_user_with_a_challenge(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    body = _begin(api, key)
    assert body["id"].startswith("walletrr_")
    assert body["public_address"] == key.address.lower()
    assert body["wallet_type"] == "ETH"
    assert CHALLENGE.match(body["challenge"])
    assert body["user_created"] is True
    assert body["expires_at"] == body["created_at"] + 600 == state.now_ts() + 600
    user = api.get(f"/v1/auth/users/{body['user_id']}").get_json()
    assert user["status"] == "pending"
    assert user["wallets"] == []


def test_begin_wallet_registration_known_address_answers_its_user(api: Api) -> None:
    key = EthKey()
    first = _login(api, key)
    again = api.post(BEGIN, {"wallet_type": "ethereum", "public_address": key.address.lower()})
    assert again.status_code == 200
    assert again.get_json()["user_id"] == first["user_id"]
    assert again.get_json()["user_created"] is False


def test_begin_wallet_registration_links_to_the_given_user(api: Api, state: MockState) -> None:
    owner = login(api, state, "ann@example.com")["user_id"]
    key = SolKey()
    body = _begin(api, key, user_id=owner)
    assert body["user_id"] == owner
    assert body["user_created"] is False
    assert body["public_address"] == key.address


def test_begin_wallet_registration_unknown_user_is_404(api: Api) -> None:
    reply = api.post(
        BEGIN, {"wallet_type": "ETH", "public_address": EthKey().address, "user_id": "user_x"}
    )
    assert_error(reply, 404, "user_not_found", "user_x")


def test_begin_wallet_registration_address_of_another_user_is_409(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    _login(api, key)
    other = login(api, state, "bob@example.com")["user_id"]
    reply = api.post(BEGIN, {"wallet_type": "ETH", "public_address": key.address, "user_id": other})
    assert_error(reply, 409, "duplicate_wallet", key.address.lower())


@pytest.mark.parametrize(
    ("wallet_type", "address", "status", "code", "text"),
    [
        ("ETH", "0x1234", 400, "validation_error", "public_address"),
        ("ethereum", "f7e9d631bfbd90c19691566db4ab96697a2663c6", 400, "validation_error", "0x"),
        ("SOL", "0OIl" + "1" * 40, 400, "validation_error", "public_address"),
        ("solana", "z" * 44, 400, "invalid_wallet_address", "32-byte"),
        ("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 400, "validation_error", "wallet_"),
    ],
)
def test_begin_wallet_registration_bad_input_is_400(
    api: Api, wallet_type: str, address: str, status: int, code: str, text: str
) -> None:
    reply = api.post(BEGIN, {"wallet_type": wallet_type, "public_address": address})
    assert_error(reply, status, code, text)


def test_begin_wallet_registration_missing_field_is_400(api: Api) -> None:
    assert_error(api.post(BEGIN, {"wallet_type": "ETH"}), 400, "validation_error", "public_address")


# --- VerifyWallet ------------------------------------------------------------------------------


def test_verify_wallet_ethereum_links_the_wallet_and_makes_a_wallet_session(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    begun = _begin(api, key)
    reply = _verify(api, key, key.sign(begun["challenge"]), session_expires_in=60)
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["id"].startswith("wallet_")
    assert body["user_id"] == begun["user_id"]
    assert body["public_address"] == key.address.lower()
    assert (body["is_default"], body["is_read_only"], body["is_ready_only"]) == (False, True, True)
    assert (body["is_imported"], body["verified"]) == (True, True)
    session = body["session"]
    assert session["expires_at"] == state.now_ts() + 3600
    assert session["factors"] == [
        {
            "delivery_channel": "eth_wallet",
            "type": "wallet",
            "method": {
                "id": body["id"],
                "method_id": body["id"],
                "method_type": "wallet",
                "last_verified_at": state.now_ts(),
                "wallet_id": body["id"],
                "wallet_type": "ETH",
                "wallet_public_address": key.address.lower(),
            },
        }
    ]
    checked = api.post("/v1/auth/sessions/verify", {"session_token": body["session_token"]})
    assert checked.status_code == 200
    user = api.get(f"/v1/auth/users/{body['user_id']}").get_json()
    assert user["status"] == "active"
    assert [w["id"] for w in user["wallets"]] == [body["id"]]
    assert user["wallets"][0]["is_read_only"] is True


@pytest.mark.parametrize("v_base", [27, 0])
def test_verify_wallet_ethereum_accepts_v_27_28_and_0_1(api: Api, v_base: int) -> None:
    key = EthKey()
    challenge = _begin(api, key)["challenge"]
    reply = _verify(api, key, key.sign(challenge, v_base=v_base))
    assert reply.status_code == 200, reply.get_json()


@pytest.mark.parametrize("encoding", ["base58", "base64"])
def test_verify_wallet_solana_signature_in_base58_or_base64(
    api: Api, state: MockState, encoding: str
) -> None:
    key = SolKey()
    challenge = _begin(api, key)["challenge"]
    reply = _verify(api, key, key.sign(challenge, encoding=encoding), session_expires_in=5)
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["public_address"] == key.address
    assert body["session"]["factors"][0]["delivery_channel"] == "sol_wallet"
    assert body["session"]["factors"][0]["method"]["wallet_public_address"] == key.address


def test_verify_wallet_without_session_fields_makes_no_session(api: Api) -> None:
    body = _login(api, EthKey())
    assert (body["session_token"], body["session_jwt"], body["session"]) == ("", "", None)


def test_verify_wallet_steps_up_the_users_session(api: Api, state: MockState) -> None:
    otp = login(api, state, "ann@example.com")
    key = EthKey()
    challenge = _begin(api, key, user_id=otp["user_id"])["challenge"]
    reply = _verify(api, key, key.sign(challenge), session_token=otp["session_token"])
    assert reply.status_code == 200, reply.get_json()
    session = reply.get_json()["session"]
    assert session["id"] == otp["session"]["id"]
    assert [f["delivery_channel"] for f in session["factors"]] == ["email", "eth_wallet"]


def test_verify_wallet_session_of_another_user_is_refused_and_keeps_the_challenge(
    api: Api, state: MockState
) -> None:
    other = login(api, state, "bob@example.com")
    key = EthKey()
    signature = key.sign(_begin(api, key)["challenge"])
    reply = _verify(api, key, signature, session_token=other["session_token"])
    assert_error(reply, 400, "session_user_mismatch", "different user")
    assert _verify(api, key, signature).status_code == 200


def test_verify_wallet_replay_is_refused(api: Api) -> None:
    key = EthKey()
    signature = key.sign(_begin(api, key)["challenge"])
    assert _verify(api, key, signature).status_code == 200
    assert_error(_verify(api, key, signature), 400, "invalid_wallet_challenge", "used once")


def test_verify_wallet_wrong_key_is_refused_and_keeps_the_challenge(api: Api) -> None:
    key, stranger = EthKey(), EthKey()
    challenge = _begin(api, key)["challenge"]
    reply = _verify(api, key, stranger.sign(challenge))
    assert_error(reply, 400, "invalid_wallet_signature", stranger.address.lower())
    assert _verify(api, key, key.sign(challenge)).status_code == 200


def test_verify_wallet_solana_wrong_key_is_refused(api: Api) -> None:
    key = SolKey()
    challenge = _begin(api, key)["challenge"]
    reply = _verify(api, key, SolKey().sign(challenge))
    assert_error(reply, 400, "invalid_wallet_signature", key.address)


def test_verify_wallet_signature_of_other_text_is_refused(api: Api) -> None:
    key = EthKey()
    _begin(api, key)
    reply = _verify(api, key, key.sign("Login for Default app: something else"))
    assert_error(reply, 400, "invalid_wallet_signature", "not by")


def test_verify_wallet_expired_challenge_is_refused(api: Api, clock: ControllableClock) -> None:
    key = SolKey()
    signature = key.sign(_begin(api, key)["challenge"])
    clock.shift(timedelta(minutes=10))
    assert_error(_verify(api, key, signature), 400, "wallet_challenge_expired", "expired")
    assert_error(_verify(api, key, signature), 400, "invalid_wallet_challenge", "begin")


def test_verify_wallet_challenge_lives_the_apps_minutes(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    state.store.put_app(replace(state.default_app(), wallet_challenge_minutes=1))
    key = EthKey()
    signature = key.sign(_begin(api, key)["challenge"])
    clock.shift(timedelta(seconds=59))
    assert _verify(api, key, signature).status_code == 200
    signature = key.sign(_begin(api, key)["challenge"])
    clock.shift(timedelta(seconds=60))
    assert_error(_verify(api, key, signature), 400, "wallet_challenge_expired")


def test_verify_wallet_new_begin_replaces_the_challenge(api: Api) -> None:
    key = EthKey()
    old = key.sign(_begin(api, key)["challenge"])
    new = key.sign(_begin(api, key)["challenge"])
    assert_error(_verify(api, key, old), 400, "invalid_wallet_signature", "not by")
    assert _verify(api, key, new).status_code == 200


def test_verify_wallet_without_begin_is_refused(api: Api) -> None:
    key = EthKey()
    reply = _verify(api, key, key.sign("Login for Default app: x"))
    assert_error(reply, 400, "invalid_wallet_challenge", "BeginWalletRegistration")


def test_verify_wallet_either_era_spelling_and_address_case(api: Api) -> None:
    key = EthKey()
    challenge = _begin(api, key)["challenge"]
    body = {
        "wallet_type": "ethereum",
        "public_address": key.address.lower(),
        "signature": key.sign(challenge),
    }
    reply = api.post(VERIFY, body)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["wallet_type"] == "ETH"


def test_verify_wallet_second_login_reuses_the_wallet(api: Api) -> None:
    key = SolKey()
    first, second = _login(api, key), _login(api, key)
    assert first["id"] == second["id"]
    assert len(second["user"]["wallets"]) == 1


@pytest.mark.parametrize(
    ("key", "signature", "text"),
    [
        (EthKey(), "0x1234", "65-byte"),
        (EthKey(), "0x" + "11" * 64 + "1d", "v must be"),
        (EthKey(), "not hex at all", "65-byte"),
        (SolKey(), "0OIl", "64-byte"),
        (SolKey(), "A" * 40, "64-byte"),
    ],
)
def test_verify_wallet_malformed_signature_is_400_naming_the_field(
    api: Api, key: Key, signature: str, text: str
) -> None:
    _begin(api, key)
    reply = _verify(api, key, signature)
    assert_error(reply, 400, "invalid_wallet_signature", text)
    assert "signature" in reply.get_json()["error_message"]


def test_verify_wallet_unknown_field_is_400(api: Api) -> None:
    key = EthKey()
    reply = _verify(api, key, key.sign("x"), challenge="x")
    assert_error(reply, 400, "validation_error", "challenge")


def test_verify_wallet_invalid_session_token_is_401(api: Api) -> None:
    key = EthKey()
    signature = key.sign(_begin(api, key)["challenge"])
    assert_error(_verify(api, key, signature, session_token="nope"), 401, "invalid_session")


def test_verify_wallet_needs_the_secret_key(api: Api) -> None:
    key = EthKey()
    reply = api.client.post(
        VERIFY,
        json={"wallet_type": "ETH", "public_address": key.address, "signature": key.sign("x")},
    )
    assert_error(reply, 401, "unauthorized")


# --- GetWalletRegistrationNonce and VerifySiweWalletRegistration -------------------------------


def test_get_wallet_registration_nonce_answers_an_eip4361_nonce(api: Api) -> None:
    key = EthKey()
    reply = api.post(NONCE, {"wallet_type": "ETH", "public_address": key.address})
    assert reply.status_code == 200
    body = reply.get_json()
    assert re.fullmatch(r"[0-9A-Za-z]{43}", body["nonce"])
    assert body["challenge"] == body["nonce"]
    assert body["id"].startswith("walletrr_")
    assert body["user_created"] is True
    assert body["public_address"] == key.address.lower()


def test_get_wallet_registration_nonce_bad_input_is_400(api: Api) -> None:
    reply = api.post(NONCE, {"wallet_type": "ETH", "public_address": "0xnothex"})
    assert_error(reply, 400, "validation_error", "public_address")


@pytest.mark.parametrize("key", [EthKey(), SolKey()], ids=["ethereum", "solana"])
def test_verify_siwe_wallet_registration_logs_in_with_a_wallet_factor(
    api: Api, state: MockState, key: Key
) -> None:
    nonce = _nonce(api, key)
    reply = _siwe(api, key, _siwe_for(key, nonce, state), session_expires_in=30)
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    channel = "eth_wallet" if isinstance(key, EthKey) else "sol_wallet"
    assert body["session"]["factors"][0]["delivery_channel"] == channel
    assert body["is_read_only"] is True
    assert body["wallet_type"] == _type(key, "new")


def test_verify_siwe_wallet_registration_bump_fields_are_checked(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    message = _siwe_for(key, _nonce(api, key), state)
    wrong_type = _siwe(api, key, message, wallet_type="SOL", public_address=SolKey().address)
    assert_error(wrong_type, 400, "invalid_siwe_message", "wallet_type")
    other = _siwe(api, key, message, wallet_type="ETH", public_address=EthKey().address)
    assert_error(other, 400, "invalid_siwe_message", "not the message's address")
    same = _siwe(api, key, message, wallet_type="ETH", public_address=key.address.lower())
    assert same.status_code == 200, same.get_json()


def test_verify_siwe_wallet_registration_nonce_is_single_use(api: Api, state: MockState) -> None:
    key = EthKey()
    message = _siwe_for(key, _nonce(api, key), state)
    assert _siwe(api, key, message).status_code == 200
    assert_error(_siwe(api, key, message), 400, "invalid_wallet_challenge", "used once")


def test_verify_siwe_wallet_registration_wrong_nonce_is_refused(api: Api, state: MockState) -> None:
    key = EthKey()
    _nonce(api, key)
    reply = _siwe(api, key, _siwe_for(key, "abcdefgh12345678", state))
    assert_error(reply, 400, "invalid_wallet_challenge", "abcdefgh12345678")


def test_verify_siwe_wallet_registration_wrong_key_is_refused(api: Api, state: MockState) -> None:
    key = EthKey()
    message = _siwe_for(key, _nonce(api, key), state)
    reply = api.post(SIWE, {"siwe_challenge": message, "signature": EthKey().sign(message)})
    assert_error(reply, 400, "invalid_wallet_signature", "not by")
    assert _siwe(api, key, message).status_code == 200


def test_verify_siwe_wallet_registration_expired_message_is_refused(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    expiry = f"Expiration Time: {iso(state.now() - 1)}"
    message = _siwe_for(key, _nonce(api, key), state, extra=(expiry,))
    assert_error(_siwe(api, key, message), 400, "siwe_message_expired", "Expiration Time")


def test_verify_siwe_wallet_registration_message_expires_on_the_fakes_clock(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    key = SolKey()
    expiry = f"Expiration Time: {iso(state.now() + 120)}"
    message = _siwe_for(key, _nonce(api, key), state, extra=(expiry,))
    clock.shift(timedelta(minutes=2))
    assert_error(_siwe(api, key, message), 400, "siwe_message_expired", "passed")


@pytest.mark.parametrize(
    ("offset", "extra_line", "text"),
    [
        (0, "Not Before: {later}", "Not Before"),
        (120, "", "Issued At"),
    ],
)
def test_verify_siwe_wallet_registration_not_yet_valid_is_refused(
    api: Api, state: MockState, offset: int, extra_line: str, text: str
) -> None:
    key = EthKey()
    nonce = _nonce(api, key)
    extra = (extra_line.format(later=iso(state.now() + 60)),) if extra_line else ()
    message = siwe_message(key.address, nonce, state.now() + offset, extra=extra)
    assert_error(_siwe(api, key, message), 400, "siwe_message_not_yet_valid", text)


def test_verify_siwe_wallet_registration_expired_nonce_is_refused(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    key = EthKey()
    nonce = _nonce(api, key)
    clock.shift(timedelta(minutes=11))
    reply = _siwe(api, key, _siwe_for(key, nonce, state))
    assert_error(reply, 400, "wallet_challenge_expired", "expired")


def test_verify_siwe_wallet_registration_domain_checked_when_the_app_lists_domains(
    client: Any, state: MockState
) -> None:
    app = add_app(state, siwe_domains=("app.example", "localhost:3000"))
    api = Api(client, app.secret_keys[0])
    key = EthKey()
    message = _siwe_for(key, _nonce(api, key), state, domain="evil.example")
    assert_error(_siwe(api, key, message), 400, "invalid_siwe_message", "evil.example")
    message = _siwe_for(key, _nonce(api, key), state, domain="localhost:3000")
    assert _siwe(api, key, message).status_code == 200


def test_verify_siwe_wallet_registration_any_domain_without_app_domains(
    api: Api, state: MockState
) -> None:
    key = SolKey()
    message = _siwe_for(key, _nonce(api, key), state, domain="https://anything.example")
    assert _siwe(api, key, message).status_code == 200


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (lambda m: m.replace("Ethereum account", "Bitcoin account"), "line 1"),
        (lambda m: m.replace("Version: 1", "Version: 2"), "Version"),
        (lambda m: m.replace("\n", "\r\n"), "CR"),
        (lambda m: m + "\nUnknown: x", "unexpected line"),
        (lambda m: m.replace("Chain ID: 1\n", ""), "Chain ID"),
        (lambda m: m.replace("Issued At: ", "Issued At: yesterday "), "RFC 3339"),
    ],
)
def test_verify_siwe_wallet_registration_malformed_message_is_400(
    api: Api, state: MockState, change: Any, text: str
) -> None:
    key = EthKey()
    message = change(_siwe_for(key, _nonce(api, key), state))
    assert_error(_siwe(api, key, message), 400, "invalid_siwe_message", text)


def test_verify_siwe_wallet_registration_address_must_be_checksummed(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    message = _siwe_for(key, _nonce(api, key), state).replace(key.address, key.address.lower())
    assert_error(_siwe(api, key, message), 400, "invalid_siwe_message", "EIP-55")


def test_verify_siwe_wallet_registration_missing_signature_is_400(api: Api) -> None:
    reply = api.post(SIWE, {"siwe_challenge": "x"})
    assert_error(reply, 400, "validation_error", "signature")


# --- DeleteUserWallet --------------------------------------------------------------------------


def test_delete_user_wallet_unlinks_a_linked_wallet(api: Api) -> None:
    key = EthKey()
    body = _login(api, key)
    reply = api.delete(f"/v1/auth/users/wallets/{body['id']}/delete")
    assert reply.status_code == 200
    assert reply.get_json() == {
        "user_id": body["user_id"],
        "message": "Successfully deleted user wallet",
    }
    assert api.get(f"/v1/auth/users/{body['user_id']}").get_json()["wallets"] == []
    assert_error(api.delete(f"/v1/auth/users/wallets/{body['id']}/delete"), 404, "wallet_not_found")
    again = _begin(api, key)
    assert again["user_created"] is True
    assert again["user_id"] != body["user_id"]


def test_delete_user_wallet_default_wallet_is_refused(api: Api) -> None:
    created = api.post("/v1/auth/users/create", {"email": "c@example.com", "wallet_type": "ETH"})
    user = api.get(f"/v1/auth/users/{created.get_json()['user_id']}").get_json()
    wallet_id = user["wallets"][0]["id"]
    reply = api.delete(f"/v1/auth/users/wallets/{wallet_id}/delete")
    assert_error(reply, 400, "wallet_not_deletable", "default wallet")


def test_delete_user_wallet_unknown_is_404(api: Api) -> None:
    reply = api.delete("/v1/auth/users/wallets/wallet_nope/delete")
    assert_error(reply, 404, "wallet_not_found", "wallet_nope")


# --- state ---------------------------------------------------------------------------------------


def test_wallet_state_survives_export_and_import(api: Api, state: MockState) -> None:
    key = EthKey()
    linked = _login(api, key)
    signature = key.sign(_begin(api, key)["challenge"])
    document = snapshot.export_state(state)
    state.store.reset()
    snapshot.import_state(state, document)
    reply = _verify(api, key, signature, session_expires_in=5)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["id"] == linked["id"]


def test_control_app_settings_for_wallets(client: Any, state: MockState) -> None:
    made = client.post("/_mock/apps", json={"wallet_challenge_minutes": 2, "siwe_domains": ["a.b"]})
    assert made.status_code in {200, 201}, made.get_json()
    body = made.get_json()
    assert (body["wallet_challenge_minutes"], body["siwe_domains"]) == (2, ["a.b"])
    stored = state.store.get_app(body["app_id"])
    assert stored is not None
    assert stored.siwe_domains == ("a.b",)
    bad = client.post("/_mock/apps", json={"wallet_challenge_minutes": 0})
    assert_error(bad, 400, "validation_error", "wallet_challenge_minutes")


@pytest.mark.parametrize("fill", ["00", "11", "ff"])
def test_verify_wallet_unrecoverable_signature_is_400(api: Api, fill: str) -> None:
    key = EthKey()
    _begin(api, key)
    reply = _verify(api, key, "0x" + fill * 64 + "1b")
    assert_error(reply, 400, "invalid_wallet_signature", "cannot be recovered")


def test_verify_siwe_wallet_registration_solana_address_not_a_key_is_400(
    api: Api, state: MockState
) -> None:
    key = SolKey()
    message = _siwe_for(key, _nonce(api, key), state).replace(key.address, "z" * 44)
    assert_error(_siwe(api, key, message), 400, "invalid_siwe_message", "32-byte")


def test_verify_wallet_deeply_nested_body_is_400_not_a_crash(api: Api) -> None:
    """The wallet libraries leave the recursion limit alone (eth-account's py_ecc raises it)."""
    assert sys.getrecursionlimit() < 10_000
    reply = api.client.post(
        VERIFY,
        data='{"signature": ' + "[" * 100_000,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api.key}"},
    )
    assert_error(reply, 400, "invalid_json", "nested too deeply")


def test_wallet_state_round_trips_through_the_control_api(
    api: Api, client: Any, state: MockState
) -> None:
    key = SolKey()
    _login(api, key)
    signature = key.sign(_begin(api, key)["challenge"])
    exported = client.get("/_mock/state")
    assert exported.status_code == 200
    document = exported.get_json()
    group = document["apps"][0]
    assert [r["kind"] for r in group["wallet_registrations"]] == ["challenge"]
    assert group["app"]["siwe_domains"] == []
    state.store.reset()
    imported = client.post("/_mock/state", json=document)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["counts"]["wallet_registrations"] == 1
    assert _verify(api, key, signature).status_code == 200


def test_verify_wallet_address_taken_meanwhile_is_409_and_keeps_the_challenge(
    api: Api, state: MockState
) -> None:
    key = EthKey()
    ann = login(api, state, "ann@example.com")["user_id"]
    signature = key.sign(_begin(api, key, user_id=ann)["challenge"])
    bob = login(api, state, "bob@example.com")["user_id"]
    message = _siwe_for(key, _nonce(api, key, user_id=bob), state)
    assert _siwe(api, key, message).status_code == 200  # Bob links it through SIWE first
    assert_error(_verify(api, key, signature), 409, "duplicate_wallet", "another user")
    api.delete(f"/v1/auth/users/{bob}/delete")
    reply = _verify(api, key, signature)  # the refused attempt did not spend the challenge
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["user_id"] == ann
