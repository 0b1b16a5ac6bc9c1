"""One HTTP call to the target and its answer, with a short summary for failure reports.

:class:`ApiClient` talks to a MoonKey deployment (or the fake) with a secret key;
:class:`Exchange` keeps what was sent and what came back, so a failed expectation can show the
request without the reader having to re-run anything. Secrets are shortened in summaries.
"""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass, field
from typing import Any

import requests

HTTP_TIMEOUT = 15.0
NOW_HEADER = "X-Moonkey-Mock-Now"
_SECRET_FIELDS = ("session_token", "session_jwt", "token", "otp", "code", "api_key")


class KeyRefused(RuntimeError):
    """The target refused the suite's own secret key in the middle of a run.

    Not a conformance failure of the rule being checked: the rule could not be checked at
    all, so the test ends in this error rather than in a (vacuous) pass or a rule failure.
    """


def shorten(value: str, keep: int = 12) -> str:
    """``value`` cut to ``keep`` characters plus an ellipsis (secrets in reports)."""
    return value if len(value) <= keep else value[:keep] + "…"


def _redacted(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: shorten(v) if k in _SECRET_FIELDS and isinstance(v, str) else _redacted(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_redacted(v) for v in data]
    return data


@dataclass(frozen=True)
class Exchange:
    """A request the suite sent and the response it got."""

    method: str
    path: str
    query: dict[str, Any]
    sent: Any
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    auth: str = "secret key"

    @property
    def json(self) -> dict[str, Any]:
        """The body as a JSON object ({} when it is not one)."""
        return self.body if isinstance(self.body, dict) else {}

    def summary(self) -> str:
        """``METHOD /path?query {body}`` with secrets shortened, and which credential was used."""
        query = "&".join(f"{k}={shorten(str(v))}" for k, v in _redacted(self.query).items())
        line = f"{self.method} {self.path}{'?' + query if query else ''}"
        if self.sent is not None:
            line += " " + json.dumps(_redacted(self.sent), ensure_ascii=False)[:400]
        return f"{line}  [auth: {self.auth}]"

    def answer(self) -> str:
        """``status body`` (body cut to a readable length)."""
        text = json.dumps(self.body, ensure_ascii=False) if self.body is not None else "<empty>"
        return f"{self.status} {text[:600]}"

    def server_now(self) -> float | None:
        """The target's clock at the response: the fake's header, else the ``Date`` header."""
        stamp = self.headers.get(NOW_HEADER)
        if stamp:
            return float(stamp)
        date = self.headers.get("Date")
        if date:
            return email.utils.parsedate_to_datetime(date).timestamp()
        return None


def _error_type(body: Any) -> Any:
    return body.get("error_type") if isinstance(body, dict) else None


class ApiClient:
    """HTTP client of a MoonKey target authorised with a secret key.

    Args:
        base_url: the target's base URL (``http://127.0.0.1:8080``).
        api_key: the secret key sent as ``Authorization: Bearer``.
    """

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
        key: str | None = "",
        headers: dict[str, str] | None = None,
        auth_label: str | None = None,
    ) -> Exchange:
        """Send one request; ``key`` "" uses the client's key, None sends no Authorization."""
        sent_headers = dict(headers or {})
        used = self.api_key if key == "" else key
        if used is not None:
            sent_headers.setdefault("Authorization", f"Bearer {used}")
        response = self.http.request(
            method,
            self.base_url + path,
            json=json_body,
            data=data,
            params=params,
            headers=sent_headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        label = auth_label or ("secret key" if key == "" else "none" if key is None else "other")
        own = sent_headers.get("Authorization") == f"Bearer {self.api_key}"
        if own and response.status_code == 401 and _error_type(body) == "unauthorized":
            raise KeyRefused(
                f"{method} {path}: the target refused the suite's secret key (401 unauthorized);"
                " the rule could not be checked"
            )
        return Exchange(
            method=method,
            path=path,
            query=dict(params or {}),
            sent=json_body if data is None else data.decode("utf-8", "replace"),
            status=response.status_code,
            body=body,
            headers=dict(response.headers),
            auth=label,
        )

    def post(self, path: str, body: Any = None, **options: Any) -> Exchange:
        """POST a JSON body."""
        return self.call("POST", path, json_body=body, **options)

    def get(self, path: str, **params: Any) -> Exchange:
        """GET with query parameters."""
        return self.call("GET", path, params=params)

    def delete(self, path: str, body: Any = None, **options: Any) -> Exchange:
        """DELETE, with a JSON body when given."""
        return self.call("DELETE", path, json_body=body, **options)

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()
