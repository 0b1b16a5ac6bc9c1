"""Transfers out of managed wallets: create, confirm, settle, list (§9; decisions M40-M52).

Amounts are :class:`~decimal.Decimal`, never floats. The fee of a transfer is the app's fixed
fee of the currency plus its rate times the amount sent (M41): with ``amount_includes_fees``
false the fee comes on top (``source_amount = dest_amount + total_fees``), with true it comes
out. A transfer is ``unconfirmed`` for 120 s on the fake's clock; ConfirmTransfer checks the
funds again, debits ``source_amount`` (M47) and makes it ``pending`` with a 32-byte
``blockchain_tx_hash``; it settles ``transfer_settle_seconds`` later to the app's
``transfer_outcome`` (``completed``, or ``failed`` which gives the funds back). Settling happens
when the transfer is next read, on the fake's clock, so time travel settles it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any

from mock_server.errors import (
    IncompatibleCurrency,
    InsufficientFunds,
    InvalidAmount,
    TransferAlreadyConfirmed,
    TransferExpired,
    TransferNotFound,
    TransferNotPending,
    UserNotFound,
    WalletNotFound,
    WalletUserMismatch,
)
from mock_server.models import App, Transfer, User, Wallet, chain_of
from mock_server.state import MockState

from . import balances, managed_wallets
from .transfer_addresses import check_dest

EXPIRY_SECONDS = 120  # P-TRCF: expires_at = created_at + 120 in every example
# §9.1 / P-TRC: an ETH wallet sends ETH, MATIC or AVAX; every other type only its own coin.
CURRENCIES_BY_CHAIN: dict[str, tuple[str, ...]] = {
    "ethereum": ("ETH", "MATIC", "AVAX"),
    "solana": ("SOL",),
    "bitcoin": ("BTC",),
    "polkadot": ("DOT",),
    "stellar": ("XLM",),
}
# The smallest unit of each currency (wei, lamports, satoshis, planck, stroops): M42.
DECIMALS = {"ETH": 18, "MATIC": 18, "AVAX": 18, "SOL": 9, "BTC": 8, "DOT": 10, "XLM": 7}
EXECUTED = ("pending", "completed", "failed")
HEX = "0123456789abcdef"
OUTCOME_REASON = "the app's transfer_outcome setting is 'failed'"


@dataclass(frozen=True)
class Quote:
    """What a transfer takes from the source, gives the destination and costs."""

    source_amount: Decimal
    dest_amount: Decimal
    total_fees: Decimal


@dataclass(frozen=True)
class Page:
    """One page of ListTransfer."""

    transfers: list[Transfer]
    count: int
    offset: int
    limit: int


def amount_text(amount: Decimal) -> str:
    """Decimal text without exponent or trailing zeros (``5.0`` → ``5``, ``0.10`` → ``0.1``)."""
    return balances.format_amount(amount.normalize())


def currency_of(wallet: Wallet, dest_currency: str) -> str:
    """The currency's symbol (``solana`` → ``SOL``); :class:`IncompatibleCurrency` naming
    ``dest_currency`` when the wallet cannot send it."""
    symbol = dest_currency.strip().upper()
    symbol = balances.TOKEN_ALIASES.get(symbol, symbol)
    chain = chain_of(wallet.wallet_type)
    allowed = CURRENCIES_BY_CHAIN.get(chain, ())
    if symbol not in allowed:
        raise IncompatibleCurrency(
            f"Invalid body field 'dest_currency': a {wallet.wallet_type} wallet cannot send "
            f"'{dest_currency}' (it sends {', '.join(allowed) or 'nothing'})"
        )
    return symbol


def fee_table(app: App) -> dict[str, Decimal]:
    """The app's fixed fee of each currency."""
    return {symbol: Decimal(value) for symbol, value in app.transfer_fees}


def fee_of(app: App, symbol: str, amount: Decimal) -> Decimal:
    """Fixed fee plus rate * amount, rounded up to the currency's smallest unit."""
    fee = fee_table(app).get(symbol, Decimal(0)) + Decimal(app.transfer_fee_rate) * amount
    return fee.quantize(Decimal(1).scaleb(-DECIMALS[symbol]), rounding=ROUND_CEILING)


def quote(app: App, symbol: str, amount: Decimal, *, includes_fees: bool) -> Quote:
    """The three amounts of a transfer of ``amount`` (M41)."""
    fee = fee_of(app, symbol, amount)
    if not includes_fees:
        return Quote(amount + fee, amount, fee)
    if amount - fee <= 0:
        raise InvalidAmount(
            f"Invalid body field 'source_amount': {amount_text(amount)} {symbol} does not "
            f"cover the fee of {amount_text(fee)} {symbol} (amount_includes_fees is true)"
        )
    return Quote(amount, amount - fee, fee)


def parse_amount(text: str, symbol: str) -> Decimal:
    """A positive amount of at most the currency's decimals; :class:`InvalidAmount` else."""
    try:
        amount = balances.parse_amount(text).normalize()
    except ValueError:
        amount = Decimal(0)
    if amount <= 0:
        raise InvalidAmount(f"Invalid body field 'source_amount': '{text}' is not above zero")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DECIMALS[symbol]:
        raise InvalidAmount(
            f"Invalid body field 'source_amount': {symbol} has {DECIMALS[symbol]} decimals, "
            f"'{text}' has more"
        )
    return amount


def _source(state: MockState, app: App, wallet_id: str) -> tuple[User, Wallet]:
    try:
        owner, wallet = managed_wallets.find(state, app, wallet_id)
    except WalletNotFound:
        raise WalletNotFound(
            f"Invalid body field 'source': no wallet with id '{wallet_id}' in this app"
        ) from None
    managed_wallets.key_of(state, app, wallet_id)  # a linked wallet: 400 wallet_not_managed
    return owner, wallet


def _check_owner(state: MockState, app: App, owner_id: str, wallet_id: str, user_id: Any) -> None:
    if not user_id or user_id == owner_id:
        return
    if state.store.get_user(app.app_id, str(user_id)) is None:
        raise UserNotFound(f"Invalid body field 'user_id': no user with id '{user_id}'")
    raise WalletUserMismatch(
        f"Invalid body field 'user_id': wallet '{wallet_id}' does not belong to user '{user_id}'"
    )


def _check_funds(state: MockState, app: App, wallet: Wallet, symbol: str, needed: Decimal) -> None:
    held = balances.balance(state, app, wallet, symbol)
    if held < needed:
        raise InsufficientFunds(_short(wallet, symbol, held, needed))


def _short(wallet: Wallet, symbol: str, held: Decimal, needed: Decimal) -> str:
    return (
        f"Invalid body field 'source_amount': wallet '{wallet.id}' holds "
        f"{amount_text(held)} {symbol}, less than the {amount_text(needed)} {symbol} "
        "this transfer takes (fees included)"
    )


def create(state: MockState, app: App, body: dict[str, Any]) -> Transfer:
    """CreateTransfer: an ``unconfirmed`` transfer the source can pay for now."""
    with state.store.atomic():
        owner, wallet = _source(state, app, body["source"])
        _check_owner(state, app, owner.user_id, wallet.id, body.get("user_id"))
        symbol = currency_of(wallet, body["dest_currency"])
        check_dest(chain_of(wallet.wallet_type), body["dest"])
        amount = parse_amount(body["source_amount"], symbol)
        made = quote(app, symbol, amount, includes_fees=bool(body.get("amount_includes_fees")))
        _check_funds(state, app, wallet, symbol, made.source_amount)
        now = state.now_ts()
        transfer = Transfer(
            id=state.ids.new("transfer_"),
            app_id=app.app_id,
            user_id=owner.user_id,
            status="unconfirmed",
            source=wallet.id,
            source_amount=amount_text(made.source_amount),
            dest=body["dest"],
            dest_amount=amount_text(made.dest_amount),
            dest_currency=body["dest_currency"],
            source_currency=body["dest_currency"],
            total_fees=amount_text(made.total_fees),
            expires_at=now + EXPIRY_SECONDS,
            created_at=now,
            updated_at=now,
            token_symbol=symbol,
            custom_id=body.get("custom_id"),
            notes=body.get("notes") or "",
        )
        state.store.put_transfer(transfer)
    return transfer


def confirm(state: MockState, app: App, transfer_id: str, body: dict[str, Any]) -> Transfer:
    """ConfirmTransfer: funds checked again and debited; ``pending`` (or settled at once
    when the app's settle delay is 0)."""
    with state.store.atomic():
        transfer = get(state, app, transfer_id)
        _check_owner(state, app, transfer.user_id, transfer.source, body.get("user_id"))
        now = state.now_ts()
        _check_confirmable(transfer, now)
        _, wallet = _source(state, app, transfer.source)
        amount = Decimal(transfer.source_amount)
        completes = app.transfer_outcome == "completed"
        if completes:
            try:
                balances.debit(state, app, wallet, transfer.token_symbol, amount)
            except InsufficientFunds:
                held = balances.balance(state, app, wallet, transfer.token_symbol)
                raise InsufficientFunds(
                    _short(wallet, transfer.token_symbol, held, amount)
                ) from None
        else:
            _check_funds(state, app, wallet, transfer.token_symbol, amount)
        transfer = replace(
            transfer,
            status="pending",
            blockchain_tx_hash="0x" + state.ids.chars(64, HEX),
            confirmed_at=now,
            settles_at=now + app.transfer_settle_seconds,
            outcome=app.transfer_outcome,
            failure_reason="" if completes else OUTCOME_REASON,
            debited=completes,
            updated_at=now,
        )
        transfer = _settle(state, app, transfer)
        state.store.put_transfer(transfer)
    return transfer


def _check_confirmable(transfer: Transfer, now: int) -> None:
    """Only an ``unconfirmed`` transfer before its ``expires_at`` can be confirmed (M49)."""
    if transfer.status != "unconfirmed":
        raise TransferAlreadyConfirmed(
            f"Transfer '{transfer.id}' was confirmed already (status {transfer.status})"
        )
    if now >= transfer.expires_at:
        raise TransferExpired(
            f"Transfer '{transfer.id}' expired at {transfer.expires_at} unconfirmed "
            f"({EXPIRY_SECONDS} s after creation); create a new one"
        )


def _settle(state: MockState, app: App, transfer: Transfer) -> Transfer:
    """``transfer`` with its outcome applied when it is pending and due (funds given back to
    a failed one that was debited)."""
    if transfer.status != "pending" or state.now() < transfer.settles_at:
        return transfer
    if transfer.outcome == "completed":
        return replace(
            transfer,
            status="completed",
            completed_at=transfer.settles_at,
            updated_at=transfer.settles_at,
        )
    if transfer.debited:
        _refund(state, app, transfer)
    return replace(transfer, status="failed", debited=False, updated_at=transfer.settles_at)


def _refund(state: MockState, app: App, transfer: Transfer) -> None:
    try:
        _, wallet = managed_wallets.find(state, app, transfer.source)
    except WalletNotFound:
        return  # the wallet went with its user: nothing to give back to
    held = balances.balance(state, app, wallet, transfer.token_symbol)
    amount = Decimal(transfer.source_amount)
    balances.set_balance(state, app, wallet, transfer.token_symbol, held + amount)


def get(state: MockState, app: App, transfer_id: str) -> Transfer:
    """GetTransfer: the transfer, settled if due; :class:`TransferNotFound` naming the id."""
    with state.store.atomic():
        found = state.store.get_transfer(app.app_id, transfer_id)
        if found is None:
            raise TransferNotFound(f"No transfer with id '{transfer_id}' in this app")
        settled = _settle(state, app, found)
        if settled is not found:
            state.store.put_transfer(settled)
    return settled


def settled_all(state: MockState, app: App) -> list[Transfer]:
    """Every transfer of the app, newest first (ties: the later created first), settled."""
    with state.store.atomic():
        found = state.store.transfers(app.app_id)
        current: list[Transfer] = []
        for transfer in found:
            settled = _settle(state, app, transfer)
            if settled is not transfer:
                state.store.put_transfer(settled)
            current.append(settled)
    current.reverse()
    current.sort(key=lambda t: t.created_at, reverse=True)
    return current


def listing(state: MockState, app: App, query: dict[str, Any]) -> Page:
    """ListTransfer: executed transfers (pending, completed, failed), newest first (M50)."""
    user_id, source = query.get("user_id"), query.get("source")
    if user_id and state.store.get_user(app.app_id, user_id) is None:
        raise UserNotFound(f"Invalid query parameter 'user_id': no user with id '{user_id}'")
    if source and state.store.user_by_wallet_id(app.app_id, source) is None:
        raise WalletNotFound(f"Invalid query parameter 'source': no wallet with id '{source}'")
    limit = int(query.get("limit") or 50)
    offset = int(query.get("offset") or 0)
    chosen = [
        t
        for t in settled_all(state, app)
        if t.status in EXECUTED
        and (not user_id or t.user_id == user_id)
        and (not source or t.source == source)
    ]
    return Page(chosen[offset : offset + limit], len(chosen), offset, limit)


def of_user(state: MockState, app: App, user_id: str) -> list[Transfer]:
    """Every transfer of a user, any status, newest first (the dashboard's view)."""
    return [t for t in settled_all(state, app) if t.user_id == user_id]


def fail(state: MockState, app: App, transfer_id: str, reason: str) -> Transfer:
    """The control API's failure: a pending transfer becomes ``failed`` now, funds back."""
    with state.store.atomic():
        transfer = get(state, app, transfer_id)
        if transfer.status != "pending":
            raise TransferNotPending(
                f"Transfer '{transfer_id}' is {transfer.status}: only a pending transfer can fail"
            )
        if transfer.debited:
            _refund(state, app, transfer)
        now = state.now_ts()
        transfer = replace(
            transfer,
            status="failed",
            outcome="failed",
            debited=False,
            settles_at=now,
            failure_reason=reason or "failed through the control API",
            updated_at=now,
        )
        state.store.put_transfer(transfer)
    return transfer
