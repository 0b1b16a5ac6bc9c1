"""The managed-wallet foundation on every store engine: keys, the wallet-id index, balances.

Addresses are checked against eth-keys and solders (libraries the fake does not use).
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest
from solders.keypair import Keypair as SolanaKeypair

from mock_server.control.inprocess import Controls
from mock_server.domain import balances, chain_keys, managed_wallets, users
from mock_server.errors import (
    DuplicateWallet,
    InsufficientFunds,
    InvalidTokenSymbol,
    UserNotFound,
    ValidationError,
    WalletNotFound,
    WalletNotManaged,
)
from mock_server.models import App, User, Wallet
from mock_server.state import MockState
from tests.stores import ENGINES
from tests.wallet_keys import KEYS  # eth-keys' pure-Python backend


@pytest.fixture(params=ENGINES)
def store_engine(request: pytest.FixtureRequest) -> str:
    """Every engine."""
    engine: str = request.param
    return engine


@pytest.fixture
def app_(state: MockState) -> App:
    return state.default_app()


@pytest.fixture
def user(state: MockState, app_: App) -> User:
    return users.new_user(state, app_, email="holder@example.com")


def test_create_makes_a_managed_wallet_with_a_real_key(
    state: MockState, app_: App, user: User
) -> None:
    updated, wallet, created = managed_wallets.create(state, app_, user.user_id, "ETH")
    assert created
    assert wallet.id.startswith("wallet_")
    assert wallet.wallet_pk_id is not None
    assert wallet.wallet_pk_id.startswith("walletpk_")
    assert (wallet.verified, wallet.is_default, wallet.is_read_only, wallet.is_imported) == (
        True,
        True,
        False,
        False,
    )
    assert updated.wallets == (wallet,)
    assert state.store.get_user(app_.app_id, user.user_id) == updated
    key = managed_wallets.key_of(state, app_, wallet.id)
    assert (key.wallet_id, key.user_id, key.chain, key.wallet_type) == (
        wallet.id,
        user.user_id,
        "ethereum",
        "ETH",
    )
    expected = KEYS.PrivateKey(key.secret).public_key.to_address().lower()
    assert wallet.public_address == expected
    assert "secret" not in repr(key).replace("secret_hex=…", "")
    assert key.secret_hex not in repr(key)


def test_create_is_idempotent_per_chain_in_either_spelling(
    state: MockState, app_: App, user: User
) -> None:
    _, first, _ = managed_wallets.create(state, app_, user.user_id, "SOL")
    again, second, created = managed_wallets.create(state, app_, user.user_id, "solana")
    assert not created
    assert second == first
    assert len(again.wallets) == 1
    key = managed_wallets.key_of(state, app_, first.id)
    assert first.public_address == str(SolanaKeypair.from_seed(key.secret).pubkey())
    _, other, created = managed_wallets.create(state, app_, user.user_id, "XLM")
    assert created
    assert other.public_address.startswith("G")


def test_an_imported_key_is_a_new_wallet_and_only_once(
    state: MockState, app_: App, user: User
) -> None:
    managed_wallets.create(state, app_, user.user_id, "ethereum")
    secret = (7).to_bytes(32, "big")
    _, wallet, created = managed_wallets.create(
        state, app_, user.user_id, "ethereum", secret=secret, imported=True, account_index=3
    )
    assert created
    assert (wallet.is_imported, wallet.is_default, wallet.account_index) == (True, False, 3)
    assert wallet.public_address == KEYS.PrivateKey(secret).public_key.to_address().lower()
    assert managed_wallets.key_of(state, app_, wallet.id).secret == secret
    with pytest.raises(DuplicateWallet):
        managed_wallets.create(state, app_, user.user_id, "ETH", secret=secret, imported=True)
    with pytest.raises(ValueError, match="not a ethereum secret"):
        managed_wallets.create(state, app_, user.user_id, "ETH", secret=bytes(32), imported=True)


def test_create_refuses_an_unknown_user_and_type(state: MockState, app_: App, user: User) -> None:
    with pytest.raises(UserNotFound, match="user_nope"):
        managed_wallets.create(state, app_, "user_nope", "ETH")
    with pytest.raises(ValidationError, match="wallet_type"):
        managed_wallets.create(state, app_, user.user_id, "DOGE")


def test_find_and_key_of(state: MockState, app_: App, user: User) -> None:
    _, wallet, _ = managed_wallets.create(state, app_, user.user_id, "BTC")
    owner, found = managed_wallets.find(state, app_, wallet.id)
    assert (owner.user_id, found) == (user.user_id, wallet)
    assert state.store.user_by_wallet_id(app_.app_id, wallet.id) == owner
    with pytest.raises(WalletNotFound, match="wallet_unknown"):
        managed_wallets.find(state, app_, "wallet_unknown")
    linked = Wallet("wallet_linked", "0x" + "ab" * 20, "ETH", 1, True, False, True, True)
    state.store.put_user(
        User(user.user_id, app_.app_id, "active", 1, 1, wallets=(*owner.wallets, linked))
    )
    assert managed_wallets.find(state, app_, "wallet_linked")[1] == linked
    with pytest.raises(WalletNotManaged, match="wallet_linked"):
        managed_wallets.key_of(state, app_, "wallet_linked")


def test_keys_stay_in_the_app_and_go_with_the_user(state: MockState, app_: App, user: User) -> None:
    _, wallet, _ = managed_wallets.create(state, app_, user.user_id, "DOT")
    balances.set_balance(state, app_, wallet, "DOT", Decimal("2.5"))
    other = Controls(state).create_app(name="other")
    assert state.store.get_wallet_key(other["app_id"], wallet.id) is None
    assert state.store.user_by_wallet_id(other["app_id"], wallet.id) is None
    assert [k.wallet_id for k in state.store.wallet_keys(app_.app_id)] == [wallet.id]
    assert state.store.balances(app_.app_id) == [(wallet.id, "DOT", "2.5")]
    users.delete(state, app_, user.user_id)
    assert state.store.get_wallet_key(app_.app_id, wallet.id) is None
    assert state.store.user_by_wallet_id(app_.app_id, wallet.id) is None
    assert state.store.balances(app_.app_id) == []


def test_create_user_with_wallet_type_makes_a_managed_wallet(state: MockState, app_: App) -> None:
    made = users.create(state, app_, {"email": "w@example.com", "wallet_type": "bitcoin"})
    (wallet,) = made.wallets
    key = managed_wallets.key_of(state, app_, wallet.id)
    assert wallet.public_address == chain_keys.address_of("bitcoin", key.secret)
    assert wallet.public_address[0] in "mn"


@pytest.mark.parametrize(
    ("wallet_type", "token", "canonical"),
    [
        ("ETH", "ETH", "ETH"),
        ("ethereum", "ethereum", "ETH"),
        ("ETH", "matic", "MATIC"),
        ("ETH", "USDC", "USDC"),
        ("solana", "SOL", "SOL"),
        ("SOL", "USDT", "USDT"),
        ("BTC", "bitcoin", "BTC"),
        ("DOT", "DOT", "DOT"),
        ("XLM", "XLM", "XLM"),
    ],
)
def test_tokens_that_suit_the_wallet(wallet_type: str, token: str, canonical: str) -> None:
    wallet = Wallet("wallet_x", "addr", wallet_type, 0)
    assert balances.canonical_token(wallet, token) == canonical


@pytest.mark.parametrize(
    ("wallet_type", "token"),
    [
        ("ETH", "SOL"),
        ("SOL", "MATIC"),
        ("BTC", "ETH"),
        ("DOT", "XLM"),
        ("XLM", "USDC"),
        ("ETH", ""),
    ],
)
def test_tokens_that_do_not_suit_the_wallet_name_the_field(wallet_type: str, token: str) -> None:
    wallet = Wallet("wallet_x", "addr", wallet_type, 0)
    with pytest.raises(InvalidTokenSymbol, match="'token_symbol'") as raised:
        balances.canonical_token(wallet, token)
    assert raised.value.status == 400


def test_balances_default_to_zero_set_and_debit_in_decimals(
    state: MockState, app_: App, user: User
) -> None:
    _, wallet, _ = managed_wallets.create(state, app_, user.user_id, "ETH")
    assert balances.balance(state, app_, wallet, "ETH") == 0
    balances.set_balance(state, app_, wallet, "ethereum", Decimal("1.10"))
    assert state.store.get_balance(app_.app_id, wallet.id, "ETH") == "1.10"
    assert balances.balance(state, app_, wallet, "ETH") == Decimal("1.1")
    with state.store.atomic():
        left = balances.debit(state, app_, wallet, "ETH", Decimal("0.1"))
    assert left == Decimal("1.00")
    assert balances.format_amount(left) == "1.00"  # 0.1 + 0.2 style float errors impossible
    with pytest.raises(InsufficientFunds, match=r"holds 1\.00 ETH, less than 1\.000001"):
        balances.debit(state, app_, wallet, "ETH", Decimal("1.000001"))
    assert balances.balance(state, app_, wallet, "ETH") == Decimal("1")
    assert balances.debit(state, app_, wallet, "ETH", Decimal("1")) == 0
    assert state.store.get_balance(app_.app_id, wallet.id, "ETH") == "0.00"
    assert balances.balance(state, app_, wallet, "USDC") == 0
    with pytest.raises(ValueError, match="non-negative"):
        balances.set_balance(state, app_, wallet, "ETH", Decimal("-1"))


@pytest.mark.parametrize(
    ("amount", "text"),
    [("1E+2", "100"), ("0.000000001", "0.000000001"), ("-0", "0"), ("14.8232", "14.8232")],
)
def test_amounts_are_written_without_exponents(amount: str, text: str) -> None:
    assert balances.format_amount(Decimal(amount)) == text


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", ""])
def test_parse_amount_refuses_what_is_not_a_finite_decimal(text: str) -> None:
    with pytest.raises(ValueError, match="decimal"):
        balances.parse_amount(text)


def test_wallet_json_is_the_12_1_superset_in_published_order() -> None:
    wallet = Wallet("wallet_a", "0xab", "ETH", 5, True, True, False, False, 0, "walletpk_b")
    body = wallet.to_json("app_c", "user_d")
    assert list(body) == [
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
    assert body["updated_at"] == 5
    assert body["wallet_client_type"] is None
    assert body["account_index"] is None
    assert "secret_hex" not in body
    assert {f.name for f in fields(Wallet)} >= {"wallet_pk_id", "account_index", "delegated"}
