"""API errors and the one envelope renderer (decisions D9).

Code raises an :class:`ApiError` subclass; :func:`mock_server.pipeline.error_reply` renders it.
Class names follow the ``error_type`` they carry (``invalid_session`` -> :class:`InvalidSession`);
``document`` says which document lists it: ``openapi.yaml`` ("api"), ``control/openapi.yaml``
("control") or the fake identity provider's pages ("idp", :mod:`mock_server.idp`). A test checks
every class against its document.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """An error the API answers with; subclasses fix status, code and default message."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    message: ClassVar[str] = "Internal server error"
    document: ClassVar[str] = "api"  # where it is documented: "api", "control" or "idp"

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        self.detail = message or self.message
        self.headers = headers or {}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        """The D9 envelope for this error."""
        return envelope(self.status, self.code, self.detail)


def envelope(status: int, code: str, message: str) -> dict[str, Any]:
    """The flat reference fields plus the seed's nested ``error`` object (D9)."""
    return {
        "status_code": status,
        "error_type": code,
        "error_message": message,
        "error": {"code": code, "message": message},
    }


# --- 400 -------------------------------------------------------------------------------


class ValidationError(ApiError):
    status, code, message = 400, "validation_error", "The request is not valid"


class InvalidJson(ApiError):
    status, code, message = 400, "invalid_json", "The request body is not valid JSON"


class InvalidOtp(ApiError):
    status, code, message = 400, "invalid_otp", "The passcode is not valid"


class OtpExpired(ApiError):
    status, code, message = 400, "otp_expired", "The passcode has expired; send a new one"


class SessionUserMismatch(ApiError):
    status, code = 400, "session_user_mismatch"
    message = "The session belongs to a different user"


class InvalidMagicToken(ApiError):
    status, code = 400, "invalid_magic_token"
    message = "The magic link token is missing, invalid, expired or already used"


class MissingRedirectUrl(ApiError):
    status, code = 400, "missing_redirect_url"
    message = "No redirect URL was given and the app has no default redirect URL"


class UserHasNoEmail(ApiError):
    status, code = 400, "user_has_no_email"
    message = "The user has no email address; a magic link needs one"


class InvalidRequestOriginToken(ApiError):
    status, code = 400, "invalid_request_origin_token"
    message = "The request_origin_token is not valid for this email_id"


class InvalidOauthToken(ApiError):
    status, code = 400, "invalid_oauth_token"
    message = "The OAuth token is invalid, expired or already used"


class InvalidCursor(ApiError):
    status, code, message = 400, "invalid_cursor", "starting_after is not a user of this app"


class InvalidFilter(ApiError):
    status, code, message = 400, "invalid_filter", "The filter is not valid"


# totp/passwords


class InvalidTotp(ApiError):
    status, code, message = 400, "invalid_totp", "The TOTP code is not valid"


class InvalidRecoveryCode(ApiError):
    status, code = 400, "invalid_recovery_code"
    message = "The recovery code is not valid or was already used"


class InvalidPassword(ApiError):
    status, code, message = 400, "invalid_password", "The password is not correct"


class PasswordNotSet(ApiError):
    status, code, message = 400, "password_not_set", "The user has no password"


class WeakPassword(ApiError):
    status, code, message = 400, "weak_password", "The password is too weak"


# webauthn
class InvalidWebauthnChallenge(ApiError):
    status, code = 400, "invalid_webauthn_challenge"
    message = "The WebAuthn challenge is unknown, expired or already used; begin again"


class WebauthnOriginMismatch(ApiError):
    status, code = 400, "webauthn_origin_mismatch"
    message = "The client data origin does not match the relying-party id"


class InvalidWebauthnRegistration(ApiError):
    status, code = 400, "invalid_webauthn_registration"
    message = "The WebAuthn registration could not be verified"


class InvalidWebauthnAuthentication(ApiError):
    status, code = 400, "invalid_webauthn_authentication"
    message = "The WebAuthn assertion could not be verified"


class NoWebauthnCredentials(ApiError):
    status, code = 400, "no_webauthn_credentials"
    message = "The user has no WebAuthn credential for this domain"


# wallets


class InvalidWalletAddress(ApiError):
    status, code = 400, "invalid_wallet_address"
    message = "public_address is not an address of this wallet_type"


class InvalidWalletSignature(ApiError):
    status, code = 400, "invalid_wallet_signature"
    message = "The signature was not made by this wallet's key over the challenge"


class InvalidWalletChallenge(ApiError):
    status, code = 400, "invalid_wallet_challenge"
    message = "No pending challenge for this wallet: begin the registration again"


class WalletChallengeExpired(ApiError):
    status, code = 400, "wallet_challenge_expired"
    message = "The wallet challenge has expired: begin the registration again"


class InvalidSiweMessage(ApiError):
    status, code = 400, "invalid_siwe_message"
    message = "siwe_challenge is not a valid Sign-In with Ethereum/Solana message"


class SiweMessageExpired(ApiError):
    status, code = 400, "siwe_message_expired"
    message = "The SIWE message's Expiration Time has passed"


class SiweMessageNotYetValid(ApiError):
    status, code = 400, "siwe_message_not_yet_valid"
    message = "The SIWE message is not valid yet (Not Before or Issued At is in the future)"


class WalletNotDeletable(ApiError):
    status, code = 400, "wallet_not_deletable"
    message = "Only read-only (linked) wallets can be deleted"


# --- managed wallets, balances (issue 26; decisions M8-M10) ------------------------------


class WalletNotManaged(ApiError):
    status, code = 400, "wallet_not_managed"
    message = "This wallet is a linked external wallet: the fake holds no key for it"


class InvalidTokenSymbol(ApiError):
    status, code = 400, "invalid_token_symbol"
    message = "Invalid body field 'token_symbol': the token does not suit this wallet's chain"


class InsufficientFunds(ApiError):
    status, code = 400, "insufficient_funds"
    message = "The wallet's balance is lower than the amount"


# --- wallet import (issue 26; decisions M60-M79) -------------------------------------------


class WalletImportNotBegun(ApiError):
    status, code = 400, "wallet_import_not_begun"
    message = (
        "No key pair from BeginWalletImport is waiting for this wallet: call BeginWalletImport "
        "first (a key pair is used once)"
    )


class WalletImportExpired(ApiError):
    status, code = 400, "wallet_import_expired"
    message = "The key pair from BeginWalletImport has expired: call BeginWalletImport again"


class InvalidImportCiphertext(ApiError):
    status, code = 400, "invalid_import_ciphertext"
    message = (
        "Invalid body field 'wallet.ciphertext': it does not open with the key pair from "
        "BeginWalletImport for this wallet (HPKE X25519, HKDF-SHA256, ChaCha20-Poly1305)"
    )


class InvalidWalletEntropy(ApiError):
    status, code = 400, "invalid_wallet_entropy"
    message = "Invalid body field 'wallet.ciphertext': the decrypted entropy is not a valid key"


class ImportedAddressMismatch(ApiError):
    status, code = 400, "wallet_address_mismatch"
    message = "Invalid body field 'wallet.public_address': the imported key has another address"


# --- wallet signing (issue 26; decisions M20-M39) --------------------------------------


class WalletChainMismatch(ApiError):
    status, code = 400, "wallet_chain_mismatch"
    message = "This operation does not sign for this wallet's chain"


class InvalidTransaction(ApiError):
    status, code = 400, "invalid_transaction"
    message = "The transaction is malformed"


# --- 401 -------------------------------------------------------------------------------


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"
    message = "Missing or invalid API key: send 'Authorization: Bearer sk_test_...'"


class PublicTokenNotAllowed(ApiError):
    status, code = 401, "public_token_not_allowed"
    message = "A public token cannot be used here; use the app's secret API key"


class InvalidSession(ApiError):
    status, code, message = 401, "invalid_session", "Session not found or has expired"


class InvalidPublicToken(ApiError):
    status, code, message = 401, "invalid_public_token", "The public_token is not valid"


# --- 403 -------------------------------------------------------------------------------

# totp/passwords


class InsufficientFactors(ApiError):
    status, code = 403, "insufficient_factors"
    message = "The session needs an OTP, magic-link or password factor"


# --- 404 / 405 / 409 / 413 / 415 ------------------------------------------------------


class NotFound(ApiError):
    status, code, message = 404, "not_found", "No such endpoint"


class UserNotFound(ApiError):
    status, code, message = 404, "user_not_found", "User not found"


class SessionNotFound(ApiError):
    status, code, message = 404, "session_not_found", "Session not found"


class MethodNotFound(ApiError):
    status, code, message = 404, "method_not_found", "No such email or phone number method"


class AppNotFound(ApiError):
    status, code, message = 404, "app_not_found", "App not found"


# totp/passwords


class TotpNotFound(ApiError):
    status, code, message = 404, "totp_not_found", "TOTP not found"


# webauthn
class WebauthnCredentialNotFound(ApiError):
    status, code = 404, "webauthn_credential_not_found"
    message = "No such WebAuthn credential"


# wallets


class WalletNotFound(ApiError):
    status, code, message = 404, "wallet_not_found", "Wallet not found"


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "Method not allowed for this endpoint"


class DuplicateEmail(ApiError):
    status, code, message = 409, "duplicate_email", "A user with this email already exists"


class DuplicatePhoneNumber(ApiError):
    status, code = 409, "duplicate_phone_number"
    message = "A user with this phone number already exists"


# totp/passwords


class DuplicateTotp(ApiError):
    status, code = 409, "duplicate_totp"
    message = "The user already has a verified TOTP"


# webauthn
class DuplicateWebauthnCredential(ApiError):
    status, code = 409, "duplicate_webauthn_credential"
    message = "This WebAuthn credential is already registered"


# wallets


class DuplicateWallet(ApiError):
    status, code = 409, "duplicate_wallet"
    message = "This wallet address is attached to another user"


class RequestTooLarge(ApiError):
    status, code, message = 413, "request_too_large", "The request body is too large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "Send the body as JSON with 'Content-Type: application/json'"


# --- 429 / 5xx -------------------------------------------------------------------------


class TooManyAttempts(ApiError):
    status, code = 429, "too_many_attempts"
    message = "Too many wrong passcodes; send a new one"


class RateLimited(ApiError):
    status, code, message = 429, "rate_limited", "Too many requests"


class InternalError(ApiError):
    status, code, message = 500, "internal_error", "Internal server error"


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "Service unavailable"


# --- the control API (control/openapi.yaml) ----------------------------------------------


class AdminTokenRequired(ApiError):
    status, code, document = 401, "unauthorized", "control"
    message = "The control API needs 'Authorization: Bearer <admin token>'"


class HostNotAllowed(ApiError):
    status, code, document = 403, "host_not_allowed", "control"
    message = "This Host may not use the control API"


class CrossSiteRequest(ApiError):
    status, code, document = 403, "cross_site_request", "control"
    message = "Cross-site requests to the control API are refused"


class FaultNotFound(ApiError):
    status, code, document = 404, "fault_not_found", "control"
    message = "No such fault rule"


class DuplicateApp(ApiError):
    status, code, document = 409, "duplicate_app", "control"
    message = "An app with this id, secret key or public token already exists"


class DuplicateUser(ApiError):
    status, code, document = 409, "duplicate_user", "control"
    message = "A user with this id already exists"


class DuplicateSessionToken(ApiError):
    status, code, document = 409, "duplicate_session_token", "control"
    message = "Another session has this token"


# --- the fake identity provider's pages (idp.py) ----------------------------------------


class UnsupportedProvider(ApiError):
    status, code, document = 400, "unsupported_provider", "idp"
    message = "Unknown OAuth provider"


class InvalidState(ApiError):
    status, code, document = 400, "invalid_state", "idp"
    message = "The OAuth state is not valid"


class InvalidClient(ApiError):
    status, code, document = 400, "invalid_client", "idp"
    message = "client_id is not the app's client at this provider"


class RedirectUriMismatch(ApiError):
    status, code, document = 400, "redirect_uri_mismatch", "idp"
    message = "redirect_uri is not the one begin sent"


class UnsupportedResponseType(ApiError):
    status, code, document = 400, "unsupported_response_type", "idp"
    message = "response_type must be 'code'"


class InvalidGrant(ApiError):
    status, code, document = 400, "invalid_grant", "idp"
    message = "The authorization code is not valid"


# --- transfers (issue 26; decisions M44-M49) --------------------------------------------


class InvalidAmount(ApiError):
    status, code = 400, "invalid_amount"
    message = "Invalid body field 'source_amount': not an amount this currency can send"


class IncompatibleCurrency(ApiError):
    status, code = 400, "incompatible_currency"
    message = "Invalid body field 'dest_currency': the source wallet cannot send this currency"


class InvalidDestAddress(ApiError):
    status, code = 400, "invalid_dest_address"
    message = "Invalid body field 'dest': not an address of the source wallet's chain"


class WalletUserMismatch(ApiError):
    status, code = 400, "wallet_user_mismatch"
    message = "Invalid body field 'user_id': the source wallet belongs to another user"


class TransferExpired(ApiError):
    status, code = 400, "transfer_expired"
    message = "The transfer expired unconfirmed (2 minutes after creation); create a new one"


class TransferNotFound(ApiError):
    status, code, message = 404, "transfer_not_found", "Transfer not found"


class TransferAlreadyConfirmed(ApiError):
    status, code = 409, "transfer_already_confirmed"
    message = "The transfer was confirmed already"


class TransferNotPending(ApiError):
    status, code, document = 409, "transfer_not_pending", "control"
    message = "Only a pending (confirmed, not yet settled) transfer can be failed"


def all_error_classes() -> list[type[ApiError]]:
    """Every error class (for the cross-check against the documents)."""
    found: list[type[ApiError]] = []
    stack: list[type[ApiError]] = [ApiError]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            found.append(sub)
    return found
