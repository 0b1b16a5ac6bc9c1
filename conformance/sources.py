"""Public addresses the suite's rules cite (``@pytest.mark.rule(text, source=...)``).

Each rule names where its behaviour is documented: a page of the published MoonKey
(formerly Streambird) documentation, or an entry of ``docs/decisions.md`` for what the
documentation leaves open (the binding decisions D1..D18 and the choices C1.. of the suite).
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

# docs/decisions.md sections
DECISIONS = "docs/decisions.md#binding-decisions-as-implemented"
CHOICES = "docs/decisions.md#choices-the-sources-leave-open-12-and-others"
SUITE = "docs/decisions.md#the-conformance-suite-issue-5"
SUITE_SETUP = "docs/decisions.md#conformance-against-real-deployments-issue-19"

PUBLIC_PREFIXES = (
    "https://docs.streambird.io/",
    "https://developers.streambird.io/",
    "https://docs.moonkey.fun/",
    "https://github.com/streambird/",
    "docs/decisions.md#",
)


def is_citable(source: str) -> bool:
    """Whether ``source`` is a public documentation URL or a ``docs/decisions.md`` entry."""
    return source.startswith(PUBLIC_PREFIXES)
