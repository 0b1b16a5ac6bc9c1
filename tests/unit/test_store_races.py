"""Two processes on one store racing compound changes (read, decide, write several): each
effect lands exactly once, none is lost or doubled."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import requests

from mock_server.config import DEFAULT_SECRET_KEY
from tests.unit import test_store_processes
from tests.unit.test_cli import TIMEOUT
from tests.unit.test_store_processes import AUTH, RACERS, _outbox, _post, _race
from tests.wallet_keys import EthKey, siwe_message

Pair = tuple[str, str]
Call = tuple[str, str, dict[str, Any]]  # method, path, body
pair = test_store_processes.pair  # assigned, not imported: each test's argument shadows it (F811)
LOGIN_OR_CREATE = "/v1/auth/otps/email/login_or_create"
ROUNDS = 4  # a race lost in one round is likely caught in another
ATTEMPTS_LEFT = re.compile(r"\((\d+) attempts left\)")


def _race_each(bases: Pair, calls: Sequence[Call]) -> list[requests.Response]:
    """Every call at once, alternating between the processes; their responses in order."""
    start = threading.Barrier(len(calls))

    def call(n: int) -> requests.Response:
        method, path, body = calls[n]
        start.wait(timeout=TIMEOUT)
        url = bases[n % 2] + path
        return requests.request(method, url, json=body, headers=AUTH, timeout=TIMEOUT)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, range(len(calls))))


def _get(base: str, path: str, **params: str) -> Any:
    found = requests.get(base + path, params=params, headers=AUTH, timeout=TIMEOUT)
    assert found.status_code == 200, found.text
    return found.json()


def _ok(base: str, path: str, body: dict[str, Any]) -> Any:
    made = requests.post(base + path, json=body, headers=AUTH, timeout=TIMEOUT)
    assert made.status_code == 200, made.text
    return made.json()


def _sessions(base: str, user_id: str) -> list[Any]:
    return list(_get(base, "/v1/auth/sessions/list", user_id=user_id)["sessions"])


def _spent_once(statuses: list[int]) -> None:
    assert statuses.count(200) == 1, str(statuses)
    assert all(400 <= status < 500 for status in statuses if status != 200), str(statuses)


def test_login_or_create_raced_makes_one_user(pair: Pair) -> None:
    for n in range(ROUNDS):
        email = f"new{n}@x.test"
        statuses = _race(pair, LOGIN_OR_CREATE, {"email": email})
        assert statuses == [200] * RACERS, str(statuses)
        for base in pair:
            found = _get(base, "/_mock/users", q=email)
            assert found["total"] == 1, f"{statuses} {found}"
        messages = _get(pair[0], "/_mock/outbox", to=email)["messages"]
        assert len(messages) == RACERS, str(statuses)
        user_ids = {m["user_id"] for m in messages}
        assert user_ids == {found["users"][0]["user_id"]}, f"{statuses} {user_ids}"
        journal = {"operation_id": "LoginOrCreateUserByEmailOtp", "count": "true"}
        logged = _get(pair[1], "/_mock/requests", **journal)["count"]
        assert logged == RACERS * (n + 1), f"{statuses} {logged}"


def _max_attempts(base: str) -> int:
    """The default app's ``otp_max_attempts``."""
    apps = _get(base, "/_mock/apps")["apps"]
    return int(next(a for a in apps if a["secret_key"] == DEFAULT_SECRET_KEY)["otp_max_attempts"])


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))


def test_wrong_passcodes_raced_are_each_counted_once(pair: Pair) -> None:
    limit = _max_attempts(pair[0])
    for n in range(ROUNDS):
        _guess_wrong(pair, f"guess{n}@x.test", limit)


def _guess_wrong(pair: Pair, email: str, limit: int) -> None:
    """RACERS wrong codes at once: ``limit - 1`` say how many tries are left, each counted once;
    the rest are refused as too many, and then so is the right code."""
    a, b = pair
    assert _post(a, LOGIN_OR_CREATE, {"email": email}).ok
    code = _outbox(b, email)["code"]
    wrong = {"email": email, "code": _wrong(code)}
    replies = _race_each(pair, [("POST", "/v1/auth/otps/verify", wrong)] * RACERS)
    statuses = [r.status_code for r in replies]
    assert set(statuses) <= {400, 429}, str(statuses)
    invalid = [r.json()["error_message"] for r in replies if r.status_code == 400]
    left = sorted(int(ATTEMPTS_LEFT.findall(m)[0]) for m in invalid)
    assert left == list(range(1, limit)), f"{statuses} {invalid}"
    kinds = {r.json()["error_type"] for r in replies if r.status_code != 400}
    assert statuses.count(429) == RACERS - limit + 1, str(statuses)
    assert kinds == {"too_many_attempts"}, str(statuses)
    right = _post(b, "/v1/auth/otps/verify", {"email": email, "code": code})
    assert right.status_code == 429, f"{statuses} {right.text}"


def test_user_updates_raced_keep_every_email_and_key(pair: Pair) -> None:
    a, b = pair
    user_id = _ok(a, "/v1/auth/users/create", {"email": "edit@x.test"})["user_id"]
    emails = [f"edit{n}@x.test" for n in range(RACERS)]
    calls: list[Call] = [
        (
            "PUT",
            f"/v1/auth/users/{user_id}/update",
            {"emails": [{"email": email}], "metadata": {f"k{n}": n}},
        )
        for n, email in enumerate(emails)
    ]
    statuses = [r.status_code for r in _race_each(pair, calls)]
    assert statuses == [200] * RACERS, str(statuses)
    user = _get(b, f"/v1/auth/users/{user_id}")
    held = sorted(e["email"] for e in user["emails"])
    assert held == sorted(["edit@x.test", *emails]), f"{statuses} {held}"
    assert user["metadata"] == {f"k{n}": n for n in range(RACERS)}, str(statuses)
    for n, email in enumerate(emails):
        sent = _ok(pair[n % 2], "/v1/auth/otps/email/send", {"email": email})
        assert sent["user_id"] == user_id, f"{statuses} {email}"


def _logs_in_once(pair: Pair, path: str, body: dict[str, Any], user_id: str) -> None:
    """``body`` raced to ``path``: one login, one wallet linked, one session."""
    statuses = [r.status_code for r in _race_each(pair, [("POST", path, body)] * RACERS)]
    _spent_once(statuses)
    wallets = _get(pair[1], f"/v1/auth/users/{user_id}")["wallets"]
    assert len(wallets) == 1, f"{statuses} {wallets}"
    assert len(_sessions(pair[0], user_id)) == 1, str(statuses)


def test_wallet_challenge_raced_logs_in_once(pair: Pair) -> None:
    for n in range(ROUNDS):
        key = EthKey()
        wallet = {"wallet_type": "ETH", "public_address": key.address}
        begun = _ok(pair[n % 2], "/v1/auth/wallets/registrations/begin", wallet)
        body = {**wallet, "signature": key.sign(begun["challenge"]), "session_expires_in": 60}
        _logs_in_once(pair, "/v1/auth/wallets/verify", body, begun["user_id"])


def test_siwe_nonce_raced_logs_in_once(pair: Pair) -> None:
    for n in range(ROUNDS):
        key = EthKey()
        wallet = {"wallet_type": "ethereum", "public_address": key.address}
        begun = _ok(pair[n % 2], "/v1/auth/wallets/registrations/nonce", wallet)
        now = _get(pair[0], "/_mock/clock")["now"]
        message = siwe_message(key.address, begun["nonce"], now)
        body = {"siwe_challenge": message, "signature": key.sign(message), "session_expires_in": 60}
        _logs_in_once(pair, "/v1/auth/wallets/siwe/verify", body, begun["user_id"])


def test_oauth_token_raced_is_redeemed_once(pair: Pair) -> None:
    for n in range(ROUNDS):
        identity = {"provider": "google", "email": f"o{n}@x.test"}
        minted = _ok(pair[n % 2], "/_mock/oauth/tokens", identity)
        statuses = _race(pair, "/v1/auth/oauth/verify", {"token": minted["token"]})
        _spent_once(statuses)
        assert len(_sessions(pair[1], minted["user_id"])) == 1, str(statuses)


def test_managed_wallet_create_raced_makes_one_wallet(pair: Pair) -> None:
    for n in range(ROUNDS):
        user_id = _ok(pair[n % 2], "/v1/auth/users/create", {"email": f"mw{n}@x.test"})["user_id"]
        body = {"user_id": user_id, "wallet_type": "ETH"}
        replies = _race_each(pair, [("POST", "/v1/wallets/create", body)] * RACERS)
        statuses = [r.status_code for r in replies]
        assert statuses == [200] * RACERS, str(statuses)
        assert len({r.json()["id"] for r in replies}) == 1, str(statuses)
        assert len(_get(pair[1], f"/v1/auth/users/{user_id}")["wallets"]) == 1, str(statuses)


def _funded_wallet(base: str, email: str, balance: Decimal) -> str:
    """A new user's managed ETH wallet holding ``balance`` ETH."""
    user_id = _ok(base, "/v1/auth/users/create", {"email": email})["user_id"]
    made = _ok(base, "/v1/wallets/create", {"user_id": user_id, "wallet_type": "ETH"})
    funds = {"wallet_id": made["id"], "token_symbol": "ETH", "balance": str(balance)}
    _ok(base, "/_mock/wallets/balance", funds)
    return str(made["id"])


def _balance(base: str, wallet_id: str) -> Decimal:
    held = _ok(base, "/v1/wallets/balance", {"wallet_id": wallet_id, "token_symbol": "ETH"})
    return Decimal(held["balance"])


def _transfers(pair: Pair, wallet_id: str) -> list[Call]:
    """RACERS new 1 ETH transfers out of the wallet (fees included), as their confirm calls."""
    body = {
        "source": wallet_id,
        "dest": "0xb6acedc0cdcab7a4bb6c236976bb7df63bbcd567",
        "source_amount": "1",
        "dest_currency": "ETH",
        "amount_includes_fees": True,
    }
    ids = [_ok(pair[n % 2], "/v1/transfers/create", body)["id"] for n in range(RACERS)]
    return [("POST", f"/v1/transfers/{i}/confirm", {}) for i in ids]


def test_transfer_confirms_raced_debit_exactly_and_never_overdraw(pair: Pair) -> None:
    start, affordable = Decimal(10), 10
    for n in range(ROUNDS):
        wallet_id = _funded_wallet(pair[n % 2], f"pay{n}@x.test", start)
        calls = _transfers(pair, wallet_id)
        replies = _race_each(pair, calls)
        statuses = [r.status_code for r in replies]
        assert sorted(statuses) == [200] * affordable + [400] * (RACERS - affordable), str(statuses)
        refused = {r.json()["error_type"] for r in replies if r.status_code != 200}
        assert refused == {"insufficient_funds"}, str(statuses)
        assert _balance(pair[1], wallet_id) == start - affordable, str(statuses)
        paid = next(call for call, r in zip(calls, replies, strict=True) if r.status_code == 200)
        again = [r.status_code for r in _race_each(pair, [paid] * RACERS)]
        assert again == [409] * RACERS, str(again)
        assert _balance(pair[0], wallet_id) == start - affordable, str(again)
