"""Immutable records of the fake's state and their JSON forms.

Records are frozen: code builds a changed copy with :func:`dataclasses.replace` and puts it
back into the store. Timestamps are whole unix seconds, as the API shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

DEFAULT_SESSION_MINUTES = 10_080
DEFAULT_JWT_TTL_SECONDS = 300
DEFAULT_OTP_LENGTH = 6
DEFAULT_OTP_EXPIRY_MINUTES = 1
DEFAULT_OTP_MAX_ATTEMPTS = 5
DEFAULT_MAGIC_LINK_MINUTES = 60
DEFAULT_WALLET_CHALLENGE_MINUTES = 10
# Transfers (decisions M41-M43): a fixed network fee per currency plus a rate (none by default).
DEFAULT_TRANSFER_FEES: tuple[tuple[str, str], ...] = (
    ("AVAX", "0.01"),
    ("BTC", "0.0001"),
    ("DOT", "0.01"),
    ("ETH", "0.1"),
    ("MATIC", "0.01"),
    ("SOL", "0.000005"),
    ("XLM", "0.00001"),
)
DEFAULT_TRANSFER_FEE_RATE = "0"
DEFAULT_TRANSFER_SETTLE_SECONDS = 10


@dataclass(frozen=True, slots=True)
class App:
    """A tenant: its keys and its settings (decisions D2, D11, D17, D18).

    ``default_session_minutes`` None is the API reference's behaviour: an auth verify without
    ``session_expires_in`` creates no session.
    """

    app_id: str
    secret_keys: tuple[str, ...]
    public_token: str
    name: str = "Default app"
    default_session_minutes: int | None = DEFAULT_SESSION_MINUTES
    jwt_ttl_seconds: int = DEFAULT_JWT_TTL_SECONDS
    otp_length: int = DEFAULT_OTP_LENGTH
    otp_expiry_minutes: int = DEFAULT_OTP_EXPIRY_MINUTES
    otp_max_attempts: int = DEFAULT_OTP_MAX_ATTEMPTS
    magic_link_minutes: int = DEFAULT_MAGIC_LINK_MINUTES
    default_redirect_url: str | None = None
    created_at: int = 0
    wallet_challenge_minutes: int = DEFAULT_WALLET_CHALLENGE_MINUTES
    siwe_domains: tuple[str, ...] = ()
    transfer_fees: tuple[tuple[str, str], ...] = DEFAULT_TRANSFER_FEES
    transfer_fee_rate: str = DEFAULT_TRANSFER_FEE_RATE
    transfer_settle_seconds: int = DEFAULT_TRANSFER_SETTLE_SECONDS
    transfer_outcome: str = "completed"

    def to_json(self) -> Json:
        """The control API's view of the app (keys included: it is a test fake)."""
        return {
            "app_id": self.app_id,
            "name": self.name,
            "secret_keys": list(self.secret_keys),
            "secret_key": self.secret_keys[0] if self.secret_keys else "",
            "public_token": self.public_token,
            "default_session_minutes": self.default_session_minutes,
            "jwt_ttl_seconds": self.jwt_ttl_seconds,
            "otp_length": self.otp_length,
            "otp_expiry_minutes": self.otp_expiry_minutes,
            "otp_max_attempts": self.otp_max_attempts,
            "magic_link_minutes": self.magic_link_minutes,
            "default_redirect_url": self.default_redirect_url,
            "created_at": self.created_at,
            "wallet_challenge_minutes": self.wallet_challenge_minutes,
            "siwe_domains": list(self.siwe_domains),
            "transfer_fees": dict(self.transfer_fees),
            "transfer_fee_rate": self.transfer_fee_rate,
            "transfer_settle_seconds": self.transfer_settle_seconds,
            "transfer_outcome": self.transfer_outcome,
        }


@dataclass(frozen=True, slots=True)
class Email:
    """An email address of a user."""

    id: str
    email: str
    verified: bool
    created_at: int
    updated_at: int

    def to_json(self) -> Json:
        """Reference §10.4 ``emails[]`` item."""
        return {
            "id": self.id,
            "email": self.email,
            "verified": self.verified,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number (E.164) of a user."""

    id: str
    phone_number: str
    verified: bool
    created_at: int
    updated_at: int

    def to_json(self) -> Json:
        """Reference §10.4 ``phone_numbers[]`` item."""
        return {
            "id": self.id,
            "phone_number": self.phone_number,
            "verified": self.verified,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class IdpLink:
    """An identity-provider account linked to a user (OAuth)."""

    id: str
    provider: str
    provider_subject: str
    created_at: int
    updated_at: int

    def to_json(self) -> Json:
        """Reference §10.4 ``idp_providers[]`` item."""
        return {
            "id": self.id,
            "provider": self.provider,
            "provider_subject": self.provider_subject,
            "idp_type": "oauth",
            "method_id": self.id,
            "method_type": "oauth",
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


CHAINS = {
    "ETH": "ethereum",
    "ethereum": "ethereum",
    "SOL": "solana",
    "solana": "solana",
    "BTC": "bitcoin",
    "bitcoin": "bitcoin",
    "DOT": "polkadot",
    "XLM": "stellar",
}
"""Every ``wallet_type`` of either era and its chain (Reference-more §5: Bump's ``ETH, SOL,
BTC, DOT, XLM``, later pages' ``ethereum, solana, bitcoin, DOT, XLM``)."""


def chain_of(wallet_type: str) -> str:
    """The chain a ``wallet_type`` names in either era (``ETH`` and ``ethereum`` → ethereum)."""
    return CHAINS.get(wallet_type, wallet_type.lower())


@dataclass(frozen=True, slots=True)
class Wallet:
    """A wallet of a user: a managed one (CreateWallet, CreateUser's ``wallet_type``, an
    import; its key is a :class:`WalletKey`, ``wallet_pk_id`` names it), or an external wallet
    linked by VerifyWallet or SIWE (read-only, imported, not default, no key; §12.1)."""

    id: str
    public_address: str
    wallet_type: str
    created_at: int
    verified: bool = False
    is_default: bool = True
    is_read_only: bool = False
    is_imported: bool = False
    updated_at: int = 0
    wallet_pk_id: str | None = None
    account_index: int | None = None
    delegated: bool = False

    @property
    def managed(self) -> bool:
        """Whether the fake holds this wallet's key (a ``walletpk_…`` record)."""
        return self.wallet_pk_id is not None

    @property
    def address_key(self) -> str:
        """The store's index key: chain and address (one owner per address, §4)."""
        return f"{chain_of(self.wallet_type)}:{self.public_address}"

    def to_json(self, app_id: str, user_id: str) -> Json:
        """The §12.1 Wallet superset in the published key order (both eras' fields, M2)."""
        return {
            "id": self.id,
            "app_id": app_id,
            "user_id": user_id,
            "public_address": self.public_address,
            "wallet_type": self.wallet_type,
            "wallet_client_type": None,
            "wallet_pk_id": self.wallet_pk_id,
            "verified": self.verified,
            "is_default": self.is_default,
            "is_read_only": self.is_read_only,
            "is_imported": self.is_imported,
            "delegated": self.delegated,
            "account_index": self.account_index,
            "updated_at": self.updated_at or self.created_at,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class WalletKey:
    """The private key of a managed wallet (M3): never in an API answer, the journal or the
    outbox; only the state export carries it.

    ``secret_hex``: ethereum and bitcoin the 32-byte secp256k1 secret, solana, polkadot and
    stellar the 32-byte ed25519 seed, as lower-case hex.
    """

    wallet_id: str
    app_id: str
    user_id: str
    wallet_type: str
    chain: str
    secret_hex: str
    created_at: int

    @property
    def secret(self) -> bytes:
        """The 32 secret bytes."""
        return bytes.fromhex(self.secret_hex)

    def __repr__(self) -> str:
        """Without the secret (a log line or a traceback never shows it)."""
        return f"WalletKey(wallet_id={self.wallet_id!r}, chain={self.chain!r}, secret_hex=…)"


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """One balance of a managed wallet, as the state export lists it (the store keeps text)."""

    app_id: str
    wallet_id: str
    token_symbol: str
    amount: str


@dataclass(frozen=True, slots=True)
class WalletImportKey:
    """A BeginWalletImport key pair waiting for its ImportWallet (§10; decisions M63-M65).

    The X25519 private key (``private_key_hex``) opens the HPKE ciphertext; the begin call's
    wallet fields say which import it serves (ImportWallet's body carries no ``account_index``).
    Used once; dead from ``expires_at`` on. Only the state export carries the private key.
    """

    public_key: str  # base64 of the 32-byte X25519 public key, as BeginWalletImport answered
    app_id: str
    private_key_hex: str
    chain: str
    wallet_type: str
    public_address: str
    entropy_type: str
    account_index: int | None
    created_at: int
    expires_at: int

    def __repr__(self) -> str:
        """Without the private key."""
        return f"WalletImportKey(public_key={self.public_key!r}, private_key_hex=…)"


@dataclass(frozen=True, slots=True)
class Totp:
    """A TOTP authenticator of a user (decisions T1-T6).

    Unverified until a first correct code, which must come before ``expires_at``; a verified
    one never expires. ``last_step`` is the newest 30-second step a code was accepted for (a
    step's code works once); ``used_codes`` are the recovery codes spent.
    """

    id: str
    secret: str
    verified: bool
    created_at: int
    updated_at: int
    expires_at: int
    recovery_codes: tuple[str, ...]
    used_codes: tuple[str, ...] = ()
    last_step: int = -1

    def to_json(self, user_id: str) -> Json:
        """Reference §10.4 ``totps[]`` item."""
        return {
            "id": self.id,
            "user_id": user_id,
            "verified": self.verified,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class Password:
    """A user's password: an argon2id hash only, never the password (decisions T8-T11)."""

    id: str
    hash: str
    created_at: int
    updated_at: int
    failed_attempts: int = 0
    locked_until: int = 0


@dataclass(frozen=True, slots=True)
class WebauthnCredential:
    """A WebAuthn (passkey) public key registered by a user for one relying-party id (A1)."""

    id: str
    credential_id: str
    public_key: str
    domain: str
    authenticator_type: str
    sign_count: int
    created_at: int
    updated_at: int
    attestation_format: str = "none"
    last_used_at: int = 0

    def to_json(self) -> Json:
        """``webauthn_credentials[]`` item (the shape is the fake's choice, A1)."""
        return {
            "id": self.id,
            "webauthn_credential_id": self.id,
            "credential_id": self.credential_id,
            "domain": self.domain,
            "authenticator_type": self.authenticator_type,
            "verified": True,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class WebauthnChallenge:
    """A pending WebAuthn ceremony; ``challenge`` is base64url without padding (single use)."""

    challenge: str
    app_id: str
    user_id: str
    domain: str
    kind: str
    created_at: int
    expires_at: int
    authenticator_type: str = "platform"


@dataclass(frozen=True, slots=True)
class User:
    """A user of one app."""

    user_id: str
    app_id: str
    status: str
    created_at: int
    updated_at: int
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    emails: tuple[Email, ...] = ()
    phone_numbers: tuple[PhoneNumber, ...] = ()
    idp_providers: tuple[IdpLink, ...] = ()
    wallets: tuple[Wallet, ...] = ()
    metadata: tuple[tuple[str, Any], ...] = ()
    totps: tuple[Totp, ...] = ()
    password: Password | None = None
    webauthn_credentials: tuple[WebauthnCredential, ...] = ()

    @property
    def primary_email(self) -> Email | None:
        """The first email, if any."""
        return self.emails[0] if self.emails else None

    @property
    def primary_phone(self) -> PhoneNumber | None:
        """The first phone number, if any."""
        return self.phone_numbers[0] if self.phone_numbers else None

    def to_json(self) -> Json:
        """The reference's User plus the seed's ``id`` and ``email`` (D6)."""
        email, phone = self.primary_email, self.primary_phone
        return {
            "user_id": self.user_id,
            "id": self.user_id,
            "email": email.email if email else "",
            "email_id": email.id if email else "",
            "phone_number": phone.phone_number if phone else "",
            "phone_number_id": phone.id if phone else "",
            "app_id": self.app_id,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "last_name": self.last_name,
            "status": self.status,
            "active": self.status == "active",
            "emails": [e.to_json() for e in self.emails],
            "phone_numbers": [p.to_json() for p in self.phone_numbers],
            "idp_providers": [i.to_json() for i in self.idp_providers],
            "wallets": [w.to_json(self.app_id, self.user_id) for w in self.wallets],
            "totps": [t.to_json(self.user_id) for t in self.totps],
            "has_password": self.password is not None,
            "webauthn_credentials": [c.to_json() for c in self.webauthn_credentials],
            "metadata": dict(self.metadata),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class Factor:
    """How a session was authenticated (reference §10.2, §10.3)."""

    delivery_channel: str
    type: str
    method_id: str
    method_type: str
    last_verified_at: int
    details: tuple[tuple[str, str], ...] = ()

    def same_method(self, other: Factor) -> bool:
        """Whether ``other`` proves the same method (then it refreshes, not adds)."""
        return (self.delivery_channel, self.type, self.method_id) == (
            other.delivery_channel,
            other.type,
            other.method_id,
        )

    def to_json(self) -> Json:
        """Factor with its nested Method."""
        method: Json = {
            "id": self.method_id,
            "method_id": self.method_id,
            "method_type": self.method_type,
            "last_verified_at": self.last_verified_at,
        }
        method.update(self.details)
        return {"delivery_channel": self.delivery_channel, "type": self.type, "method": method}


@dataclass(frozen=True, slots=True)
class Session:
    """A session. Expired when ``expires_at <= now``; deleted sessions leave the store."""

    session_id: str
    app_id: str
    user_id: str
    token: str
    started_at: int
    expires_at: int
    last_active_at: int
    updated_at: int
    created_at: int
    factors: tuple[Factor, ...]
    ip: str = ""
    user_agent: str = ""

    def expired(self, now: float) -> bool:
        """Whether the session is over at unix time ``now``."""
        return self.expires_at <= now

    def to_json(self, *, include_token: bool = True) -> Json:
        """Reference Session plus the seed's ``device_info`` (D8)."""
        body: Json = {"id": self.session_id, "user_id": self.user_id}
        if include_token:
            body["session_token"] = self.token
        body.update(
            {
                "started_at": self.started_at,
                "expires_at": self.expires_at,
                "last_active_at": self.last_active_at,
                "factors": [f.to_json() for f in self.factors],
                "device_fingerprint": {"user_agent": self.user_agent, "ip": self.ip},
                "device_info": {"user_agent": self.user_agent, "ip_address": self.ip},
                "updated_at": self.updated_at,
                "created_at": self.created_at,
            }
        )
        return body


@dataclass(frozen=True, slots=True)
class OtpChallenge:
    """The pending passcode of one email or phone method (one at a time; a new send replaces)."""

    app_id: str
    method_id: str
    user_id: str
    code: str
    created_at: int
    expires_at: int
    attempts: int = 0
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Device:
    """The ``device_fingerprint`` a request carried (empty strings when absent, D8)."""

    ip: str = ""
    user_agent: str = ""

    @classmethod
    def from_body(cls, body: Json) -> Device:
        """Read ``device_fingerprint`` from a validated request body."""
        raw = body.get("device_fingerprint") or {}
        return cls(ip=str(raw.get("ip", "")), user_agent=str(raw.get("user_agent", "")))


@dataclass(frozen=True, slots=True)
class MagicToken:
    """A magic-link token (login, invite or embeddable)."""

    token: str
    app_id: str
    user_id: str
    email_id: str
    kind: str
    created_at: int
    expires_at: int
    request_origin_token: str = ""
    used_at: int = 0
    session_id: str = ""


@dataclass(frozen=True, slots=True)
class OAuthToken:
    """An internal OAuth token handed to the app's redirect URL after consent."""

    token: str
    app_id: str
    user_id: str
    provider: str
    provider_subject: str
    idp_link_id: str
    created_at: int
    expires_at: int
    access_token: str = ""
    refresh_token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    email_id: str = ""
    user_created: bool = False


@dataclass(frozen=True, slots=True)
class OAuthState:
    """A pending OAuth login between begin and the fake MoonKey callback (``state=<provider>-…``).

    The fake provider page fills ``code`` and the identity on consent, or ``error`` on deny.
    """

    state: str
    app_id: str
    provider: str
    redirect_uri: str
    login_redirect_url: str
    registration_redirect_url: str
    created_at: int
    expires_at: int
    code: str = ""
    email: str = ""
    name: str = ""
    provider_subject: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class WalletRegistration:
    """A pending wallet login (``walletrr_…``): a challenge to sign or a SIWE nonce (§4, D21).

    ``chain`` is ``ethereum`` or ``solana`` whatever spelling ``wallet_type`` used; one live
    registration per (kind, chain, address); consumed by its first successful verify.
    """

    id: str
    app_id: str
    user_id: str
    public_address: str
    wallet_type: str
    chain: str
    kind: str
    challenge: str
    created_at: int
    expires_at: int
    user_created: bool = False

    @property
    def key(self) -> str:
        """The store key: one live registration per kind, chain and address."""
        return f"{self.kind}:{self.chain}:{self.public_address}"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Funds sent out of a managed wallet (§9, §12.4; decisions M40-M52).

    ``unconfirmed`` until ConfirmTransfer (before ``expires_at``), then ``pending`` until
    ``settles_at`` on the fake's clock, then ``outcome`` (``completed`` or ``failed``), applied
    when the transfer is next read. ``debited``: the source amount left the balance at confirm
    (only for a transfer bound to complete; a failed one gives it back).
    """

    id: str
    app_id: str
    user_id: str
    status: str
    source: str
    source_amount: str
    dest: str
    dest_amount: str
    dest_currency: str
    source_currency: str
    total_fees: str
    expires_at: int
    created_at: int
    updated_at: int
    token_symbol: str = ""
    custom_id: str | None = None
    notes: str = ""
    blockchain_tx_hash: str = ""
    completed_at: int = 0
    cancelled_at: int = 0
    confirmed_at: int = 0
    settles_at: int = 0
    outcome: str = "completed"
    failure_reason: str = ""
    debited: bool = False

    def to_json(self) -> Json:
        """The §12.4 Transfer in the published key order (amounts as decimal strings)."""
        return {
            "id": self.id,
            "app_id": self.app_id,
            "user_id": self.user_id,
            "status": self.status,
            "source": self.source,
            "source_amount": self.source_amount,
            "dest": self.dest,
            "dest_amount": self.dest_amount,
            "dest_currency": self.dest_currency,
            "source_currency": self.source_currency,
            "custom_id": self.custom_id,
            "total_fees": self.total_fees,
            "notes": self.notes,
            "blockchain_tx_hash": self.blockchain_tx_hash,
            "completed_at": self.completed_at,
            "cancelled_at": self.cancelled_at,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
