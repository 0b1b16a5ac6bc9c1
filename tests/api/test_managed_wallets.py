"""Managed wallets over the test client: CreateWallet, GetWallet, GetWalletBalance, the balance
control and CreateUser's ``wallet_type`` (Reference-more §5.1-§5.3, §12.1; decisions M1-M19).

Runs on any engine (``MOONKEY_TEST_STORE=sqlite|redis``). Addresses are checked against the
wallet's key with libraries the fake does not use (eth-keys' pure-Python backend, solders,
bip-utils, stellar-sdk); the key itself never shows in an answer or the journal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from bip_utils import Bip44, Bip44Coins, SubstrateEd25519AddrEncoder
from flask.testing import FlaskClient
from solders.keypair import Keypair as SolanaKeypair
from stellar_sdk import Keypair as StellarKeypair

from mock_server.control.inprocess import Controls
from mock_server.errors import InvalidTokenSymbol, ValidationError, WalletNotFound
from mock_server.models import Wallet
from mock_server.state import MockState
from tests.helpers import Api, add_app, assert_error
from tests.wallet_keys import KEYS

CREATE, BALANCE, GET = "/v1/wallets/create", "/v1/wallets/balance", "/v1/wallets/"
CONTROL = "/_mock/wallets/balance"
KEY_ORDER = [
    "id",
    "app_id",
    "user_id",
    "public_address",
    "wallet_type",
    "wallet_client_type",
    "wallet_pk_id",
    "verified",
    "is_default",
    "is_read_only",
    "is_imported",
    "delegated",
    "account_index",
    "updated_at",
    "created_at",
]


def _user(api: Api, email: str = "holder@example.com", **extra: Any) -> str:
    reply = api.post("/v1/auth/users/create", {"email": email, **extra})
    assert reply.status_code == 200, reply.get_json()
    return str(reply.get_json()["user_id"])


def _create(api: Api, user_id: str, wallet_type: str, path: str = CREATE) -> dict[str, Any]:
    reply = api.post(path, {"user_id": user_id, "wallet_type": wallet_type})
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def _secret(state: MockState, wallet_id: str) -> bytes:
    key = state.store.get_wallet_key(state.default_app().app_id, wallet_id)
    assert key is not None
    return key.secret


def _balance(api: Api, wallet_id: str, token: str) -> Any:
    return api.post(BALANCE, {"wallet_id": wallet_id, "token_symbol": token})


def _expected_address(chain_type: str, secret: bytes) -> str:
    if chain_type in {"ETH", "ethereum"}:
        return str(KEYS.PrivateKey(secret).public_key.to_address()).lower()
    if chain_type in {"BTC", "bitcoin"}:
        return str(Bip44.FromPrivateKey(secret, Bip44Coins.BITCOIN_TESTNET).PublicKey().ToAddress())
    public = SolanaKeypair.from_seed(secret).pubkey()
    if chain_type in {"SOL", "solana"}:
        return str(public)
    if chain_type == "DOT":
        return str(SubstrateEd25519AddrEncoder.EncodeKey(bytes(public), ss58_format=0))
    return str(StellarKeypair.from_raw_ed25519_seed(secret).public_key)


@pytest.mark.parametrize(
    "wallet_type", ["ETH", "ethereum", "SOL", "solana", "BTC", "bitcoin", "DOT", "XLM"]
)
def test_create_wallet_holds_a_real_key_of_its_chain(
    api: Api, state: MockState, wallet_type: str
) -> None:
    user_id = _user(api)
    body = _create(api, user_id, wallet_type)
    assert list(body) == KEY_ORDER
    assert body["id"].startswith("wallet_")
    assert body["wallet_pk_id"].startswith("walletpk_")
    assert body["user_id"] == user_id
    assert body["app_id"] == state.default_app().app_id
    assert body["wallet_type"] == wallet_type
    assert (body["verified"], body["is_default"], body["is_read_only"]) == (True, True, False)
    assert (body["is_imported"], body["delegated"], body["account_index"]) == (False, False, None)
    assert body["wallet_client_type"] is None
    assert isinstance(body["created_at"], int)
    assert body["updated_at"] == body["created_at"]
    secret = _secret(state, body["id"])
    assert body["public_address"] == _expected_address(wallet_type, secret)
    assert secret.hex() not in json.dumps(body)


def test_create_wallet_is_idempotent_per_user_and_chain(api: Api) -> None:
    user_id = _user(api)
    first = _create(api, user_id, "ETH")
    assert _create(api, user_id, "ETH") == first
    assert _create(api, user_id, "ethereum") == first  # one chain, either era's name
    solana = _create(api, user_id, "SOL")
    assert solana["id"] != first["id"]
    other = _create(api, _user(api, "other@example.com"), "ETH")
    assert other["public_address"] != first["public_address"]
    user = api.get(f"/v1/auth/users/{user_id}").get_json()
    assert [w["id"] for w in user["wallets"]] == [first["id"], solana["id"]]
    assert user["wallets"][0] == first


def test_create_wallet_answers_on_bumps_auth_path_too(api: Api) -> None:
    user_id = _user(api)
    made = _create(api, user_id, "XLM", "/v1/auth/wallets/create")
    assert _create(api, user_id, "XLM") == made
    assert api.get(f"/v1/auth/wallets/{made['id']}").get_json() == made
    reply = api.post("/v1/auth/wallets/balance", {"wallet_id": made["id"], "token_symbol": "XLM"})
    assert reply.get_json()["balance"] == "0"


def test_create_wallet_for_an_unknown_user_is_404(api: Api) -> None:
    reply = api.post(CREATE, {"user_id": "user_nope", "wallet_type": "ETH"})
    assert_error(reply, 404, "user_not_found", "user_nope")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"wallet_type": "ETH"}, "user_id"),
        ({"user_id": "user_x"}, "wallet_type"),
        ({"user_id": "user_x", "wallet_type": "DOGE"}, "wallet_type"),
        ({"user_id": "user_x", "wallet_type": 1}, "wallet_type"),
        ({"user_id": "", "wallet_type": "ETH"}, "user_id"),
        ({"user_id": "user_x", "wallet_type": "ETH", "secret": "x"}, "secret"),
    ],
)
def test_create_wallet_bad_bodies_name_the_field(api: Api, body: Any, field: str) -> None:
    assert_error(api.post(CREATE, body), 400, "validation_error", field)


def test_create_wallet_needs_the_secret_key(client: FlaskClient) -> None:
    reply = client.post(CREATE, json={"user_id": "user_x", "wallet_type": "ETH"})
    assert_error(reply, 401, "unauthorized")


def test_get_wallet_answers_the_wallet_and_404_for_others(api: Api, state: MockState) -> None:
    made = _create(api, _user(api), "BTC")
    assert api.get(GET + made["id"]).get_json() == made
    assert_error(api.get(GET + "wallet_unknown"), 404, "wallet_not_found", "wallet_unknown")
    other = add_app(state)
    foreign = Api(api.client, other.secret_keys[0])
    assert_error(foreign.get(GET + made["id"]), 404, "wallet_not_found", made["id"])


def test_get_wallet_of_a_linked_wallet_has_no_key_id(api: Api, state: MockState) -> None:
    app = state.default_app()
    user_id = _user(api)
    user = state.store.get_user(app.app_id, user_id)
    assert user is not None
    linked = Wallet("wallet_linked0", "0x" + "ab" * 20, "ETH", 1, True, False, True, True, 1)
    state.store.put_user(user.__class__(**{**_fields(user), "wallets": (linked,)}))
    body = api.get(GET + "wallet_linked0").get_json()
    assert (body["wallet_pk_id"], body["is_read_only"], body["is_imported"]) == (None, True, True)


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def test_create_user_wallet_type_makes_a_managed_wallet(api: Api, state: MockState) -> None:
    reply = api.post(
        "/v1/auth/users/create",
        {"email": "w@example.com", "wallet_type": "SOL", "include_user": True},
    )
    (wallet,) = reply.get_json()["user"]["wallets"]
    assert wallet["wallet_pk_id"].startswith("walletpk_")
    secret = _secret(state, wallet["id"])
    assert wallet["public_address"] == _expected_address("SOL", secret)
    assert api.get(GET + wallet["id"]).get_json() == wallet
    assert _create(api, wallet["user_id"], "solana") == wallet  # the same, idempotent


def test_balance_is_zero_until_set_and_then_the_exact_decimal(
    api: Api, client: FlaskClient, mock: Controls
) -> None:
    wallet = _create(api, _user(api), "ETH")
    reply = _balance(api, wallet["id"], "MATIC")
    assert reply.get_json() == {"balance": "0", "token_symbol": "MATIC", "wallet": wallet}
    set_reply = client.post(
        CONTROL, json={"wallet_id": wallet["id"], "token_symbol": "ethereum", "balance": "14.8232"}
    )
    assert set_reply.status_code == 200, set_reply.get_json()
    assert set_reply.get_json() == {
        "wallet_id": wallet["id"],
        "token_symbol": "ETH",
        "balance": "14.8232",
    }
    assert _balance(api, wallet["id"], "ETH").get_json()["balance"] == "14.8232"
    assert _balance(api, wallet["id"], "eth").get_json()["token_symbol"] == "eth"  # as sent
    assert _balance(api, wallet["id"], "ethereum").get_json()["balance"] == "14.8232"
    assert _balance(api, wallet["id"], "MATIC").get_json()["balance"] == "0"
    mock.set_balance(wallet["id"], "USDC", "0.10")
    assert _balance(api, wallet["id"], "USDC").get_json()["balance"] == "0.10"
    mock.set_balance(wallet["id"], "USDC", "123456789012345678901234567890.000000000000000001")
    big = _balance(api, wallet["id"], "USDC").get_json()["balance"]
    assert big == "123456789012345678901234567890.000000000000000001"  # never a float


@pytest.mark.parametrize(
    ("wallet_type", "token"),
    [("ETH", "SOL"), ("SOL", "MATIC"), ("BTC", "ETH"), ("DOT", "XLM"), ("XLM", "USDC")],
)
def test_balance_of_a_token_that_does_not_suit_the_wallet_is_400(
    api: Api, client: FlaskClient, wallet_type: str, token: str
) -> None:
    wallet = _create(api, _user(api), wallet_type)
    assert_error(_balance(api, wallet["id"], token), 400, "invalid_token_symbol", "token_symbol")
    reply = client.post(
        CONTROL, json={"wallet_id": wallet["id"], "token_symbol": token, "balance": "1"}
    )
    assert_error(reply, 400, "invalid_token_symbol", "token_symbol")


def test_balance_of_an_unknown_wallet_is_404(api: Api, client: FlaskClient) -> None:
    assert_error(_balance(api, "wallet_nope", "ETH"), 404, "wallet_not_found", "wallet_nope")
    reply = client.post(
        CONTROL, json={"wallet_id": "wallet_nope", "token_symbol": "ETH", "balance": "1"}
    )
    assert_error(reply, 404, "wallet_not_found", "wallet_nope")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token_symbol": "ETH"}, "wallet_id"),
        ({"wallet_id": "wallet_x"}, "token_symbol"),
        ({"wallet_id": "wallet_x", "token_symbol": ""}, "token_symbol"),
        ({"wallet_id": "wallet_x", "token_symbol": 5}, "token_symbol"),
    ],
)
def test_balance_bad_bodies_name_the_field(api: Api, body: Any, field: str) -> None:
    assert_error(api.post(BALANCE, body), 400, "validation_error", field)


@pytest.mark.parametrize("amount", ["-1", "1e5", "1.", ".5", "abc", "1,5", " 1", "NaN"])
def test_the_balance_control_takes_only_plain_non_negative_decimals(
    api: Api, client: FlaskClient, mock: Controls, amount: str
) -> None:
    wallet = _create(api, _user(api), "ETH")
    body = {"wallet_id": wallet["id"], "token_symbol": "ETH", "balance": amount}
    assert_error(client.post(CONTROL, json=body), 400, "validation_error", "balance")
    with pytest.raises(ValidationError):
        mock.set_balance(wallet["id"], "ETH", amount)


def test_the_balance_control_in_process_raises_the_api_errors(api: Api, mock: Controls) -> None:
    wallet = _create(api, _user(api), "SOL")
    with pytest.raises(WalletNotFound):
        mock.set_balance("wallet_nope", "SOL", "1")
    with pytest.raises(InvalidTokenSymbol):
        mock.set_balance(wallet["id"], "ETH", "1")
    assert mock.set_balance(wallet["id"], "solana", "2")["token_symbol"] == "SOL"


def test_balances_are_per_app(api: Api, client: FlaskClient, state: MockState) -> None:
    wallet = _create(api, _user(api), "ETH")
    other = add_app(state)
    reply = client.post(
        CONTROL,
        json={
            "wallet_id": wallet["id"],
            "token_symbol": "ETH",
            "balance": "1",
            "app_id": other.app_id,
        },
    )
    assert_error(reply, 404, "wallet_not_found")


def test_the_key_never_shows_in_answers_or_the_journal(
    api: Api, client: FlaskClient, state: MockState
) -> None:
    user_id = _user(api, wallet_type="ETH")
    wallet = _create(api, user_id, "SOL")
    secrets_hex = [k.secret_hex for k in state.store.wallet_keys(state.default_app().app_id)]
    assert len(secrets_hex) == 2
    answers = [
        api.get(GET + wallet["id"]).get_data(as_text=True),
        api.get(f"/v1/auth/users/{user_id}").get_data(as_text=True),
        _balance(api, wallet["id"], "SOL").get_data(as_text=True),
        client.get("/_mock/requests").get_data(as_text=True),
        client.get(f"/_mock/users/{user_id}").get_data(as_text=True),
    ]
    for secret in secrets_hex:
        assert all(secret not in text for text in answers)


def test_delete_user_wallet_refuses_a_managed_wallet(api: Api) -> None:
    wallet = _create(api, _user(api), "ETH")
    reply = api.delete(f"/v1/auth/users/wallets/{wallet['id']}/delete")
    assert_error(reply, 400, "wallet_not_deletable", wallet["id"])


def test_export_and_import_round_trip_keys_and_balances(
    api: Api, client: FlaskClient, state: MockState, mock: Controls
) -> None:
    user_id = _user(api, wallet_type="ETH")
    sol = _create(api, user_id, "SOL")
    eth = api.get(f"/v1/auth/users/{user_id}").get_json()["wallets"][0]
    mock.set_balance(eth["id"], "ETH", "1.50")
    mock.set_balance(sol["id"], "USDC", "7")
    app_id = state.default_app().app_id
    keys_before = sorted(state.store.wallet_keys(app_id), key=lambda k: k.wallet_id)
    exported = client.get("/_mock/state").get_json()
    (group,) = [g for g in exported["apps"] if g["app"]["app_id"] == app_id]
    assert {k["wallet_id"] for k in group["wallet_keys"]} == {eth["id"], sol["id"]}
    assert sorted((b["wallet_id"], b["token_symbol"], b["amount"]) for b in group["balances"]) == (
        sorted([(eth["id"], "ETH", "1.50"), (sol["id"], "USDC", "7")])
    )
    mock.reset()
    assert_error(api.get(GET + sol["id"]), 404, "wallet_not_found")
    imported = client.post("/_mock/state", json=exported)
    assert imported.status_code == 200, imported.get_json()
    counts = imported.get_json()["counts"]
    assert (counts["wallet_keys"], counts["balances"]) == (2, 2)
    assert api.get(GET + sol["id"]).get_json() == sol
    assert _balance(api, eth["id"], "ETH").get_json()["balance"] == "1.50"
    assert _balance(api, sol["id"], "USDC").get_json()["balance"] == "7"
    assert sorted(state.store.wallet_keys(app_id), key=lambda k: k.wallet_id) == keys_before
    assert _create(api, user_id, "ethereum") == eth  # still idempotent after the import


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("wallet_keys", {"secret_hex": "00" * 32}, "secret_hex"),
        ("wallet_keys", {"secret_hex": "zz"}, "secret_hex"),
        ("wallet_keys", {"chain": "dogecoin"}, "secret_hex"),
        ("balances", {"amount": "-1"}, "amount"),
        ("balances", {"amount": "1e3"}, "amount"),
        ("balances", {"amount": 5}, "amount"),
    ],
)
def test_import_refuses_broken_wallet_records_naming_the_field(
    api: Api, client: FlaskClient, mock: Controls, kind: str, change: dict[str, Any], field: str
) -> None:
    wallet = _create(api, _user(api), "ETH")
    mock.set_balance(wallet["id"], "ETH", "1")
    exported = client.get("/_mock/state").get_json()
    group = exported["apps"][0]
    group[kind][0].update(change)
    reply = client.post("/_mock/state", json=exported)
    assert_error(reply, 400, "validation_error", f"{kind}[0].{field}")


def test_the_dashboards_user_view_lists_wallets_with_kind_and_balances(
    api: Api, client: FlaskClient, state: MockState, mock: Controls
) -> None:
    user_id = _user(api, wallet_type="BTC")
    made = _create(api, user_id, "DOT")
    mock.set_balance(made["id"], "DOT", "3")
    user = state.store.get_user(state.default_app().app_id, user_id)
    assert user is not None
    linked = Wallet("wallet_linked1", "0x" + "cd" * 20, "ETH", 1, True, False, True, True, 1)
    state.store.put_user(user.__class__(**{**_fields(user), "wallets": (*user.wallets, linked)}))
    view = client.get(f"/_mock/users/{user_id}").get_json()
    assert [(w["wallet_type"], w["kind"]) for w in view["wallets"]] == [
        ("BTC", "managed"),
        ("DOT", "managed"),
        ("ETH", "linked"),
    ]
    assert view["wallets"][1]["balances"] == [{"token_symbol": "DOT", "balance": "3"}]
    assert view["wallets"][0]["balances"] == []
