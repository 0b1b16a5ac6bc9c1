"""The identity providers the fake impersonates, shaped like the real ones (Reference §8.1).

Each provider's authorize URL keeps the real path, scopes and parameters, but points at the
fake's own host under ``/idp/<provider>/``. Client ids and default subjects are derived from
the app id and the email, so they are stable run to run and look like the provider's own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

IDP_PREFIX = "idp"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _digits(hexdigest: str, count: int) -> str:
    return str(int(hexdigest, 16))[:count]


def _guid(h: str) -> str:
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True)
class Provider:
    """One provider: where its authorize page lives and what its URL and ids look like."""

    name: str
    title: str
    authorize_path: str
    scope: str
    extra: tuple[tuple[str, str], ...] = ()

    def page_path(self) -> str:
        """The fake authorize page's path on the fake's host."""
        return f"/{IDP_PREFIX}/{self.name}/{self.authorize_path}"

    def client_id(self, app_id: str) -> str:
        """The app's OAuth client id at this provider, in the provider's format."""
        h = _digest("client", self.name, app_id)
        return {
            "google": f"{_digits(h, 12)}-{h[:32]}.apps.googleusercontent.com",
            "apple": f"fun.moonkey.mock.{h[:12]}",
            "microsoft": _guid(h),
            "discord": _digits(h, 18),
            "github": f"Iv1.{h[:16]}",
        }.get(self.name, h[:32])

    def default_subject(self, email: str) -> str:
        """The provider's user id for ``email`` when none is given (same email, same id)."""
        h = _digest("subject", self.name, email.strip().lower())
        return {
            "google": "1" + _digits(h, 20),
            "apple": f"00{_digits(h, 4)}.{h[:32]}.{_digits(h[32:], 4)}",
            "microsoft": _guid(h),
            "discord": _digits(h, 18),
            "github": _digits(h, 8),
        }.get(self.name, h[:24])

    def authorize_url(self, base_url: str, *, client_id: str, redirect_uri: str, state: str) -> str:
        """The authorize URL on the fake's host; parameters sorted as Go's url.Values encodes."""
        params = dict(self.extra)
        params.update(
            client_id=client_id,
            redirect_uri=redirect_uri,
            response_type="code",
            scope=self.scope,
            state=state,
        )
        query = urlencode(sorted(params.items()))
        return f"{base_url.rstrip('/')}{self.page_path()}?{query}"


GOOGLE_EXTRA = (("access_type", "offline"),)
APPLE_EXTRA = (("response_mode", "form_post"),)
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("google", "Google", "o/oauth2/auth", "openid email profile", GOOGLE_EXTRA),
        Provider("apple", "Apple", "auth/authorize", "name email", APPLE_EXTRA),
        Provider("microsoft", "Microsoft", "common/oauth2/v2.0/authorize", "openid email profile"),
        Provider("discord", "Discord", "oauth2/authorize", "identify email"),
        Provider("github", "GitHub", "login/oauth/authorize", "read:user user:email"),
    )
}

# Prefixes of the fake access and refresh tokens, after the providers' own formats.
TOKEN_PREFIXES = {
    "google": ("ya29.", "1//0"),
    "github": ("gho_", "ghr_"),
    "microsoft": ("EwB", "M.C"),
}
