"""Wallets login: challenges, signatures, Sign-In with Ethereum/Solana, unlinking.

The suite holds the wallet keys (``conformance.wallet.MockWallet``), so these rules run against
any deployment. Sources (public pages):

- https://docs.streambird.io/api-reference/wallets-login/begin-wallet-registration
- https://docs.streambird.io/api-reference/wallets-login/verify-wallet-beta
- https://docs.streambird.io/api-reference/wallets-login/get-wallet-registration-nonce
- https://docs.streambird.io/api-reference/wallets-login/verify-siwe-wallet-registration.md
- https://developers.streambird.io/operation/operation-deleteuserwallet
- https://eips.ethereum.org/EIPS/eip-4361 (EIP-4361); decisions D21 and docs/decisions.md W1-W9.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import sources
from conformance.client import ApiClient, Exchange
from conformance.expect import Expect
from conformance.flows import Flows
from conformance.target import Target
from conformance.timing import TimeTravel
from conformance.wallet import MockWallet

BEGIN = "/v1/auth/wallets/registrations/begin"
VERIFY = "/v1/auth/wallets/verify"
NONCE = "/v1/auth/wallets/registrations/nonce"
SIWE = "/v1/auth/wallets/siwe/verify"
CHANNELS = {"ethereum": "eth_wallet", "solana": "sol_wallet"}
MINUTE = 60
CHALLENGE_MINUTES = 10


def _begin(api: ApiClient, flows: Flows, expect: Expect, wallet: MockWallet) -> dict[str, Any]:
    begun = api.post(BEGIN, {"wallet_type": wallet.wallet_type, "public_address": wallet.address})
    body = expect.ok(begun)
    flows.remember(str(body.get("user_id", "")))
    return body


def _verify(api: ApiClient, wallet: MockWallet, signature: str, **extra: Any) -> Exchange:
    body = {"wallet_type": wallet.wallet_type, "public_address": wallet.address}
    return api.post(VERIFY, {**body, "signature": signature, **extra})


def _nonce(api: ApiClient, flows: Flows, expect: Expect, wallet: MockWallet) -> str:
    made = api.post(NONCE, {"wallet_type": wallet.wallet_type, "public_address": wallet.address})
    body = expect.ok(made)
    flows.remember(str(body.get("user_id", "")))
    return str(expect.field(made, "nonce"))


def _siwe(api: ApiClient, wallet: MockWallet, message: str, **extra: Any) -> Exchange:
    body = {"siwe_challenge": message, "signature": wallet.sign(message)}
    return api.post(SIWE, {**body, **extra})


def _check_wallet_session(
    expect: Expect, api: ApiClient, verified: Exchange, wallet: MockWallet
) -> None:
    body = expect.ok(verified)
    factors = expect.field(verified, "session", "factors")
    channels = [f.get("delivery_channel") for f in factors if isinstance(f, dict)]
    expect.true(
        CHANNELS[wallet.chain] in channels,
        f"a {CHANNELS[wallet.chain]} factor on the session",
        f"factors {channels}",
        verified,
    )
    checked = api.post("/v1/auth/sessions/verify", {"session_token": body.get("session_token")})
    expect.ok(checked)


@pytest.mark.rule(
    "W1: Begin answers a walletrr_ challenge, the ETH address lower-case",
    source=sources.BEGIN_WALLET_REGISTRATION,
)
def test_begin_wallet_registration_answers_a_challenge(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``id`` ``walletrr_…``, ``public_address`` lower-case, ``challenge`` ``Login for …: …``."""
    wallet = MockWallet("ethereum", wallet_type="ETH")
    begun = api.post(BEGIN, {"wallet_type": "ETH", "public_address": wallet.address})
    body = expect.ok(begun)
    flows.remember(str(body.get("user_id", "")))
    expect.true(
        str(body.get("id", "")).startswith("walletrr_"), "id walletrr_…", repr(body.get("id"))
    )
    expect.equal("public_address", wallet.address.lower(), body.get("public_address"), begun)
    challenge = str(body.get("challenge", ""))
    expect.true(
        re.fullmatch(r"Login for .+: \S{8,}", challenge) is not None,
        "challenge 'Login for <app name>: <random>'",
        repr(challenge),
        begun,
    )


@pytest.mark.rule(
    "D21, W9: an EIP-191 signature of the challenge logs in with eth_wallet",
    source=sources.VERIFY_WALLET,
)
@pytest.mark.parametrize("wallet_type", ["ETH", "ethereum"])
def test_verify_wallet_ethereum_logs_in(
    api: ApiClient, flows: Flows, expect: Expect, wallet_type: str
) -> None:
    """personal_sign over the exact challenge, 65-byte 0x hex; a session with the factor."""
    wallet = MockWallet("ethereum", wallet_type=wallet_type)
    challenge = str(_begin(api, flows, expect, wallet)["challenge"])
    verified = _verify(api, wallet, wallet.sign(challenge), session_expires_in=30)
    _check_wallet_session(expect, api, verified, wallet)
    expect.equal("public_address", wallet.address.lower(), verified.json.get("public_address"))
    expect.equal("is_read_only", True, verified.json.get("is_read_only"), verified)


@pytest.mark.rule(
    "D21, W9: an ed25519 signature (base58 or base64) logs in with sol_wallet",
    source=sources.VERIFY_WALLET,
)
@pytest.mark.parametrize("encoding", ["base58", "base64"])
def test_verify_wallet_solana_logs_in(
    api: ApiClient, flows: Flows, expect: Expect, encoding: str
) -> None:
    """ed25519 over the UTF-8 challenge; a session with the ``sol_wallet`` factor."""
    wallet = MockWallet("solana", wallet_type="SOL")
    challenge = str(_begin(api, flows, expect, wallet)["challenge"])
    signature = wallet.sign(challenge, encoding=encoding)
    _check_wallet_session(
        expect, api, _verify(api, wallet, signature, session_expires_in=30), wallet
    )


@pytest.mark.rule(
    "D21 / W1: a challenge is consumed by its first success (no replay)",
    source=sources.WALLETS_DECISIONS,
)
def test_verify_wallet_replay_is_refused(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The same signed challenge a second time → 400 ``invalid_wallet_challenge``."""
    wallet = MockWallet("ethereum")
    signature = wallet.sign(str(_begin(api, flows, expect, wallet)["challenge"]))
    expect.ok(_verify(api, wallet, signature))
    expect.error(_verify(api, wallet, signature), 400, "invalid_wallet_challenge")


@pytest.mark.rule(
    "D21 / W9: a signature by another key is refused; the challenge stays usable",
    source=sources.WALLETS_DECISIONS,
)
@pytest.mark.parametrize("chain", ["ethereum", "solana"])
def test_verify_wallet_wrong_key_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, chain: str
) -> None:
    """Another key's signature of the right challenge → 400 ``invalid_wallet_signature``."""
    wallet, stranger = MockWallet(chain), MockWallet(chain)
    challenge = str(_begin(api, flows, expect, wallet)["challenge"])
    expect.error(_verify(api, wallet, stranger.sign(challenge)), 400, "invalid_wallet_signature")
    expect.ok(_verify(api, wallet, wallet.sign(challenge)))


@pytest.mark.rule(
    "D21 / W1: a wallet challenge expires after 10 minutes", source=sources.WALLETS_DECISIONS
)
@pytest.mark.time_dependent
def test_verify_wallet_expired_challenge_is_refused(
    api: ApiClient, flows: Flows, expect: Expect, travel: TimeTravel
) -> None:
    """Signed in time but sent at ``created_at`` + 10 min → 400 ``wallet_challenge_expired``."""
    wallet = MockWallet("solana")
    begun = _begin(api, flows, expect, wallet)
    signature = wallet.sign(str(begun["challenge"]))
    travel.at(float(begun["created_at"]) + CHALLENGE_MINUTES * MINUTE)
    expect.error(_verify(api, wallet, signature), 400, "wallet_challenge_expired")


@pytest.mark.rule(
    "W2 / EIP-4361: the SIWE nonce is alphanumeric, at least 8 characters",
    source=sources.WALLETS_DECISIONS,
)
def test_get_wallet_registration_nonce_is_eip4361(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``nonce`` matches ``[A-Za-z0-9]{8,}`` so strict SIWE parsers accept it."""
    nonce = _nonce(api, flows, expect, MockWallet("ethereum"))
    expect.true(bool(re.fullmatch(r"[A-Za-z0-9]{8,}", nonce)), "an EIP-4361 nonce", repr(nonce))


@pytest.mark.rule(
    "VerifySiweWalletRegistration: a signed SIWE (or SIWS) message with the nonce logs in",
    source=sources.VERIFY_SIWE_WALLET_REGISTRATION,
)
@pytest.mark.parametrize("chain", ["ethereum", "solana"])
def test_verify_siwe_logs_in(api: ApiClient, flows: Flows, expect: Expect, chain: str) -> None:
    """EIP-4361 message (Solana variant: no Chain ID), signed; a session with the factor."""
    wallet = MockWallet(chain)
    nonce = _nonce(api, flows, expect, wallet)
    issued = _begin_time(api)
    message = wallet.siwe_message(nonce, issued_at=issued)
    _check_wallet_session(expect, api, _siwe(api, wallet, message, session_expires_in=30), wallet)


@pytest.mark.rule("EIP-4361 / W1: a SIWE nonce is used once", source=sources.WALLETS_DECISIONS)
def test_verify_siwe_nonce_replay_is_refused(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The same signed message a second time → 400 ``invalid_wallet_challenge``."""
    wallet = MockWallet("ethereum")
    message = wallet.siwe_message(_nonce(api, flows, expect, wallet), issued_at=_begin_time(api))
    expect.ok(_siwe(api, wallet, message))
    expect.error(_siwe(api, wallet, message), 400, "invalid_wallet_challenge")


@pytest.mark.rule(
    "EIP-4361 / W5: a message with another nonce than the pending one is refused",
    source=sources.WALLETS_DECISIONS,
)
def test_verify_siwe_wrong_nonce_is_refused(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """A well-formed nonce the server did not issue → 400 ``invalid_wallet_challenge``."""
    wallet = MockWallet("solana")
    _nonce(api, flows, expect, wallet)
    message = wallet.siwe_message("notTheIssuedNonce123", issued_at=_begin_time(api))
    expect.error(_siwe(api, wallet, message), 400, "invalid_wallet_challenge")


@pytest.mark.rule(
    "EIP-4361 / W5: a message past its Expiration Time is refused",
    source=sources.WALLETS_DECISIONS,
)
def test_verify_siwe_expired_message_is_refused(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """``Expiration Time`` a minute before the server's now → 400 ``siwe_message_expired``."""
    wallet = MockWallet("ethereum")
    nonce = _nonce(api, flows, expect, wallet)
    now = _begin_time(api)
    message = wallet.siwe_message(nonce, issued_at=now - 120, expiration_time=now - 60)
    expect.error(_siwe(api, wallet, message), 400, "siwe_message_expired")


@pytest.mark.rule(
    "EIP-4361 / W9: a SIWE message signed by another key is refused",
    source=sources.WALLETS_DECISIONS,
)
def test_verify_siwe_wrong_key_is_refused(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """The message names the wallet but another key signed it → 400 ``invalid_wallet_signature``."""
    wallet = MockWallet("ethereum")
    message = wallet.siwe_message(_nonce(api, flows, expect, wallet), issued_at=_begin_time(api))
    forged = api.post(SIWE, {"siwe_challenge": message, "signature": MockWallet().sign(message)})
    expect.error(forged, 400, "invalid_wallet_signature")


@pytest.mark.rule(
    "W8: DeleteUserWallet unlinks a wallet linked by VerifyWallet",
    source=sources.DELETE_USER_WALLET,
)
def test_delete_user_wallet_unlinks(api: ApiClient, flows: Flows, expect: Expect) -> None:
    """200 ``{user_id, message}``; the user no longer lists the wallet."""
    wallet = MockWallet("ethereum")
    challenge = str(_begin(api, flows, expect, wallet)["challenge"])
    linked = expect.ok(_verify(api, wallet, wallet.sign(challenge)))
    wallet_id, user_id = str(linked.get("id")), str(linked.get("user_id"))
    deleted = api.delete(f"/v1/auth/users/wallets/{wallet_id}/delete")
    expect.equal("user_id", user_id, expect.ok(deleted).get("user_id"), deleted)
    user = api.get(f"/v1/auth/users/{user_id}")
    ids = [w.get("id") for w in expect.ok(user).get("wallets", [])]
    expect.true(wallet_id not in ids, f"{wallet_id} gone from user.wallets", f"wallets {ids}", user)


@pytest.mark.rule(
    "EIP-4361 / W5: a SIWE message for a domain the app does not allow is refused",
    source=sources.EIP_4361,
)
@pytest.mark.needs_control("apps")
def test_verify_siwe_other_domain_is_refused(target: Target, expect: Expect) -> None:
    """EIP-4361's phishing defence: the app allows ``localhost``; ``evil.example`` → 400.

    An app of its own (``siwe_domains: [localhost]``); the allowed domain still logs in.
    """
    app = target.control.create_app(siwe_domains=["localhost"])
    keys = app.get("secret_keys") or [app.get("secret_key")]
    client = target.client(str(keys[0]))
    try:
        wallet = MockWallet("ethereum")
        for domain, allowed in (("evil.example", False), ("localhost", True)):
            made = client.post(NONCE, {"wallet_type": "ethereum", "public_address": wallet.address})
            nonce = str(expect.field(made, "nonce"))
            message = wallet.siwe_message(nonce, domain=domain, issued_at=_begin_time(client))
            verified = _siwe(client, wallet, message)
            if allowed:
                expect.ok(verified)
            else:
                expect.error(verified, 400, "invalid_siwe_message")
    finally:
        client.close()
        target.control.delete_app(str(app["app_id"]))


@pytest.mark.rule(
    "W6 (the fake's choice): a wallet verify without session_expires_in issues no session",
    source=sources.WALLETS_DECISIONS,
)
@pytest.mark.decision("W6")
def test_verify_wallet_without_session_request(
    api: ApiClient, flows: Flows, expect: Expect
) -> None:
    """No ``session_expires_in`` nor session credential: ``session_token: ""``, no session."""
    wallet = MockWallet("ethereum")
    challenge = str(_begin(api, flows, expect, wallet)["challenge"])
    verified = _verify(api, wallet, wallet.sign(challenge))
    body = expect.ok(verified)
    expect.equal("session_token", "", body.get("session_token"), verified)
    expect.equal("session", None, body.get("session"), verified)


def _begin_time(api: ApiClient) -> float:
    """The target's time (SIWE times must be on its clock, W5)."""
    stamp = api.get("/v1/auth/jwks/default").server_now()
    if stamp is None:
        raise RuntimeError("the target's responses carry no Date header to read its time")
    return stamp
