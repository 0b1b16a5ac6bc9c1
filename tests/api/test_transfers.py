"""Transfers: Create, Confirm, Get and List Transfer (Reference-more §9; decisions M40-M52).

Wallets are real managed wallets (CreateUser's ``wallet_type``); balances are set through the
domain as ``POST /_mock/wallets/balance`` does. Destination addresses of Polkadot and Stellar
come from libraries the fake does not use (bip-utils, stellar-sdk). Runs on every store engine
with ``MOONKEY_TEST_STORE=sqlite|redis``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from bip_utils import SS58Encoder
from stellar_sdk import Keypair

from mock_server.clock import ControllableClock
from mock_server.control.inprocess import Controls
from mock_server.domain import balances, managed_wallets
from mock_server.state import MockState
from tests.helpers import Api, assert_error

CREATE = "/v1/transfers/create"
LIST = "/v1/transfers/list"
ETH_DEST = "0xb6acedc0cdcab7a4bb6c236976bb7df63bbcd567"
SOL_DEST = "3eiTLfEg8koaNgNMcmygm2nQ3APNNNWAyHGiooGwAziK"
BTC_DEST = "mvVHTdXktpvndv71QfU9AekTebBvgdZb1e"
PUBLISHED_KEYS = [
    "id",
    "app_id",
    "user_id",
    "status",
    "source",
    "source_amount",
    "dest",
    "dest_amount",
    "dest_currency",
    "source_currency",
    "custom_id",
    "total_fees",
    "notes",
    "blockchain_tx_hash",
    "completed_at",
    "cancelled_at",
    "expires_at",
    "created_at",
    "updated_at",
]


def _wallet(
    api: Api, state: MockState, wallet_type: str, funds: str | None = "10"
) -> tuple[str, str]:
    """(user_id, wallet_id) of a new user with a managed wallet holding ``funds`` of its coin."""
    n = len(state.store.users(state.default_app().app_id))
    reply = api.post(
        "/v1/auth/users/create", {"email": f"u{n}@example.com", "wallet_type": wallet_type}
    )
    assert reply.status_code == 200, reply.get_json()
    user_id: str = reply.get_json()["user_id"]
    app = state.default_app()
    user = state.store.get_user(app.app_id, user_id)
    assert user is not None
    assert user.wallets
    wallet = user.wallets[0]
    if funds is not None:
        coin = {"ethereum": "ETH", "solana": "SOL", "bitcoin": "BTC", "DOT": "DOT", "XLM": "XLM"}
        symbol = coin.get(wallet.wallet_type, wallet.wallet_type)
        balances.set_balance(state, app, wallet, symbol, Decimal(funds))
    return user_id, wallet.id


def _held(state: MockState, wallet_id: str, symbol: str) -> Decimal:
    app = state.default_app()
    _, wallet = managed_wallets.find(state, app, wallet_id)
    return balances.balance(state, app, wallet, symbol)


def _create(api: Api, **body: Any) -> dict[str, Any]:
    reply = api.post(CREATE, body)
    assert reply.status_code == 200, reply.get_json()
    answer: dict[str, Any] = reply.get_json()
    return answer


def _eth_transfer(api: Api, source: str, amount: str = "5.0", **extra: Any) -> dict[str, Any]:
    return _create(
        api, source=source, dest=ETH_DEST, source_amount=amount, dest_currency="ETH", **extra
    )


def _confirm(api: Api, transfer_id: str, **body: Any) -> dict[str, Any]:
    reply = api.post(f"/v1/transfers/{transfer_id}/confirm", body or None)
    assert reply.status_code == 200, reply.get_json()
    answer: dict[str, Any] = reply.get_json()
    return answer


def _get(api: Api, transfer_id: str) -> dict[str, Any]:
    reply = api.get(f"/v1/transfers/{transfer_id}")
    assert reply.status_code == 200, reply.get_json()
    answer: dict[str, Any] = reply.get_json()
    return answer


# --- CreateTransfer ------------------------------------------------------------------------


def test_create_transfer_fees_on_top_reproduces_the_guide(api: Api, state: MockState) -> None:
    user_id, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id, amount_includes_fees=False)
    assert (made["source_amount"], made["total_fees"], made["dest_amount"]) == ("5.1", "0.1", "5")
    assert made["source_currency"] == made["dest_currency"] == "ETH"
    assert made["status"] == "unconfirmed"
    assert made["user_id"] == user_id
    assert made["source"] == wallet_id
    assert Decimal(made["source_amount"]) == Decimal(made["dest_amount"]) + Decimal(
        made["total_fees"]
    )
    assert _held(state, wallet_id, "ETH") == Decimal(10)  # nothing moves before confirm


def test_create_transfer_fees_included_reproduces_the_reference(api: Api, state: MockState) -> None:
    user_id, wallet_id = _wallet(api, state, "solana", funds="1")
    made = _create(
        api,
        dest_currency="solana",
        source=wallet_id,
        dest=SOL_DEST,
        source_amount="0.005",
        notes="test",
        amount_includes_fees=True,
        user_id=user_id,
    )
    assert list(made) == PUBLISHED_KEYS
    assert (made["source_amount"], made["dest_amount"], made["total_fees"]) == (
        "0.005",
        "0.004995",
        "0.000005",
    )
    assert made["source_currency"] == made["dest_currency"] == "solana"
    assert made["custom_id"] is None
    assert made["notes"] == "test"
    assert made["blockchain_tx_hash"] == ""
    assert made["completed_at"] == made["cancelled_at"] == 0
    assert made["expires_at"] == made["created_at"] + 120 == made["updated_at"] + 120
    assert re.fullmatch(r"transfer_[0-9A-Za-z]{27}", made["id"])


def test_create_transfer_without_funds(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH", funds="5.05")
    reply = api.post(
        CREATE,
        {"source": wallet_id, "dest": ETH_DEST, "source_amount": "5", "dest_currency": "ETH"},
    )
    assert_error(reply, 400, "insufficient_funds", "'source_amount'")
    assert "5.05 ETH" in reply.get_json()["error_message"]


def test_create_transfer_never_funded_wallet(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "BTC", funds=None)
    reply = api.post(
        CREATE,
        {"source": wallet_id, "dest": BTC_DEST, "source_amount": "0.1", "dest_currency": "BTC"},
    )
    assert_error(reply, 400, "insufficient_funds", "holds 0 BTC")


@pytest.mark.parametrize(
    ("wallet_type", "currency", "allowed"),
    [
        ("ETH", "MATIC", True),
        ("ETH", "AVAX", True),
        ("ethereum", "ethereum", True),
        ("ETH", "SOL", False),
        ("ETH", "BTC", False),
        ("SOL", "ETH", False),
        ("BTC", "MATIC", False),
    ],
)
def test_create_transfer_currency_must_suit_the_wallet(
    api: Api, state: MockState, wallet_type: str, currency: str, allowed: bool
) -> None:
    _, wallet_id = _wallet(api, state, wallet_type)
    app = state.default_app()
    _, wallet = managed_wallets.find(state, app, wallet_id)
    for token in ("MATIC", "AVAX"):
        if wallet.wallet_type in ("ETH", "ethereum"):
            balances.set_balance(state, app, wallet, token, Decimal(10))
    dest = {"ETH": ETH_DEST, "ethereum": ETH_DEST, "SOL": SOL_DEST, "BTC": BTC_DEST}[wallet_type]
    body = {"source": wallet_id, "dest": dest, "source_amount": "1", "dest_currency": currency}
    reply = api.post(CREATE, body)
    if allowed:
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["source_currency"] == currency
    else:
        assert_error(reply, 400, "incompatible_currency", "'dest_currency'")


def test_create_transfer_unknown_currency_is_a_validation_error(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    body = {"source": wallet_id, "dest": ETH_DEST, "source_amount": "1", "dest_currency": "DOGE"}
    assert_error(api.post(CREATE, body), 400, "validation_error", "dest_currency")


def _stellar_address() -> str:
    address: str = Keypair.random().public_key
    return address


def _polkadot_address() -> str:
    address: str = SS58Encoder.Encode(bytes(range(32)), 0)
    return address


@pytest.mark.parametrize(
    ("wallet_type", "dest", "ok"),
    [
        ("ETH", ETH_DEST, True),
        ("ETH", ETH_DEST.upper().replace("0X", "0x"), True),
        ("ETH", "0x52908400098527886E0F7030069857D2E4169EE7", True),  # EIP-55's example
        ("ETH", "0x52908400098527886e0F7030069857D2E4169EE7", False),  # one case flipped
        ("ETH", "0x1234", False),
        ("ETH", SOL_DEST, False),
        ("SOL", SOL_DEST, True),
        ("SOL", ETH_DEST, False),
        ("SOL", "3eiTLfEg8koaNgNMcmygm2nQ3APNNNWAyHGioo", False),
        ("BTC", BTC_DEST, True),
        ("BTC", BTC_DEST[:-1] + "f", False),
        ("BTC", SOL_DEST, False),
        ("DOT", "polkadot", True),
        ("DOT", SOL_DEST, False),
        ("XLM", "stellar:3652667947", True),
        ("XLM", "stellar", False),
        ("XLM", "stellar:", False),
        ("XLM", "stellar:" + "m" * 29, False),
        ("XLM", "GDQP2KPQGKIHYJGXNUIYOMHARUARCA7DJT5FO2FFOOKY3B2WSQHG4W38:1", False),
        ("SOL", SOL_DEST + ":1", False),
    ],
)
def test_create_transfer_dest_is_an_address_of_the_chain(
    api: Api, state: MockState, wallet_type: str, dest: str, ok: bool
) -> None:
    dest = dest.replace("polkadot", _polkadot_address()).replace("stellar", _stellar_address())
    _, wallet_id = _wallet(api, state, wallet_type)
    body = {"source": wallet_id, "dest": dest, "source_amount": "1", "dest_currency": wallet_type}
    reply = api.post(CREATE, body)
    if ok:
        assert reply.status_code == 200, reply.get_json()
        assert reply.get_json()["dest"] == dest
    else:
        assert_error(reply, 400, "invalid_dest_address", "'dest'")


def test_create_transfer_published_stellar_destination(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "XLM")
    dest = "GDQP2KPQGKIHYJGXNUIYOMHARUARCA7DJT5FO2FFOOKY3B2WSQHG4W37:3652667947"
    body = {"source": wallet_id, "dest": dest, "source_amount": "2", "dest_currency": "XLM"}
    made = _create(api, **body)
    assert (made["source_amount"], made["total_fees"]) == ("2.00001", "0.00001")


def test_create_transfer_user_must_own_the_source(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    other, _ = _wallet(api, state, "ETH")
    body = {"source": wallet_id, "dest": ETH_DEST, "source_amount": "1", "dest_currency": "ETH"}
    assert_error(
        api.post(CREATE, {**body, "user_id": other}), 400, "wallet_user_mismatch", "'user_id'"
    )
    assert_error(api.post(CREATE, {**body, "user_id": "user_nobody"}), 404, "user_not_found")


def test_create_transfer_unknown_source(api: Api) -> None:
    body = {"source": "wallet_nope", "dest": ETH_DEST, "source_amount": "1", "dest_currency": "ETH"}
    assert_error(api.post(CREATE, body), 404, "wallet_not_found", "'source'")


@pytest.mark.parametrize(
    ("amount", "includes", "contains"),
    [
        ("0", False, "not above zero"),
        ("0.000", True, "not above zero"),
        ("1.0000000000000000001", False, "18 decimals"),
        ("0.1", True, "does not cover the fee"),
        ("0.05", True, "does not cover the fee"),
    ],
)
def test_create_transfer_bad_amounts(
    api: Api, state: MockState, amount: str, includes: bool, contains: str
) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    body = {
        "source": wallet_id,
        "dest": ETH_DEST,
        "source_amount": amount,
        "dest_currency": "ETH",
        "amount_includes_fees": includes,
    }
    assert_error(api.post(CREATE, body), 400, "invalid_amount", contains)


@pytest.mark.parametrize("amount", [5, "5e3", "-1", "1,5", " 1", ""])
def test_create_transfer_amount_is_a_decimal_string(
    api: Api, state: MockState, amount: Any
) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    body = {"source": wallet_id, "dest": ETH_DEST, "source_amount": amount, "dest_currency": "ETH"}
    assert_error(api.post(CREATE, body), 400, "validation_error", "source_amount")


def test_create_transfer_decimal_arithmetic_is_exact(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH", funds="1000000000000")
    made = _eth_transfer(api, wallet_id, amount="0.2")
    assert (made["source_amount"], made["total_fees"]) == ("0.3", "0.1")  # not 0.30000000000000004
    big = _eth_transfer(api, wallet_id, amount="123456789.123456789123456789")
    assert big["source_amount"] == "123456789.223456789123456789"


def test_create_transfer_custom_id_and_notes(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id, amount="1", custom_id="order-17", notes="rent")
    assert (made["custom_id"], made["notes"]) == ("order-17", "rent")


# --- fee settings ----------------------------------------------------------------------------


def test_fee_model_is_an_app_setting(api: Api, state: MockState, mock: Controls) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    app_id = state.default_app().app_id
    changed = mock.update_app(app_id, transfer_fees={"ETH": "0.2"}, transfer_fee_rate="0.01")
    assert changed["transfer_fees"]["ETH"] == "0.2"
    assert changed["transfer_fees"]["SOL"] == "0.000005"  # the others keep theirs
    made = _eth_transfer(api, wallet_id, amount="5")
    assert (made["total_fees"], made["source_amount"], made["dest_amount"]) == ("0.25", "5.25", "5")
    inside = _eth_transfer(api, wallet_id, amount="5", amount_includes_fees=True)
    assert (inside["total_fees"], inside["dest_amount"]) == ("0.25", "4.75")


def test_fee_rate_rounds_up_to_the_smallest_unit(
    api: Api, state: MockState, mock: Controls
) -> None:
    _, wallet_id = _wallet(api, state, "SOL")
    mock.update_app(
        state.default_app().app_id, transfer_fees={"SOL": "0"}, transfer_fee_rate="0.003"
    )
    made = _create(
        api, source=wallet_id, dest=SOL_DEST, source_amount="0.000000001", dest_currency="SOL"
    )
    assert made["total_fees"] == "0.000000001"  # 3e-12 rounded up to one lamport


# --- ConfirmTransfer and settling -----------------------------------------------------------


def test_confirm_transfer_pending_then_completed(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    user_id, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    clock.shift(timedelta(seconds=30))
    done = _confirm(api, made["id"], user_id=user_id)
    assert done["status"] == "pending"
    assert re.fullmatch(r"0x[0-9a-f]{64}", done["blockchain_tx_hash"])
    assert done["updated_at"] == made["created_at"] + 30
    assert _held(state, wallet_id, "ETH") == Decimal("4.9")
    clock.shift(timedelta(seconds=9))
    assert _get(api, made["id"])["status"] == "pending"
    clock.shift(timedelta(seconds=1))
    settled = _get(api, made["id"])
    assert settled["status"] == "completed"
    assert settled["completed_at"] == settled["updated_at"] == made["created_at"] + 40
    assert settled["blockchain_tx_hash"] == done["blockchain_tx_hash"]
    assert _held(state, wallet_id, "ETH") == Decimal("4.9")
    clock.shift(timedelta(seconds=-100))
    assert _get(api, made["id"])["status"] == "completed"  # settled stays settled


def test_confirm_transfer_twice(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH", funds="20")
    made = _eth_transfer(api, wallet_id)
    _confirm(api, made["id"])
    reply = api.post(f"/v1/transfers/{made['id']}/confirm")
    assert_error(reply, 409, "transfer_already_confirmed", "confirmed already")
    assert _held(state, wallet_id, "ETH") == Decimal("14.9")  # debited once


def test_confirm_transfer_expires_after_two_minutes(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    _, wallet_id = _wallet(api, state, "ETH", funds="20")
    late = _eth_transfer(api, wallet_id)
    early = _eth_transfer(api, wallet_id)
    clock.shift(timedelta(seconds=119))
    assert _confirm(api, early["id"])["status"] == "pending"
    clock.shift(timedelta(seconds=1))
    reply = api.post(f"/v1/transfers/{late['id']}/confirm")
    assert_error(reply, 400, "transfer_expired", "create a new one")
    assert _get(api, late["id"])["status"] == "unconfirmed"
    assert _held(state, wallet_id, "ETH") == Decimal("14.9")


def test_confirm_transfer_checks_funds_again(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    first = _eth_transfer(api, wallet_id)
    second = _eth_transfer(api, wallet_id)  # both fit in 10 alone
    _confirm(api, first["id"])
    reply = api.post(f"/v1/transfers/{second['id']}/confirm")
    assert_error(reply, 400, "insufficient_funds", "holds 4.9 ETH")
    assert _get(api, second["id"])["status"] == "unconfirmed"
    app = state.default_app()
    _, wallet = managed_wallets.find(state, app, wallet_id)
    balances.set_balance(state, app, wallet, "ETH", Decimal("5.1"))
    assert _confirm(api, second["id"])["status"] == "pending"
    assert _held(state, wallet_id, "ETH") == 0


def test_confirm_transfer_user_must_own_the_source(api: Api, state: MockState) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    other, _ = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    reply = api.post(f"/v1/transfers/{made['id']}/confirm", {"user_id": other})
    assert_error(reply, 400, "wallet_user_mismatch", "'user_id'")
    assert _get(api, made["id"])["status"] == "unconfirmed"


def test_confirm_unknown_transfer(api: Api) -> None:
    reply = api.post("/v1/transfers/transfer_nope/confirm")
    assert_error(reply, 404, "transfer_not_found", "transfer_nope")
    assert_error(api.get("/v1/transfers/transfer_nope"), 404, "transfer_not_found")


def test_settle_delay_zero_answers_completed(api: Api, state: MockState, mock: Controls) -> None:
    mock.update_app(state.default_app().app_id, transfer_settle_seconds=0)
    _, wallet_id = _wallet(api, state, "ETH")
    done = _confirm(api, _eth_transfer(api, wallet_id)["id"])
    assert done["status"] == "completed"
    assert done["completed_at"] == done["updated_at"]


def test_transfer_outcome_failed_keeps_the_funds(
    api: Api, state: MockState, mock: Controls, clock: ControllableClock
) -> None:
    mock.update_app(state.default_app().app_id, transfer_outcome="failed")
    _, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    assert _confirm(api, made["id"])["status"] == "pending"
    clock.shift(timedelta(seconds=10))
    failed = _get(api, made["id"])
    assert failed["status"] == "failed"
    assert failed["completed_at"] == 0
    assert _held(state, wallet_id, "ETH") == Decimal(10)
    view = mock.transfers(user_id=failed["user_id"])["transfers"][0]
    assert "transfer_outcome" in view["failure_reason"]


def test_fail_control_gives_the_funds_back(api: Api, state: MockState, mock: Controls) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    _confirm(api, made["id"])
    assert _held(state, wallet_id, "ETH") == Decimal("4.9")
    failed = mock.fail_transfer(made["id"], reason="node down")
    assert failed["status"] == "failed"
    assert failed["failure_reason"] == "node down"
    assert _held(state, wallet_id, "ETH") == Decimal(10)
    assert _get(api, made["id"])["status"] == "failed"


def test_fail_control_only_pending(api: Api, state: MockState, mock: Controls, client: Any) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    reply = client.post(f"/_mock/transfers/{made['id']}/fail", json={})
    assert_error(reply, 409, "transfer_not_pending", "unconfirmed")
    reply = client.post("/_mock/transfers/transfer_nope/fail")
    assert_error(reply, 404, "transfer_not_found")


def test_time_travel_over_http_settles(api: Api, state: MockState, client: Any) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    made = _eth_transfer(api, wallet_id)
    _confirm(api, made["id"])
    assert client.post("/_mock/clock/advance", json={"seconds": 10}).status_code == 200
    assert _get(api, made["id"])["status"] == "completed"


# --- ListTransfer ----------------------------------------------------------------------------


def test_list_transfer_only_executed_newest_first(
    api: Api, state: MockState, clock: ControllableClock
) -> None:
    user_id, wallet_id = _wallet(api, state, "ETH", funds="100")
    ids = []
    for _ in range(4):
        made = _eth_transfer(api, wallet_id, amount="1")
        _confirm(api, made["id"])
        ids.append(made["id"])
        clock.shift(timedelta(seconds=4))  # confirmed at 0, 4, 8, 12; read at 16
    _eth_transfer(api, wallet_id, amount="1")  # unconfirmed: abandoned, not listed
    reply = api.get(LIST, user_id=user_id)
    assert reply.status_code == 200, reply.get_json()
    page = reply.get_json()
    assert [t["id"] for t in page["transfers"]] == ids[::-1]
    assert (page["count"], page["offset"], page["limit"]) == (4, 0, 50)
    assert {t["status"] for t in page["transfers"]} == {"completed", "pending"}


def test_list_transfer_pages_with_string_limit_and_offset(api: Api, state: MockState) -> None:
    _user_id, wallet_id = _wallet(api, state, "ETH", funds="100")
    ids = [_confirm(api, _eth_transfer(api, wallet_id, amount="1")["id"])["id"] for _ in range(3)]
    page = api.get(LIST, source=wallet_id, limit="1", offset="1").get_json()
    assert (page["count"], page["offset"], page["limit"]) == (3, 1, 1)
    assert [t["id"] for t in page["transfers"]] == [ids[1]]  # same second: later created first
    assert api.get(LIST, offset="5").get_json()["transfers"] == []


def test_list_transfer_filters(api: Api, state: MockState) -> None:
    one, wallet_one = _wallet(api, state, "ETH")
    two, wallet_two = _wallet(api, state, "ETH")
    a = _confirm(api, _eth_transfer(api, wallet_one, amount="1")["id"])
    b = _confirm(api, _eth_transfer(api, wallet_two, amount="1")["id"])
    assert [t["id"] for t in api.get(LIST, user_id=one).get_json()["transfers"]] == [a["id"]]
    assert [t["id"] for t in api.get(LIST, source=wallet_two).get_json()["transfers"]] == [b["id"]]
    assert api.get(LIST, user_id=one, source=wallet_two).get_json()["count"] == 0
    assert api.get(LIST).get_json()["count"] == 2
    assert two


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"limit": "0"}, 400, "validation_error"),
        ({"limit": "101"}, 400, "validation_error"),
        ({"limit": "ten"}, 400, "validation_error"),
        ({"offset": "-1"}, 400, "validation_error"),
        ({"user_id": "user_nobody"}, 404, "user_not_found"),
        ({"source": "wallet_nope"}, 404, "wallet_not_found"),
    ],
)
def test_list_transfer_bad_queries(api: Api, query: dict[str, Any], status: int, code: str) -> None:
    name = next(iter(query))
    assert_error(api.get(LIST, **query), status, code, name)


# --- state and the dashboard's list --------------------------------------------------------


def test_transfers_round_trip_the_state_export(api: Api, state: MockState, mock: Controls) -> None:
    _, wallet_id = _wallet(api, state, "ETH")
    pending = _confirm(api, _eth_transfer(api, wallet_id)["id"])
    open_one = _eth_transfer(api, wallet_id, amount="1", custom_id="c1")
    document = mock.export_state()
    exported = document["apps"][0]["transfers"]
    assert {t["id"] for t in exported} == {pending["id"], open_one["id"]}
    mock.reset(keep_clock=True)
    assert_error(api.get(f"/v1/transfers/{pending['id']}"), 404, "transfer_not_found")
    counts = mock.import_state(document)["counts"]
    assert counts["transfers"] == 2
    assert _get(api, pending["id"]) == pending
    assert _get(api, open_one["id"]) == open_one


def test_control_lists_every_status(api: Api, state: MockState, mock: Controls) -> None:
    user_id, wallet_id = _wallet(api, state, "ETH")
    confirmed = _confirm(api, _eth_transfer(api, wallet_id, amount="1")["id"])
    unconfirmed = _eth_transfer(api, wallet_id, amount="1")
    listed = mock.transfers(user_id=user_id)
    assert listed["total"] == 2
    assert [t["id"] for t in listed["transfers"]] == [unconfirmed["id"], confirmed["id"]]
    assert listed["transfers"][1]["settles_at"] == confirmed["updated_at"] + 10


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"transfer_fee_rate": "2"}, "transfer_fee_rate"),
        ({"transfer_fee_rate": "0.1%"}, "transfer_fee_rate"),
        ({"transfer_fees": {"DOGE": "1"}}, "transfer_fees"),
        ({"transfer_fees": {"ETH": -1}}, "transfer_fees"),
        ({"transfer_settle_seconds": -1}, "transfer_settle_seconds"),
        ({"transfer_outcome": "lost"}, "transfer_outcome"),
    ],
)
def test_transfer_settings_are_validated(
    client: Any, state: MockState, settings: dict[str, Any], named: str
) -> None:
    reply = client.patch(f"/_mock/apps/{state.default_app().app_id}", json=settings)
    assert_error(reply, 400, "validation_error", named)


def test_transfer_settings_survive_the_state_export(state: MockState, mock: Controls) -> None:
    app_id = state.default_app().app_id
    mock.update_app(app_id, transfer_fees={"BTC": "0.001"}, transfer_settle_seconds=0)
    document = mock.export_state()
    mock.update_app(app_id, transfer_fees={"BTC": "0.5"}, transfer_settle_seconds=30)
    mock.import_state(document)
    app = mock.get_app(app_id)
    assert app["transfer_fees"]["BTC"] == "0.001"
    assert app["transfer_settle_seconds"] == 0
