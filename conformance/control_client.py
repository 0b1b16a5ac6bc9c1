"""``MockControl``: a client for the fake's control API under ``/_mock/``.

Every method is one HTTP call; errors come back as :class:`ControlError` carrying the envelope.
"""

from __future__ import annotations

from typing import Any

import requests


class ControlError(RuntimeError):
    """A control call answered with an error status."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("error_message") if isinstance(body, dict) else str(body)
        super().__init__(f"control API answered {status}: {message}")


class MockControl:
    """Drive a running fake from outside its process.

    Args:
        base_url: the fake's base URL (``http://127.0.0.1:8080``).
        admin_token: the ``--admin-token`` the fake was started with, if any.
        app_id: the app calls act on by default (None: the fake's default app).
        timeout: seconds per HTTP call (``wait`` calls add their wait).
    """

    def __init__(
        self,
        base_url: str,
        *,
        admin_token: str | None = None,
        app_id: str | None = None,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.timeout = timeout
        self.http = session or requests.Session()
        if admin_token:
            self.http.headers["Authorization"] = f"Bearer {admin_token}"

    def for_app(self, app_id: str | None) -> MockControl:
        """The same connection, acting on another app by default."""
        other = MockControl(self.base_url, app_id=app_id, timeout=self.timeout, session=self.http)
        return other

    # --- plumbing --------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """One control request; returns the decoded JSON body."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.http.request(
            method,
            f"{self.base_url}/_mock/{path.lstrip('/')}",
            json=json,
            params=query,
            timeout=timeout or self.timeout,
        )
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise ControlError(response.status_code, body)
        return body

    def _scoped(self, body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        values = {**(body or {}), **{k: v for k, v in extra.items() if v is not None}}
        if self.app_id and "app_id" not in values:
            values["app_id"] = self.app_id
        return values

    # --- discovery and reset ---------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Version, the fake's now and the controls it offers."""
        result: dict[str, Any] = self.call("GET", "health")
        return result

    def reset(self, app_id: str | None = None) -> Any:
        """Forget all state, or one app's."""
        return self.call("POST", "reset", json=self._scoped(app_id=app_id))

    # --- clock -----------------------------------------------------------------------
    def now(self) -> float:
        """The fake's current time (unix seconds)."""
        return float(self.call("GET", "clock")["now"])

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> Any:
        """Move the fake's clock forward."""
        amounts = {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days}
        return self.call("POST", "clock/advance", json={k: v for k, v in amounts.items() if v})

    def set_time(self, at: float | str, *, freeze: bool | None = None) -> Any:
        """Jump to ``at`` (unix seconds or ISO-8601)."""
        body: dict[str, Any] = {"at": at}
        if freeze is not None:
            body["freeze"] = freeze
        return self.call("POST", "clock/set", json=body)

    def freeze(self) -> Any:
        """Stop the fake's clock."""
        return self.call("POST", "clock/freeze")

    def unfreeze(self) -> Any:
        """Let the fake's clock run."""
        return self.call("POST", "clock/unfreeze")

    def reset_clock(self) -> Any:
        """Back to real time."""
        return self.call("POST", "clock/reset")

    # --- faults ----------------------------------------------------------------------
    def add_fault(self, operation_id: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (see the control API's ``POST /_mock/faults``)."""
        result: dict[str, Any] = self.call(
            "POST", "faults", json=self._scoped({"operation_id": operation_id, **rule})
        )
        return result

    def fail_next(
        self, operation_id: str, *, status: int = 503, times: int = 1, **rule: Any
    ) -> dict[str, Any]:
        """Answer the next ``times`` calls of ``operation_id`` with ``status``."""
        return self.add_fault(operation_id, action="error", status=status, times=times, **rule)

    def rate_limit(
        self, *, limit: int, window_seconds: float, operation_id: str | None = None
    ) -> dict[str, Any]:
        """429 after ``limit`` calls per window."""
        body = {"limit": limit, "window_seconds": window_seconds, "operation_id": operation_id}
        result: dict[str, Any] = self.call("POST", "faults/rate_limit", json=self._scoped(body))
        return result

    def faults(self) -> list[dict[str, Any]]:
        """The active rules."""
        return list(self.call("GET", "faults")["faults"])

    def clear_faults(self) -> Any:
        """Remove every rule."""
        return self.call("DELETE", "faults")

    # --- outbox and journal ----------------------------------------------------------
    def outbox(
        self, to: str | None = None, *, kind: str | None = None, wait: float | None = None
    ) -> list[dict[str, Any]]:
        """Messages "sent", newest first; ``wait`` blocks until one for ``to`` exists."""
        params = self._scoped(to=to, kind=kind, wait=wait)
        extra = wait or 0
        return list(
            self.call("GET", "outbox", params=params, timeout=self.timeout + extra)["messages"]
        )

    def latest_code(self, to: str, *, wait: float = 5) -> str:
        """The newest passcode sent to ``to`` (waits up to ``wait`` seconds for it)."""
        for message in self.outbox(to, kind="otp", wait=wait):
            return str(message["code"])
        raise LookupError(f"no passcode was sent to {to}")

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries (filters: operation_id, status, since, until, limit)."""
        return list(self.call("GET", "requests", params=self._scoped(**filters))["requests"])

    def count(self, **filters: Any) -> int:
        """How many journal entries match."""
        params = self._scoped(count="true", **filters)
        return int(self.call("GET", "requests", params=params)["count"])

    def clear_requests(self) -> Any:
        """Empty the journal."""
        return self.call("DELETE", "requests")

    # --- apps, state, shortcuts ------------------------------------------------------
    def create_app(self, **settings: Any) -> dict[str, Any]:
        """A fresh isolated app with its own keys."""
        result: dict[str, Any] = self.call("POST", "apps", json=settings)
        return result

    def delete_app(self, app_id: str) -> Any:
        """Remove an app and everything it owns."""
        return self.call("DELETE", f"apps/{app_id}")

    def export_state(self) -> dict[str, Any]:
        """All state (or this control's app) as JSON."""
        result: dict[str, Any] = self.call("GET", "state", params=self._scoped())
        return result

    def import_state(self, snapshot: dict[str, Any]) -> Any:
        """Load an export back."""
        return self.call("POST", "state", json=snapshot)

    def mint_session(
        self, *, email: str | None = None, user_id: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A session for a user without any login flow: token, JWT, session, user."""
        body = self._scoped(email=email, user_id=user_id, **extra)
        result: dict[str, Any] = self.call("POST", "sessions", json=body)
        return result

    def mint_oauth_token(self, provider: str, email: str, **identity: Any) -> dict[str, Any]:
        """An OAuth token for an identity, as if the user had consented."""
        body = self._scoped({"provider": provider, "email": email, **identity})
        result: dict[str, Any] = self.call("POST", "oauth/tokens", json=body)
        return result

    def rotate_keys(self) -> Any:
        """Sign with a new key; the old one stays published while its JWTs live."""
        return self.call("POST", "keys/rotate")

    # --- totp/passwords ----------------------------------------------------------------
    def totp_code(self, **user: Any) -> dict[str, Any]:
        """A code the user's TOTP accepts now: ``{code, totp_id, step, secret, …}``.

        Name the user with ``user_id=``, ``email=`` or ``phone_number=``.
        """
        result: dict[str, Any] = self.call("POST", "totps/code", json=self._scoped(user))
        return result

    def set_password(self, password: str, **user: Any) -> dict[str, Any]:
        """Set a user's password without a session (no strength rule)."""
        body = self._scoped({"password": password, **user})
        result: dict[str, Any] = self.call("POST", "passwords", json=body)
        return result
