"""Token balances of managed wallets, in decimal arithmetic (never floats; decisions M8, M9).

A balance is what the control API set (``POST /_mock/wallets/balance``) less what transfers
debited; never set reads as ``0``. Tokens must suit the wallet's chain (Reference-more §5.3:
``MATIC``, ``AVAX`` and ``ETH`` go with an ETH wallet); the chain's own token has two
spellings, its symbol and the chain's name (``ETH``/``ethereum``), and both name one balance.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from mock_server.errors import InsufficientFunds, InvalidTokenSymbol
from mock_server.models import App, Wallet, chain_of
from mock_server.state import MockState

# M8: the tokens each chain's wallets hold; the first is the chain's native token.
TOKENS_BY_CHAIN: dict[str, tuple[str, ...]] = {
    "ethereum": ("ETH", "MATIC", "AVAX", "USDC", "USDT", "LINK"),
    "solana": ("SOL", "USDC", "USDT"),
    "bitcoin": ("BTC",),
    "polkadot": ("DOT",),
    "stellar": ("XLM",),
}
# The chain-name spellings of native tokens (§5.3 lists ``ETH``/``ethereum``, ``SOL``/``solana``).
TOKEN_ALIASES = {"ETHEREUM": "ETH", "SOLANA": "SOL", "BITCOIN": "BTC", "POLKADOT": "DOT"}
ALL_TOKENS = tuple(sorted({t for tokens in TOKENS_BY_CHAIN.values() for t in tokens}))
ZERO = Decimal("0")


def canonical_token(wallet: Wallet, token_symbol: str) -> str:
    """The token's symbol as balances are kept (``ethereum`` → ``ETH``; any case accepted);
    :class:`InvalidTokenSymbol` naming ``token_symbol`` when it does not suit the wallet."""
    symbol = token_symbol.strip().upper()
    symbol = TOKEN_ALIASES.get(symbol, symbol)
    chain = chain_of(wallet.wallet_type)
    allowed = TOKENS_BY_CHAIN.get(chain, ())
    if symbol not in allowed:
        raise InvalidTokenSymbol(
            f"Invalid body field 'token_symbol': '{token_symbol}' is not a token of {chain} "
            f"wallets (accepted: {', '.join(allowed) or 'none'})"
        )
    return symbol


def format_amount(amount: Decimal) -> str:
    """Decimal text without an exponent, keeping the digits that were set (``1.50`` stays)."""
    if amount == 0:
        amount = abs(amount)  # never "-0"
    return format(amount, "f")


def parse_amount(text: str) -> Decimal:
    """A finite decimal from text (ValueError otherwise); the caller checks the sign."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite decimal number")
    return value


def balance(state: MockState, app: App, wallet: Wallet, token_symbol: str) -> Decimal:
    """The wallet's balance of the token (``0`` when never set)."""
    symbol = canonical_token(wallet, token_symbol)
    stored = state.store.get_balance(app.app_id, wallet.id, symbol)
    return ZERO if stored is None else Decimal(stored)


def set_balance(
    state: MockState, app: App, wallet: Wallet, token_symbol: str, amount: Decimal
) -> None:
    """Set the wallet's balance of the token (ValueError for a negative or infinite amount)."""
    if not amount.is_finite() or amount < 0:
        raise ValueError("a balance is a finite, non-negative decimal")
    symbol = canonical_token(wallet, token_symbol)
    with state.store.atomic():
        state.store.put_balance(app.app_id, wallet.id, symbol, format_amount(amount))


def debit(
    state: MockState, app: App, wallet: Wallet, token_symbol: str, amount: Decimal
) -> Decimal:
    """Take ``amount`` off the balance (call inside the caller's ``atomic()``); the new balance.

    :class:`InsufficientFunds` when the balance would go negative (nothing changes then).
    """
    symbol = canonical_token(wallet, token_symbol)
    with state.store.atomic():
        current = balance(state, app, wallet, symbol)
        left = current - amount
        if left < 0:
            raise InsufficientFunds(
                f"Wallet '{wallet.id}' holds {format_amount(current)} {symbol}, "
                f"less than {format_amount(amount)}"
            )
        state.store.put_balance(app.app_id, wallet.id, symbol, format_amount(left))
        return left
