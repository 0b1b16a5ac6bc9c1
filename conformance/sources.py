"""Public addresses the suite's rules cite (``@pytest.mark.rule(text, source=...)``).

Each rule names where its behaviour is documented: a page of the published MoonKey
(formerly Streambird) documentation, or an entry of ``docs/decisions.md`` for what the
documentation leaves open (the binding decisions D1..D18, the choices C1.. of the suite, and
the per-area choices T1.. for users, TOTP and passwords, A1.. for WebAuthn, W1.. for wallets).
"""

from __future__ import annotations

DOCS = "https://docs.streambird.io"
API = "https://developers.streambird.io/operation"

# guides
SESSION_MANAGEMENT = f"{DOCS}/authentication/user-authentication/sessions/session-management"
TOKEN_VS_JWT = f"{DOCS}/authentication/user-authentication/sessions/session-token-vs-jwt"
AUTHENTICATION = f"{DOCS}/api-reference/authentication"
# API reference pages
VERIFY_SESSION = f"{DOCS}/api-reference/sessions/verify-session"
LIST_SESSIONS = f"{DOCS}/api-reference/sessions/list-sessions"
DELETE_SESSION = f"{DOCS}/api-reference/sessions/delete-session"
VERIFY_OTP = f"{DOCS}/api-reference/otps/verify-otp-one-time-passcode"
LOGIN_OR_CREATE_EMAIL_OTP = f"{API}/operation-loginorcreateuserbyemailotp"
VERIFY_MAGIC_TOKEN = f"{DOCS}/api-reference/magic-links/verify-token"
VERIFY_OAUTH_TOKEN = f"{DOCS}/api-reference/oauth/verify-token"
CREATE_USER = f"{DOCS}/api-reference/users/create-user"
GET_USER = f"{DOCS}/api-reference/users/get-user"
DELETE_USER = f"{DOCS}/api-reference/users/delete-user"
# the JWKS path is the official Node SDK's (sessions.jwks())
NODE_SDK = "https://github.com/streambird/streambird-node"

# Update User and the sub-resource deletes (issue 11)
UPDATE_USER = f"{DOCS}/api-reference/users/update-user"
DELETE_USER_EMAIL = f"{DOCS}/api-reference/users/delete-user-email.md"
DELETE_USER_PHONE_NUMBER = f"{API}/operation-deleteuserphonenumber"
# TOTP (issue 11)
CREATE_TOTP = f"{API}/operation-createtotp.md"
VERIFY_TOTP = f"{API}/operation-verifytotp"
DELETE_USER_TOTP = f"{API}/operation-deleteusertotp"
TOTP_GUIDE = f"{DOCS}/methods/totp/totp-api"
# Passwords, Enterprise (issue 11)
VERIFY_PASSWORD = f"{DOCS}/api-reference/passwords/verify-password-enterprise"
UPDATE_PASSWORD_BY_SESSION = f"{API}/operation-updatepasswordbysession"
PASSWORD_STRENGTH_CHECK = f"{API}/operation-passwordstrengthcheck"
# WebAuthn / passkeys (issue 13)
WEBAUTHN_GUIDE = f"{DOCS}/methods/webauthn/webauthn-api"
BEGIN_WEBAUTHN_REGISTRATION = f"{API}/operation-beginwebauthnregistration"
BEGIN_WEBAUTHN_AUTHENTICATION = f"{API}/operation-beginwebauthnauthentication"
VERIFY_WEBAUTHN_AUTHENTICATION = (
    f"{DOCS}/api-reference/webauthn/verify-webauthn-authentication-beta"
)
DELETE_USER_WEBAUTHN_CREDENTIAL = f"{API}/operation-deleteuserwebauthncredential"
# Wallets login (issue 12)
BEGIN_WALLET_REGISTRATION = f"{DOCS}/api-reference/wallets-login/begin-wallet-registration"
VERIFY_WALLET = f"{DOCS}/api-reference/wallets-login/verify-wallet-beta"
GET_WALLET_REGISTRATION_NONCE = f"{DOCS}/api-reference/wallets-login/get-wallet-registration-nonce"
VERIFY_SIWE_WALLET_REGISTRATION = (
    f"{DOCS}/api-reference/wallets-login/verify-siwe-wallet-registration.md"
)
DELETE_USER_WALLET = f"{API}/operation-deleteuserwallet"

# standards the new-area rules cite (issue 25)
RFC_6238 = "https://www.rfc-editor.org/rfc/rfc6238#section-5.2"
EIP_4361 = "https://eips.ethereum.org/EIPS/eip-4361"

# docs/decisions.md sections
DECISIONS = "docs/decisions.md#binding-decisions-as-implemented"
CHOICES = "docs/decisions.md#choices-the-sources-leave-open-12-and-others"
SUITE = "docs/decisions.md#the-conformance-suite-issue-5"
SUITE_SETUP = "docs/decisions.md#conformance-against-real-deployments-issue-19"
# the fake's choices per area (T1.., A1.., W1..)
USERS_TOTP_PASSWORDS_DECISIONS = (
    "docs/decisions.md#update-user-the-sub-resource-deletes-totp-and-passwords-issue-11"
)
WEBAUTHN_DECISIONS = "docs/decisions.md#webauthn--passkeys-issue-13"
WALLETS_DECISIONS = "docs/decisions.md#wallets-login-issue-12"
NEW_AREAS_RULES = "docs/decisions.md#conformance-rules-on-the-new-areas-issue-25"

# managed wallets (issue 26)
CREATE_WALLET = f"{DOCS}/api-reference/managed-wallets/create-wallet-beta"
GET_WALLET = f"{DOCS}/api-reference/managed-wallets/get-wallet-beta"
GET_WALLET_BALANCE = f"{DOCS}/api-reference/managed-wallets/get-wallet-balance-beta"
MANAGED_WALLETS_DECISIONS = "docs/decisions.md#managed-wallets-signing-transfers-import-issue-26"
# wallet import (issue 26, M60-M79)
BEGIN_WALLET_IMPORT = "https://docs.moonkey.fun/api-reference/wallet-import/begin-wallet-import"
IMPORT_WALLET = "https://docs.moonkey.fun/api-reference/wallet-import/import-wallet"
WALLET_IMPORT_DECISIONS = "docs/decisions.md#managed-wallets-signing-transfers-import-issue-26"

# transfers (issue 26; decisions M40-M52 sit in the section above)
CREATE_TRANSFER = f"{DOCS}/api-reference/transfers/create-transfer-beta"
CONFIRM_TRANSFER = f"{DOCS}/api-reference/transfers/confirm-transfer-beta"
GET_TRANSFER = f"{DOCS}/api-reference/transfers/get-transfer-beta"
LIST_TRANSFER = f"{DOCS}/api-reference/transfers/list-transfer-beta"
TRANSFERS_GUIDE = f"{DOCS}/wallet-as-a-service/transfers/create-transfers"

# wallet signing (issue 26; decisions M20-M39 sit in the section above)
SIGN_MESSAGE = f"{API}/operation-walletsignmessage"
SIGN_TRANSACTION = f"{API}/operation-walletsigntransaction"
SOLANA_SIGN_TRANSACTION = f"{API}/operation-solanawalletsigntransaction"
RPC_PERSONAL_SIGN = f"{DOCS}/api-reference/managed-wallets/ethereum/sign-message"
RPC_SIGN_7702 = f"{DOCS}/api-reference/managed-wallets/ethereum/sign-7702-authorization"
RPC_SOL_SIGN_MESSAGE = f"{DOCS}/api-reference/managed-wallets/solana/sign-message"
RPC_SOL_SIGN_TRANSACTION = f"{DOCS}/api-reference/managed-wallets/solana/sign-transaction"
SIGNING_DECISIONS = MANAGED_WALLETS_DECISIONS
EIP_191 = "https://eips.ethereum.org/EIPS/eip-191"
EIP_1559 = "https://eips.ethereum.org/EIPS/eip-1559"
EIP_7702 = "https://eips.ethereum.org/EIPS/eip-7702"

PUBLIC_PREFIXES = (
    "https://docs.streambird.io/",
    "https://developers.streambird.io/",
    "https://docs.moonkey.fun/",
    "https://github.com/streambird/",
    "docs/decisions.md#",
    "https://www.rfc-editor.org/",
    "https://eips.ethereum.org/",
)


def is_citable(source: str) -> bool:
    """Whether ``source`` is a public documentation URL or a ``docs/decisions.md`` entry."""
    return source.startswith(PUBLIC_PREFIXES)
