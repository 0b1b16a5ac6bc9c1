"""Broken variants of the transfers (issue 26; decisions M40-M52), each caught by a named rule.

``CAUGHT_BY``: variant → the conformance test of ``conformance/test_transfers.py`` that must be
among the failures (Q5).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mock_server.domain import balances, transfers
from mock_server.domain.transfers import Quote

Variant = Callable[[pytest.MonkeyPatch], None]


def fees_never_on_top(mp: pytest.MonkeyPatch) -> None:
    """The fee always comes out of the amount, whatever ``amount_includes_fees`` says."""
    original = transfers.quote

    def quote(app: Any, symbol: str, amount: Decimal, *, includes_fees: bool) -> Quote:
        return original(app, symbol, amount, includes_fees=True)

    mp.setattr(transfers, "quote", quote)


def fees_through_floats(mp: pytest.MonkeyPatch) -> None:
    """Amounts are computed in binary floating point and printed with repr."""

    def quote(app: Any, symbol: str, amount: Decimal, *, includes_fees: bool) -> Quote:
        fee = float(transfers.fee_of(app, symbol, amount))
        sent = float(amount)
        source, dest = (sent, sent - fee) if includes_fees else (sent + fee, sent)
        return Quote(*(Decimal(repr(v)) for v in (source, dest, fee)))

    mp.setattr(transfers, "quote", quote)


def no_funds_check(mp: pytest.MonkeyPatch) -> None:
    """CreateTransfer never looks at the balance."""
    mp.setattr(transfers, "_check_funds", lambda *args: None)


def any_currency(mp: pytest.MonkeyPatch) -> None:
    """Any currency of the published list passes the wallet check (the balance look-up then
    refuses a foreign one with its own error)."""

    def currency_of(wallet: Any, dest_currency: str) -> str:
        symbol = dest_currency.strip().upper()
        return balances.TOKEN_ALIASES.get(symbol, symbol)

    mp.setattr(transfers, "currency_of", currency_of)


def dest_not_checked(mp: pytest.MonkeyPatch) -> None:
    """Any destination string is taken."""
    mp.setattr(transfers, "check_dest", lambda chain, dest: None)


def confirm_anything(mp: pytest.MonkeyPatch) -> None:
    """Confirm checks neither the status nor the expiry (a second confirm debits again)."""
    mp.setattr(transfers, "_check_confirmable", lambda transfer, now: None)


def confirm_does_not_debit(mp: pytest.MonkeyPatch) -> None:
    """Confirm checks the funds but never takes them."""
    mp.setattr(balances, "debit", lambda *args: Decimal(0))


def never_settles(mp: pytest.MonkeyPatch) -> None:
    """A pending transfer stays pending forever."""
    mp.setattr(transfers, "_settle", lambda state, app, transfer: transfer)


def failure_loses_funds(mp: pytest.MonkeyPatch) -> None:
    """A failed transfer keeps what confirm debited."""
    mp.setattr(transfers, "_refund", lambda state, app, transfer: None)


def lists_unconfirmed(mp: pytest.MonkeyPatch) -> None:
    """ListTransfer shows unconfirmed (abandoned) transfers too."""
    mp.setattr(transfers, "EXECUTED", ("unconfirmed", "pending", "completed", "failed"))


VARIANTS: dict[str, Variant] = {
    "transfer fees never on top": fees_never_on_top,
    "transfer amounts through floats": fees_through_floats,
    "no funds check at create": no_funds_check,
    "a wallet sends any currency": any_currency,
    "transfer destination not checked": dest_not_checked,
    "confirm checks neither status nor expiry": confirm_anything,
    "confirm does not debit": confirm_does_not_debit,
    "a pending transfer never settles": never_settles,
    "a failed transfer loses the funds": failure_loses_funds,
    "ListTransfer shows unconfirmed transfers": lists_unconfirmed,
}

CAUGHT_BY: dict[str, str] = {
    "transfer fees never on top": "test_create_transfer_amounts_add_up",
    "transfer amounts through floats": "test_transfer_amounts_are_exact_decimals",
    "no funds check at create": "test_create_transfer_from_an_empty_wallet_is_refused",
    "a wallet sends any currency": "test_create_transfer_incompatible_currency_error",
    "transfer destination not checked": "test_create_transfer_foreign_address_is_refused",
    "confirm checks neither status nor expiry": "test_confirm_after_expiry_is_refused",
    "confirm does not debit": "test_confirm_transfer_debits_once",
    "a pending transfer never settles": "test_pending_transfer_settles",
    "a failed transfer loses the funds": "test_failed_transfer_gives_the_funds_back",
    "ListTransfer shows unconfirmed transfers": "test_confirm_transfer_debits_once",
}

SUITE_FILES: dict[str, tuple[str, ...]] = dict.fromkeys(VARIANTS, ("test_transfers.py",))
