"""Transfers: CreateTransfer, ConfirmTransfer, GetTransfer, ListTransfer.

Capability-gated like the managed wallets (a deployment without ``POST /v1/wallets/create``
skips these rules with the reason). A real deployment offers no way to fund a wallet, so there
the suite checks what an empty wallet shows: a transfer it cannot pay is refused, a currency it
cannot send is refused, a new user's list is empty and well formed, unknown ids are 404. The
rules that move funds need the ``wallets`` control (the fake's balance setter); those that move
time need the clock (``time_dependent``); the failure path needs the ``transfers`` control.
Sources (public pages):

- https://docs.streambird.io/api-reference/transfers/create-transfer-beta
- https://docs.streambird.io/api-reference/transfers/confirm-transfer-beta
- https://docs.streambird.io/api-reference/transfers/get-transfer-beta
- https://docs.streambird.io/api-reference/transfers/list-transfer-beta
- https://docs.streambird.io/wallet-as-a-service/transfers/create-transfers
- docs/decisions.md M40-M52 (the choices the pages leave open).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.gates import missing_managed_wallets
from conformance.target import Target
from conformance.timing import TimeTravel

CREATE, LIST = "/v1/transfers/create", "/v1/transfers/list"
ETH_DEST = "0xb6acedc0cdcab7a4bb6c236976bb7df63bbcd567"
SOL_DEST = "3eiTLfEg8koaNgNMcmygm2nQ3APNNNWAyHGiooGwAziK"
TRANSFER_FIELDS = {
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
}
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


@pytest.fixture(scope="module", autouse=True)
def _serves_managed_wallets(api: ApiClient) -> None:
    """Skip the module on a deployment without managed wallets, with the reason."""
    reason = missing_managed_wallets(api)
    if reason is not None:
        pytest.skip(reason.replace("managed wallets", "transfers (out of managed wallets)"))


def _wallet(api: ApiClient, flows: Flows, expect: Expect, wallet_type: str) -> tuple[str, str]:
    """(user_id, wallet_id) of a new user's managed wallet."""
    user_id = flows.create_user()
    made = api.post("/v1/wallets/create", {"user_id": user_id, "wallet_type": wallet_type})
    return user_id, str(expect.ok(made)["id"])


def _funded(target: Target, api: ApiClient, flows: Flows, expect: Expect) -> tuple[str, str]:
    """An ETH wallet holding 10 ETH (the fake's balance control)."""
    user_id, wallet_id = _wallet(api, flows, expect, "ETH")
    target.control.set_balance(wallet_id, "ETH", "10")
    return user_id, wallet_id


def _eth(api: ApiClient, wallet_id: str, amount: str = "5.0", **extra: Any) -> Exchange:
    body = {"source": wallet_id, "dest": ETH_DEST, "source_amount": amount, "dest_currency": "ETH"}
    return api.post(CREATE, {**body, **extra})


def _check_transfer(expect: Expect, body: dict[str, Any], exchange: Exchange) -> None:
    """The published Transfer: every field, amounts decimal strings, times integers."""
    missing = sorted(TRANSFER_FIELDS - set(body))
    expect.true(not missing, "every published Transfer field", f"missing {missing}", exchange)
    for name in ("source_amount", "dest_amount", "total_fees"):
        value = body[name]
        ok = isinstance(value, str) and DECIMAL.fullmatch(value) is not None
        expect.true(ok, f"{name} a decimal string", repr(value), exchange)
    for name in ("completed_at", "cancelled_at", "expires_at", "created_at", "updated_at"):
        value = body[name]
        ok = isinstance(value, int) and not isinstance(value, bool)
        expect.true(ok, f"{name} an integer", repr(value), exchange)


def _balance(api: ApiClient, expect: Expect, wallet_id: str) -> Decimal:
    asked = api.post("/v1/wallets/balance", {"wallet_id": wallet_id, "token_symbol": "ETH"})
    return Decimal(str(expect.ok(asked)["balance"]))


# --- what any deployment shows with an empty wallet ------------------------------------------


@pytest.mark.rule(
    "A transfer the source wallet cannot pay is refused (the balance is checked at creation)",
    source=sources.CREATE_TRANSFER,
)
def test_create_transfer_from_an_empty_wallet_is_refused(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """A new wallet holds nothing: 5 ETH out of it → a 4xx error envelope."""
    _, wallet_id = _wallet(api, flows, expect, "ETH")
    made = _eth(api, wallet_id)
    expect.true(400 <= made.status < 500, "a 4xx refusal", f"HTTP {made.status}", made)
    expect.envelope(made)


@pytest.mark.rule(
    "M47: a transfer the source cannot pay → 400 insufficient_funds naming source_amount",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M47")
def test_create_transfer_without_funds_is_insufficient_funds(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _wallet(api, flows, expect, "ETH")
    made = _eth(api, wallet_id)
    body = expect.error(made, 400, "insufficient_funds")
    named = "source_amount" in str(body.get("error_message"))
    expect.true(named, "the message names source_amount", repr(body.get("error_message")), made)


@pytest.mark.rule(
    "A wallet sends only the currencies of its type (a Solana wallet cannot send ETH)",
    source=sources.CREATE_TRANSFER,
)
def test_create_transfer_incompatible_currency_is_refused(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _wallet(api, flows, expect, "SOL")
    body = {"source": wallet_id, "dest": SOL_DEST, "source_amount": "1", "dest_currency": "ETH"}
    made = api.post(CREATE, body)
    expect.true(400 <= made.status < 500, "a 4xx refusal", f"HTTP {made.status}", made)
    expect.envelope(made)


@pytest.mark.rule(
    "M44: a currency the wallet cannot send → 400 incompatible_currency",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M44")
def test_create_transfer_incompatible_currency_error(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _wallet(api, flows, expect, "SOL")
    body = {"source": wallet_id, "dest": SOL_DEST, "source_amount": "1", "dest_currency": "ETH"}
    expect.error(api.post(CREATE, body), 400, "incompatible_currency")


@pytest.mark.rule(
    "M46: a destination that is not an address of the source's chain → 400 invalid_dest_address",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M46")
@pytest.mark.parametrize(
    ("wallet_type", "dest"),
    [("ETH", SOL_DEST), ("SOL", ETH_DEST), ("ETH", ETH_DEST[:-1] + "g")],
)
def test_create_transfer_foreign_address_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str, dest: str
) -> None:
    _, wallet_id = _wallet(api, flows, expect, wallet_type)
    body = {"source": wallet_id, "dest": dest, "source_amount": "1", "dest_currency": wallet_type}
    expect.error(api.post(CREATE, body), 400, "invalid_dest_address")


@pytest.mark.rule(
    "ListTransfer answers {transfers, count, offset, limit}; a new user has no transfer; "
    "limit 1 is accepted as in the published example",
    source=sources.LIST_TRANSFER,
)
def test_list_transfer_new_user_is_empty(api: ApiClient, flows: Flows, expect: Expect) -> None:
    user_id, _ = _wallet(api, flows, expect, "ETH")
    for query in ({"user_id": user_id}, {"user_id": user_id, "limit": "1", "offset": "0"}):
        listed = api.get(LIST, **query)
        body = expect.ok(listed)
        missing = sorted({"transfers", "count", "offset", "limit"} - set(body))
        expect.true(not missing, "the published fields", f"missing {missing}", listed)
        expect.equal("count", 0, body["count"], listed)
        expect.true(not body["transfers"], "no transfer", repr(body["transfers"]), listed)


@pytest.mark.rule(
    "M50: transfers is an array; count, offset and limit integers (limit 50 by default)",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M50")
def test_list_transfer_shape(api: ApiClient, flows: Flows, expect: Expect) -> None:
    user_id, _ = _wallet(api, flows, expect, "ETH")
    listed = api.get(LIST, user_id=user_id)
    body = expect.ok(listed)
    expect.equal("transfers", [], body["transfers"], listed)
    expect.equal("(offset, limit)", (0, 50), (body["offset"], body["limit"]), listed)
    paged = expect.ok(api.get(LIST, user_id=user_id, limit="1", offset="3"))
    expect.equal("(offset, limit)", (3, 1), (paged["offset"], paged["limit"]), listed)


@pytest.mark.rule(
    "M49: an unknown transfer id → 404 transfer_not_found (get and confirm)",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M49")
def test_unknown_transfer_is_not_found(api: ApiClient, expect: Expect) -> None:
    unknown = "transfer_conformanceUnknown00000000"
    expect.error(api.get(f"/v1/transfers/{unknown}"), 404, "transfer_not_found")
    expect.error(api.post(f"/v1/transfers/{unknown}/confirm"), 404, "transfer_not_found")


# --- with funds (the fake's balance control) ---------------------------------------------


@pytest.mark.rule(
    "CreateTransfer answers an unconfirmed Transfer: source_amount = dest_amount + total_fees, "
    "the fees on top by default and inside with amount_includes_fees, expiring 120 s later",
    source=sources.TRANSFERS_GUIDE,
)
@pytest.mark.needs_control("wallets")
def test_create_transfer_amounts_add_up(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    for includes in (False, True):
        made = _eth(api, wallet_id, amount_includes_fees=includes)
        body = expect.ok(made)
        _check_transfer(expect, body, made)
        expect.equal("status", "unconfirmed", body["status"], made)
        expect.equal("blockchain_tx_hash", "", body["blockchain_tx_hash"], made)
        expect.equal("expires_at", body["created_at"] + 120, body["expires_at"], made)
        source, dest, fees = (
            Decimal(body[k]) for k in ("source_amount", "dest_amount", "total_fees")
        )
        expect.equal("source_amount", dest + fees, source, made)
        sent = dest if not includes else source
        expect.equal("the amount sent", Decimal("5.0"), sent, made)


@pytest.mark.rule(
    "M41: the default fees reproduce the published examples (5.0 ETH → 5.1 with fee 0.1; "
    "0.005 SOL with the fee inside → 0.004995 + 0.000005)",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M41")
@pytest.mark.needs_control("wallets")
def test_transfer_fees_reproduce_the_examples(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, eth = _funded(target, api, flows, expect)
    made = _eth(api, eth)
    amounts = tuple(expect.ok(made)[k] for k in ("source_amount", "total_fees", "dest_amount"))
    expect.equal("(source, fees, dest)", ("5.1", "0.1", "5"), amounts, made)
    _, sol = _wallet(api, flows, expect, "solana")
    target.control.set_balance(sol, "SOL", "1")
    body = {
        "dest_currency": "solana",
        "source": sol,
        "dest": SOL_DEST,
        "source_amount": "0.005",
        "amount_includes_fees": True,
    }
    made = api.post(CREATE, body)
    amounts = tuple(expect.ok(made)[k] for k in ("source_amount", "dest_amount", "total_fees"))
    expect.equal("(source, dest, fees)", ("0.005", "0.004995", "0.000005"), amounts, made)


@pytest.mark.rule(
    "M40: amounts are exact decimals (0.2 ETH + the 0.1 fee is 0.3), normalised text",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M40")
@pytest.mark.needs_control("wallets")
def test_transfer_amounts_are_exact_decimals(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    for amount, wanted in [("0.2", "0.3"), ("1.000000000000000001", "1.100000000000000001")]:
        made = _eth(api, wallet_id, amount=amount)
        expect.equal("source_amount", wanted, expect.ok(made)["source_amount"], made)


@pytest.mark.rule(
    "ConfirmTransfer executes the transfer: pending (or settled) with a blockchain_tx_hash; "
    "GetTransfer and ListTransfer show it",
    source=sources.CONFIRM_TRANSFER,
)
@pytest.mark.needs_control("wallets")
def test_confirm_transfer_executes(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    user_id, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    done = api.post(f"/v1/transfers/{made['id']}/confirm", {"user_id": user_id})
    body = expect.ok(done)
    _check_transfer(expect, body, done)
    executed = body["status"] in ("pending", "completed")
    expect.true(executed, "status pending or completed", repr(body["status"]), done)
    expect.true(bool(body["blockchain_tx_hash"]), "a blockchain_tx_hash", "''", done)
    got = api.get(f"/v1/transfers/{made['id']}")
    expect.equal("id", made["id"], expect.ok(got)["id"], got)
    listed = api.get(LIST, user_id=user_id)
    ids = [t.get("id") for t in expect.ok(listed)["transfers"]]
    expect.equal("listed ids", [made["id"]], ids, listed)


@pytest.mark.rule(
    "M47, M48: confirm debits source_amount and answers pending with a 0x 32-byte hash; "
    "a second confirm → 409 transfer_already_confirmed, nothing debited twice",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M48")
@pytest.mark.needs_control("wallets")
def test_confirm_transfer_debits_once(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    unconfirmed = expect.ok(_eth(api, wallet_id))  # abandoned: never listed
    done = api.post(f"/v1/transfers/{made['id']}/confirm")
    body = expect.ok(done)
    expect.equal("status", "pending", body["status"], done)
    ok = TX_HASH.fullmatch(str(body["blockchain_tx_hash"])) is not None
    expect.true(ok, "0x + 64 hex digits", repr(body["blockchain_tx_hash"]), done)
    expect.equal("balance after confirm", Decimal("4.9"), _balance(api, expect, wallet_id), done)
    again = api.post(f"/v1/transfers/{made['id']}/confirm")
    expect.error(again, 409, "transfer_already_confirmed")
    expect.equal("balance", Decimal("4.9"), _balance(api, expect, wallet_id), again)
    listed = expect.ok(api.get(LIST, source=wallet_id))
    ids = [t["id"] for t in listed["transfers"]]
    expect.true(unconfirmed["id"] not in ids, "only executed transfers listed", repr(ids))


@pytest.mark.rule(
    "A transfer expires 2 minutes after creation: confirming it later is refused",
    source=sources.CONFIRM_TRANSFER,
)
@pytest.mark.needs_control("wallets")
@pytest.mark.time_dependent
def test_confirm_after_expiry_is_refused(
    target: Target, api: ApiClient, flows: Flows, expect: Expect, travel: TimeTravel
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    travel.at(made["expires_at"])
    late = api.post(f"/v1/transfers/{made['id']}/confirm")
    expect.true(400 <= late.status < 500, "a 4xx refusal", f"HTTP {late.status}", late)
    expect.equal("balance", Decimal(10), _balance(api, expect, wallet_id), late)


@pytest.mark.rule(
    "M49: confirming at or after expires_at → 400 transfer_expired",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M49")
@pytest.mark.needs_control("wallets")
@pytest.mark.time_dependent
def test_confirm_after_expiry_is_transfer_expired(
    target: Target, api: ApiClient, flows: Flows, expect: Expect, travel: TimeTravel
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    travel.at(made["expires_at"])
    expect.error(api.post(f"/v1/transfers/{made['id']}/confirm"), 400, "transfer_expired")


@pytest.mark.rule(
    "M48: a pending transfer is completed once its settle delay (10 s) has passed",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M48")
@pytest.mark.needs_control("wallets")
@pytest.mark.time_dependent
def test_pending_transfer_settles(
    target: Target, api: ApiClient, flows: Flows, expect: Expect, travel: TimeTravel
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    done = expect.ok(api.post(f"/v1/transfers/{made['id']}/confirm"))
    travel.at(done["updated_at"] + 10)
    got = api.get(f"/v1/transfers/{made['id']}")
    body = expect.ok(got)
    expect.equal("status", "completed", body["status"], got)
    expect.equal("completed_at", done["updated_at"] + 10, body["completed_at"], got)


@pytest.mark.rule(
    "M51: a pending transfer failed by the control is failed and its funds are back",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M51")
@pytest.mark.needs_control("wallets", "transfers")
def test_failed_transfer_gives_the_funds_back(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    _, wallet_id = _funded(target, api, flows, expect)
    made = expect.ok(_eth(api, wallet_id))
    expect.ok(api.post(f"/v1/transfers/{made['id']}/confirm"))
    target.control.fail_transfer(str(made["id"]), reason="conformance")
    got = api.get(f"/v1/transfers/{made['id']}")
    expect.equal("status", "failed", expect.ok(got)["status"], got)
    expect.equal("balance", Decimal(10), _balance(api, expect, wallet_id), got)
