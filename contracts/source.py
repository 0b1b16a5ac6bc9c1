"""Where entries come from: a running fake's control API (``GET /_mock/requests``, outbox).

The recorder only needs a :class:`JournalReader`; the pytest plugin hands entries in directly
and the CLI reads them over HTTP with :class:`HttpJournal`. Nothing here touches the fake's
insides: the journal's form is the control API's (``mock_server/control/openapi.yaml``).
"""

from __future__ import annotations

from typing import Any, Protocol

import requests

TIMEOUT = 10.0


class SourceError(RuntimeError):
    """The fake could not be read (unreachable, refused, not a moonkey-mock)."""


class JournalReader(Protocol):
    """Reads journal entries and outbox messages, per app."""

    def apps(self) -> list[str]:
        """The ids of the apps that have entries."""
        ...

    def entries(self, app_id: str) -> list[dict[str, Any]]:
        """The app's journal entries, oldest first."""
        ...

    def outbox(self, app_id: str) -> list[dict[str, Any]]:
        """The app's outbox messages."""
        ...


class HttpJournal:
    """A :class:`JournalReader` over a running fake's control API."""

    def __init__(self, url: str, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        if admin_token:
            self.http.headers["Authorization"] = f"Bearer {admin_token}"

    def _get(self, path: str, **params: Any) -> Any:
        target = f"{self.url}/_mock/{path}"
        try:
            response = self.http.get(target, params=params, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise SourceError(f"no fake answers at {self.url}: {type(error).__name__}") from None
        if response.status_code in (401, 403):
            raise SourceError(
                f"{target} answered {response.status_code}: pass the fake's --admin-token "
                "with --api-key"
            )
        if response.status_code != 200:
            raise SourceError(f"{target} answered {response.status_code} (is the control API on?)")
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"{target} did not answer JSON: not a moonkey-mock fake") from None

    def apps(self) -> list[str]:
        """Every app with journal entries, in the order their first entry came."""
        seen: dict[str, None] = {}
        for entry in self._get("requests")["requests"]:
            seen.setdefault(str(entry["app_id"]), None)
        return list(seen)

    def entries(self, app_id: str) -> list[dict[str, Any]]:
        """The app's entries."""
        return list(self._get("requests", app_id=app_id)["requests"])

    def outbox(self, app_id: str) -> list[dict[str, Any]]:
        """The app's messages."""
        return list(self._get("outbox", app_id=app_id)["messages"])
