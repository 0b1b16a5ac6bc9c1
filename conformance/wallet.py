"""A test wallet: a fresh key that signs MoonKey wallet challenges and SIWE/SIWS messages.

Ethereum keys and EIP-191 ``personal_sign`` signatures come from libsecp256k1 (``coincurve``,
Keccak-256 from ``eth-hash``); Solana ed25519 keys and signatures from PyNaCl, addresses and
signatures in base58. The same object
drives the login flows over any MoonKey-compatible API given a ``post`` callable::

    wallet = moonkey_mock.wallet("ethereum")
    tokens = wallet.login()            # begin, sign the challenge, verify: a session

(decisions D21, W1-W9; Reference-more §4).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import base58
import coincurve
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from nacl.signing import SigningKey

from conformance.session_tokens import SessionTokens

Post = Callable[[str, dict[str, Any]], dict[str, Any]]
CHAINS = {"ethereum": "ethereum", "eth": "ethereum", "solana": "solana", "sol": "solana"}
BEGIN = "/v1/auth/wallets/registrations/begin"
VERIFY = "/v1/auth/wallets/verify"
NONCE = "/v1/auth/wallets/registrations/nonce"
SIWE = "/v1/auth/wallets/siwe/verify"


def eip191_digest(message: str) -> bytes:
    """Keccak-256 of ``personal_sign``'s framing (EIP-191 version 0x45) of ``message``.

    Written here, not imported from the fake: the suite talks to the fake over HTTP only.
    """
    data = message.encode("utf-8")
    return bytes(keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data))


def eth_address(public_key: coincurve.PublicKey) -> str:
    """The lower-case 0x address of a secp256k1 key: the last 20 bytes of its Keccak-256."""
    return "0x" + bytes(keccak(public_key.format(compressed=False)[1:]))[-20:].hex()


def rfc3339(unix: float) -> str:
    """``2026-03-01T12:00:00Z``: the time format of SIWE messages."""
    return dt.datetime.fromtimestamp(int(unix), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MockWallet:
    """A wallet with its own private key, for one chain.

    Attributes:
        chain: ``ethereum`` or ``solana``.
        wallet_type: what requests send (``ethereum``/``solana``, or ``ETH``/``SOL`` if asked).
        address: EIP-55 checksummed for Ethereum, base58 for Solana.
        wallet_id: the ``wallet_…`` id after the first successful login, else ``""``.
        last_response: the body of the last successful verify.
    """

    def __init__(
        self,
        chain: str = "ethereum",
        *,
        post: Post | None = None,
        now: Callable[[], float] | None = None,
        wallet_type: str | None = None,
        private_key: bytes | None = None,
    ) -> None:
        normalized = CHAINS.get(chain.lower())
        if normalized is None:
            raise ValueError(f"unknown chain {chain!r}: use 'ethereum' or 'solana'")
        self.chain = normalized
        self.wallet_type = wallet_type or normalized
        self._post = post
        self._now = now
        self.wallet_id = ""
        self.last_response: dict[str, Any] = {}
        if normalized == "ethereum":
            self._eth = coincurve.PrivateKey(private_key) if private_key else coincurve.PrivateKey()
            self.address: str = to_checksum_address(eth_address(self._eth.public_key))
        else:
            self._sol = SigningKey(private_key) if private_key else SigningKey.generate()
            self.address = base58.b58encode(bytes(self._sol.verify_key)).decode()

    # --- signing ------------------------------------------------------------------------------
    def sign(self, message: str, *, encoding: str = "base58") -> str:
        """Sign ``message`` as the wallet app would.

        Ethereum: EIP-191 ``personal_sign``, 0x hex (``v`` 27/28). Solana: ed25519 over the UTF-8
        text, base58 (or ``encoding="base64"``).
        """
        if self.chain == "ethereum":
            signed = self._eth.sign_recoverable(eip191_digest(message), hasher=None)
            return "0x" + (signed[:64] + bytes([signed[64] + 27])).hex()
        signature = self._sol.sign(message.encode("utf-8")).signature
        if encoding == "base64":
            return base64.b64encode(signature).decode()
        return base58.b58encode(signature).decode()

    def siwe_message(
        self,
        nonce: str,
        *,
        domain: str = "localhost",
        uri: str = "http://localhost/",
        statement: str | None = "Sign in with your wallet",
        issued_at: float | None = None,
        expiration_time: float | None = None,
        not_before: float | None = None,
        chain_id: int = 1,
    ) -> str:
        """An EIP-4361 message (the Solana variant for Solana wallets: no Chain ID line).

        Times are unix seconds; ``issued_at`` defaults to the fake's clock when the wallet was
        made by the plugin, else to the local clock.
        """
        account = "Ethereum" if self.chain == "ethereum" else "Solana"
        lines = [f"{domain} wants you to sign in with your {account} account:", self.address, ""]
        lines += [statement, ""] if statement else [""]
        lines += [f"URI: {uri}", "Version: 1"]
        if self.chain == "ethereum":
            lines.append(f"Chain ID: {chain_id}")
        lines += [f"Nonce: {nonce}", f"Issued At: {rfc3339(self._time(issued_at))}"]
        if expiration_time is not None:
            lines.append(f"Expiration Time: {rfc3339(expiration_time)}")
        if not_before is not None:
            lines.append(f"Not Before: {rfc3339(not_before)}")
        return "\n".join(lines)

    # --- flows over the API ---------------------------------------------------------------------
    def begin(self, **extra: Any) -> dict[str, Any]:
        """BeginWalletRegistration for this address (``user_id=`` links to that user)."""
        return self._call(BEGIN, {**self._identity(), **extra})

    def nonce(self, **extra: Any) -> str:
        """GetWalletRegistrationNonce for this address: the nonce to put in a SIWE message."""
        return str(self._call(NONCE, {**self._identity(), **extra})["nonce"])

    def login(
        self, session_expires_in: int | None = 60, *, user_id: str | None = None, **verify: Any
    ) -> SessionTokens:
        """Begin, sign the challenge, VerifyWallet; the session as ``SessionTokens``.

        ``session_expires_in=None`` logs in without a session (unless ``session_token=`` or
        ``session_jwt=`` names one to step up, which ``**verify`` passes on).
        """
        begun = self.begin(**({"user_id": user_id} if user_id else {}))
        body = {**self._identity(), "signature": self.sign(begun["challenge"]), **verify}
        return self._finish(VERIFY, body, session_expires_in)

    def siwe_login(
        self, session_expires_in: int | None = 60, *, user_id: str | None = None, **message: Any
    ) -> SessionTokens:
        """Nonce, SIWE message, sign, VerifySiweWalletRegistration; the session."""
        nonce = self.nonce(**({"user_id": user_id} if user_id else {}))
        text = self.siwe_message(nonce, **message)
        body = {**self._identity(), "siwe_challenge": text, "signature": self.sign(text)}
        return self._finish(SIWE, body, session_expires_in)

    # --- plumbing -------------------------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        return {"wallet_type": self.wallet_type, "public_address": self.address}

    def _time(self, at: float | None) -> float:
        if at is not None:
            return at
        if self._now is not None:
            return self._now()
        return dt.datetime.now(dt.UTC).timestamp()  # noqa: TID251 - no fake clock to ask

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._post is None:
            raise RuntimeError("this wallet has no API to call: make it with moonkey_mock.wallet()")
        return self._post(path, body)

    def _finish(self, path: str, body: dict[str, Any], minutes: int | None) -> SessionTokens:
        if minutes is not None:
            body["session_expires_in"] = minutes
        answer = self._call(path, body)
        self.last_response = answer
        self.wallet_id = str(answer.get("id", ""))
        return SessionTokens.from_body(answer)
