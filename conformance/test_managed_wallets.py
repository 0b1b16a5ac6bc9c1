"""Managed wallets: CreateWallet, GetWallet, GetWalletBalance, CreateUser's ``wallet_type``.

Capability-gated: a deployment that does not serve ``POST /v1/wallets/create`` (an unknown
path, not an unknown user) skips these rules with that reason. The suite never sees a managed
wallet's key, so addresses are checked by their own checksums (base58check, SS58, StrKey).
Sources (public pages):

- https://docs.streambird.io/api-reference/managed-wallets/create-wallet-beta
- https://docs.streambird.io/api-reference/managed-wallets/get-wallet-beta
- https://docs.streambird.io/api-reference/managed-wallets/get-wallet-balance-beta
- docs/decisions.md M1-M19 (the choices the pages leave open).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from typing import Any

import base58
import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.gates import missing_managed_wallets
from conformance.target import Target

CREATE, BALANCE, GET = "/v1/wallets/create", "/v1/wallets/balance", "/v1/wallets/"
PUBLISHED_FIELDS = {
    "id",
    "app_id",
    "user_id",
    "public_address",
    "wallet_type",
    "verified",
    "is_default",
    "is_read_only",
    "is_imported",
    "updated_at",
    "created_at",
}
MOONKEY_FIELDS = {"wallet_client_type", "wallet_pk_id", "delegated", "account_index"}
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


@pytest.fixture(scope="module", autouse=True)
def _serves_managed_wallets(api: ApiClient) -> None:
    """Skip the module on a deployment without managed wallets, with the reason."""
    reason = missing_managed_wallets(api)
    if reason is not None:
        pytest.skip(reason)


def _create(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str, user_id: str | None = None
) -> tuple[Exchange, dict[str, Any]]:
    user_id = user_id or flows.create_user()
    made = api.post(CREATE, {"user_id": user_id, "wallet_type": wallet_type})
    return made, expect.ok(made)


def _b58check_version(address: str) -> int | None:
    try:
        return base58.b58decode_check(address)[0]
    except ValueError:
        return None


def _ss58_ok(address: str) -> bool:
    try:
        raw = base58.b58decode(address)
    except ValueError:
        return False
    if len(raw) != 35 or raw[0] != 0:
        return False
    checksum = hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2]
    return raw[33:] == checksum


def _crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM, Stellar's StrKey checksum: the standard library's CRC-CCITT from 0."""
    return binascii.crc_hqx(data, 0)


def _strkey_ok(address: str) -> bool:
    try:
        raw = base64.b32decode(address + "=" * (-len(address) % 8))
    except ValueError:
        return False
    body, checksum = raw[:-2], raw[-2:]
    return (
        len(raw) == 35
        and raw[0] == 6 << 3
        and _crc16_xmodem(body).to_bytes(2, "little") == checksum
    )


def _solana_ok(address: str) -> bool:
    try:
        return len(base58.b58decode(address)) == 32
    except ValueError:
        return False


ADDRESS_CHECKS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "ETH": (
        "lower-case 0x + 40 hex digits",
        lambda a: re.fullmatch(r"0x[0-9a-f]{40}", a) is not None,
    ),
    "SOL": ("base58 of a 32-byte ed25519 key", _solana_ok),
    "BTC": ("testnet P2PKH (base58check, version 0x6f)", lambda a: _b58check_version(a) == 0x6F),
    "DOT": ("SS58, prefix 0, valid checksum", _ss58_ok),
    "XLM": ("a G… StrKey with a valid CRC16 checksum", _strkey_ok),
}


@pytest.mark.rule(
    "M1, M2: CreateWallet answers a verified default wallet with the published Wallet fields",
    source=sources.CREATE_WALLET,
)
def test_create_wallet_answers_a_wallet(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """``id`` ``wallet_…``, the user's id, ``verified``, default, not read-only, not imported,
    integer timestamps."""
    user_id = flows.create_user()
    made, body = _create(api, flows, expect, "ETH", user_id)
    missing = sorted(PUBLISHED_FIELDS - set(body))
    expect.true(not missing, "every published Wallet field", f"missing {missing}", made)
    expect.true(str(body["id"]).startswith("wallet_"), "id wallet_…", repr(body["id"]), made)
    expect.equal("user_id", user_id, body["user_id"], made)
    expect.equal("wallet_type", "ETH", body["wallet_type"], made)
    for name, wanted in [
        ("verified", True),
        ("is_default", True),
        ("is_read_only", False),
        ("is_imported", False),
    ]:
        expect.equal(name, wanted, body[name], made)
    for name in ("created_at", "updated_at"):
        value = body[name]
        expect.true(
            isinstance(value, int) and not isinstance(value, bool),
            f"{name} an integer",
            repr(value),
            made,
        )


@pytest.mark.rule(
    "M2: a wallet answer carries no key material", source=sources.MANAGED_WALLETS_DECISIONS
)
@pytest.mark.decision("M2")
def test_create_wallet_answers_only_the_wallet_fields(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """Exactly the §12.1 fields of both eras: nothing else (no key, seed or mnemonic)."""
    made, body = _create(api, flows, expect, "SOL")
    extra = sorted(set(body) - PUBLISHED_FIELDS - MOONKEY_FIELDS)
    expect.true(not extra, "only the published Wallet fields", f"also {extra}", made)


@pytest.mark.rule(
    "M1: CreateWallet is idempotent per user and wallet_type", source=sources.CREATE_WALLET
)
def test_create_wallet_twice_answers_the_same_wallet(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """The same user and type: the same wallet; another user: another address."""
    user_id = flows.create_user()
    _, first = _create(api, flows, expect, "ETH", user_id)
    again, second = _create(api, flows, expect, "ETH", user_id)
    expect.equal("id", first["id"], second["id"], again)
    expect.equal("public_address", first["public_address"], second["public_address"], again)
    other, third = _create(api, flows, expect, "ETH")
    expect.true(
        third["public_address"] != first["public_address"],
        "another user's wallet has another address",
        "the same address",
        other,
    )


@pytest.mark.rule(
    "M1: ETH and ethereum name one chain: CreateWallet answers the same wallet",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M1")
def test_create_wallet_either_era_name_is_one_chain(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``ETH`` then ``ethereum`` for one user: one wallet."""
    user_id = flows.create_user()
    _, first = _create(api, flows, expect, "ETH", user_id)
    again, second = _create(api, flows, expect, "ethereum", user_id)
    expect.equal("id", first["id"], second["id"], again)


@pytest.mark.rule(
    "M5: each wallet type answers an address of its chain", source=sources.CREATE_WALLET
)
@pytest.mark.decision("M5")
@pytest.mark.parametrize("wallet_type", sorted(ADDRESS_CHECKS))
def test_create_wallet_address_is_of_its_chain(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str
) -> None:
    """ETH lower-case hex, SOL a 32-byte key, BTC testnet P2PKH (the GetWallet example), DOT
    SS58, XLM a StrKey; checksums verified."""
    made, body = _create(api, flows, expect, wallet_type)
    wanted, check = ADDRESS_CHECKS[wallet_type]
    address = str(body.get("public_address", ""))
    expect.true(check(address), wanted, repr(address), made)


@pytest.mark.rule(
    "M13: CreateWallet for an unknown user → 404 user_not_found",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M13")
def test_create_wallet_unknown_user(api: ApiClient, expect: Expect) -> None:
    """The user must exist in the app."""
    refused = api.post(
        CREATE, {"user_id": "user_2Cu2uYcbwY9kcAFe2zd0P0SHftK", "wallet_type": "SOL"}
    )
    expect.error(refused, 404, "user_not_found")


@pytest.mark.rule("M2: GetWallet answers the wallet CreateWallet made", source=sources.GET_WALLET)
def test_get_wallet_answers_the_created_wallet(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """The same id, address, type and user."""
    _, made = _create(api, flows, expect, "BTC")
    got = api.get(GET + str(made["id"]))
    body = expect.ok(got)
    for name in ("id", "user_id", "public_address", "wallet_type", "created_at"):
        expect.equal(name, made[name], body.get(name), got)


@pytest.mark.rule(
    "M13: GetWallet of an unknown id → 404 wallet_not_found",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M13")
def test_get_wallet_unknown(api: ApiClient, expect: Expect) -> None:
    """An id no wallet of the app has."""
    expect.error(api.get(GET + "wallet_2Cu2uYcbwY9kcAFe2zd0P0SHftK"), 404, "wallet_not_found")


@pytest.mark.rule(
    "M11: CreateUser's wallet_type makes a wallet GetWallet answers",
    source=sources.CREATE_USER,
)
def test_create_user_wallet_type_makes_a_managed_wallet(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """The user's default wallet of that type, fetched by its id; CreateWallet answers it."""
    created = api.post(
        "/v1/auth/users/create",
        {"email": flows.email("walleted"), "wallet_type": "ETH", "include_user": True},
    )
    body = expect.ok(created)
    user_id = str(body.get("user_id", ""))
    flows.remember(user_id)
    got_user = api.get(f"/v1/auth/users/{user_id}")
    wallets = expect.field(got_user, "wallets")
    expect.true(len(wallets) == 1, "one wallet", f"{len(wallets)} wallets", got_user)
    wallet = wallets[0]
    got = api.get(GET + str(wallet.get("id")))
    expect.equal(
        "public_address", wallet.get("public_address"), expect.ok(got).get("public_address")
    )
    again, same = _create(api, flows, expect, "ETH", user_id)
    expect.equal("id", wallet.get("id"), same.get("id"), again)


@pytest.mark.rule(
    "M9: GetWalletBalance answers a decimal string with the wallet, 0 before any funds",
    source=sources.GET_WALLET_BALANCE,
)
@pytest.mark.decision("M9")
def test_balance_is_a_decimal_string(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """``{balance: "0", token_symbol, wallet}`` for a new wallet."""
    _, made = _create(api, flows, expect, "ETH")
    asked = api.post(BALANCE, {"wallet_id": made["id"], "token_symbol": "MATIC"})
    body = expect.ok(asked)
    balance = body.get("balance")
    expect.true(
        isinstance(balance, str) and DECIMAL.fullmatch(balance) is not None,
        "balance a decimal string",
        repr(balance),
        asked,
    )
    expect.equal("balance", "0", balance, asked)
    expect.equal("token_symbol", "MATIC", body.get("token_symbol"), asked)
    expect.equal("wallet.id", made["id"], (body.get("wallet") or {}).get("id"), asked)


@pytest.mark.rule(
    "M14: the balance the control sets is answered exactly (decimal, never a float)",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.needs_control("wallets")
def test_balance_set_by_the_control(
    target: Target, api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """14.8232 ETH and 0.1 USDC come back as set; ``ethereum`` reads the ETH balance."""
    _, made = _create(api, flows, expect, "ETH")
    target.control.set_balance(str(made["id"]), "ETH", "14.8232")
    target.control.set_balance(str(made["id"]), "USDC", "0.10")
    for token, wanted in [("ETH", "14.8232"), ("ethereum", "14.8232"), ("USDC", "0.10")]:
        asked = api.post(BALANCE, {"wallet_id": made["id"], "token_symbol": token})
        expect.equal(f"balance of {token}", wanted, expect.ok(asked).get("balance"), asked)


@pytest.mark.rule(
    "M8: a token that does not suit the wallet → 400 invalid_token_symbol",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M8")
@pytest.mark.parametrize(("wallet_type", "token"), [("ETH", "SOL"), ("SOL", "MATIC")])
def test_balance_of_a_foreign_token(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str, token: str
) -> None:
    """§5.3: MATIC, AVAX and ETH go with an ETH wallet; SOL does not."""
    _, made = _create(api, flows, expect, wallet_type)
    refused = api.post(BALANCE, {"wallet_id": made["id"], "token_symbol": token})
    body = expect.error(refused, 400, "invalid_token_symbol")
    expect.true(
        "token_symbol" in str(body.get("error_message")),
        "the message names token_symbol",
        repr(body.get("error_message")),
        refused,
    )


@pytest.mark.rule(
    "M13: GetWalletBalance of an unknown wallet → 404 wallet_not_found",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M13")
def test_balance_of_an_unknown_wallet(api: ApiClient, expect: Expect) -> None:
    """An id no wallet of the app has."""
    body = {"wallet_id": "wallet_2Cu2uYcbwY9kcAFe2zd0P0SHftK", "token_symbol": "ETH"}
    expect.error(api.post(BALANCE, body), 404, "wallet_not_found")


@pytest.mark.rule(
    "M12: Bump's /v1/auth/wallets/ paths serve the same operations",
    source=sources.MANAGED_WALLETS_DECISIONS,
)
@pytest.mark.decision("M12")
def test_auth_prefixed_paths(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """CreateWallet, GetWallet and GetWalletBalance under ``/v1/auth/wallets/``."""
    user_id = flows.create_user()
    made = api.post("/v1/auth/wallets/create", {"user_id": user_id, "wallet_type": "XLM"})
    body = expect.ok(made)
    _, direct = _create(api, flows, expect, "XLM", user_id)
    expect.equal("id", direct["id"], body.get("id"), made)
    got = api.get(f"/v1/auth/wallets/{direct['id']}")
    expect.equal("id", direct["id"], expect.ok(got).get("id"), got)
    asked = api.post("/v1/auth/wallets/balance", {"wallet_id": direct["id"], "token_symbol": "XLM"})
    expect.equal("balance", "0", expect.ok(asked).get("balance"), asked)
