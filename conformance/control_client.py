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

    # --- discovery ---------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """Version, the fake's now and the controls it offers."""
        result: dict[str, Any] = self.call("GET", "health")
        return result

    def openapi_document(self) -> str:
        """The control API's OpenAPI document (YAML text)."""
        response = self.http.get(f"{self.base_url}/_mock/openapi.yaml", timeout=self.timeout)
        if response.status_code >= 400:
            raise ControlError(response.status_code, response.json())
        return response.text

    # --- clock -----------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        """``{now, now_iso, frozen}``."""
        result: dict[str, Any] = self.call("GET", "clock")
        return result

    def now(self) -> float:
        """The fake's current time (unix seconds)."""
        return float(self.clock()["now"])

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> dict[str, Any]:
        """Move the fake's clock (negative amounts move it back)."""
        amounts = {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days}
        return self._post("clock/advance", {k: v for k, v in amounts.items() if v})

    def set_time(self, at: Any, *, freeze: bool | None = None) -> dict[str, Any]:
        """Jump to ``at`` (unix seconds or ISO-8601)."""
        body: dict[str, Any] = {"at": at}
        if freeze is not None:
            body["freeze"] = freeze
        return self._post("clock/set", body)

    def freeze(self) -> dict[str, Any]:
        """Stop the fake's clock."""
        return self._post("clock/freeze")

    def unfreeze(self) -> dict[str, Any]:
        """Let the fake's clock run."""
        return self._post("clock/unfreeze")

    def reset_clock(self) -> dict[str, Any]:
        """Back to real time."""
        return self._post("clock/reset")

    # --- faults ----------------------------------------------------------------------
    def add_fault(
        self, operation_id: str | None = None, *, app_id: str | None = None, **rule: Any
    ) -> dict[str, Any]:
        """Add a fault rule (see the control API's ``POST /_mock/faults``)."""
        body = self._scoped({**rule}, operation_id=operation_id, app_id=app_id)
        return self._post("faults", body)

    def fail_next(
        self, operation_id: str, *, status: int = 503, times: int = 1, **rule: Any
    ) -> dict[str, Any]:
        """Answer the next ``times`` calls of ``operation_id`` with ``status``."""
        return self.add_fault(operation_id, action="error", status=status, times=times, **rule)

    def add_rate_limit(
        self,
        limit: int,
        window_seconds: float,
        operation_id: str | None = None,
        *,
        app_id: str | None = None,
        **target: Any,
    ) -> dict[str, Any]:
        """429 after ``limit`` calls per sliding window."""
        body = {"limit": limit, "window_seconds": window_seconds, **target}
        return self._post(
            "faults/rate_limit", self._scoped(body, operation_id=operation_id, app_id=app_id)
        )

    def faults(self, app_id: str | None = None) -> list[dict[str, Any]]:
        """The active rules (this control's app, or ``app_id``)."""
        return list(self.call("GET", "faults", params=self._scoped(app_id=app_id))["faults"])

    def delete_fault(self, fault_id: str) -> dict[str, Any]:
        """Remove one rule."""
        result: dict[str, Any] = self.call("DELETE", f"faults/{fault_id}")
        return result

    def clear_faults(self, app_id: str | None = None) -> dict[str, Any]:
        """Remove every rule (this control's app, or ``app_id``; ``"*"``: every app's)."""
        result: dict[str, Any] = self.call("DELETE", "faults", params=self._scoped(app_id=app_id))
        return result

    # --- outbox and journal ----------------------------------------------------------
    def outbox(
        self,
        to: str | None = None,
        *,
        kind: str | None = None,
        app_id: str | None = None,
        wait: float | None = None,
        after: int | None = None,
    ) -> list[dict[str, Any]]:
        """Messages "sent", newest first; ``wait`` blocks until one for ``to`` exists."""
        params = self._scoped(to=to, kind=kind, app_id=app_id, wait=wait, after=after)
        timeout = self.timeout + (wait or 0)
        return list(self.call("GET", "outbox", params=params, timeout=timeout)["messages"])

    def latest_code(self, to: str, *, wait: float = 5) -> str:
        """The newest passcode sent to ``to`` (waits up to ``wait`` seconds for it)."""
        for message in self.outbox(to, kind="otp", wait=wait):
            return str(message["code"])
        raise LookupError(f"no passcode was sent to {to}")

    def clear_outbox(self, app_id: str | None = None) -> dict[str, Any]:
        """Forget the messages (this control's app, or ``app_id``)."""
        result: dict[str, Any] = self.call("DELETE", "outbox", params=self._scoped(app_id=app_id))
        return result

    def requests(self, *, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries (filters: operation_id, status, since, until, injected, app_id)."""
        params = self._scoped(limit=limit, **filters)
        return list(self.call("GET", "requests", params=params)["requests"])

    def request_count(self, **filters: Any) -> int:
        """How many journal entries match."""
        params = self._scoped(count="true", **filters)
        return int(self.call("GET", "requests", params=params)["count"])

    def clear_requests(self, app_id: str | None = None) -> dict[str, Any]:
        """Empty the journal (this control's app, or ``app_id``)."""
        params = self._scoped(app_id=app_id)
        result: dict[str, Any] = self.call("DELETE", "requests", params=params)
        return result

    # --- reset, apps, keys, state ----------------------------------------------------
    def reset(self, app_id: str | None = None, *, keep_clock: bool = False) -> dict[str, Any]:
        """Forget all state, or one app's."""
        body = self._scoped(app_id=app_id, keep_clock=keep_clock or None)
        return self._post("reset", body)

    def create_app(self, **settings: Any) -> dict[str, Any]:
        """A fresh isolated app with its own keys."""
        return self._post("apps", settings)

    def apps(self) -> list[dict[str, Any]]:
        """Every app, oldest first."""
        return list(self.call("GET", "apps")["apps"])

    def get_app(self, app_id: str) -> dict[str, Any]:
        """One app with its keys and settings."""
        result: dict[str, Any] = self.call("GET", f"apps/{app_id}")
        return result

    def update_app(self, app_id: str, **settings: Any) -> dict[str, Any]:
        """Change an app's settings."""
        result: dict[str, Any] = self.call("PATCH", f"apps/{app_id}", json=settings)
        return result

    def delete_app(self, app_id: str) -> dict[str, Any]:
        """Remove an app and everything it owns."""
        result: dict[str, Any] = self.call("DELETE", f"apps/{app_id}")
        return result

    def rotate_keys(self) -> dict[str, Any]:
        """Sign with a new key; the old one stays published while its JWTs live."""
        return self._post("keys/rotate")

    def export_state(self, app_id: str | None = None) -> dict[str, Any]:
        """All state (or this control's app, or ``app_id``) as JSON."""
        result: dict[str, Any] = self.call("GET", "state", params=self._scoped(app_id=app_id))
        return result

    def import_state(self, document: dict[str, Any]) -> dict[str, Any]:
        """Load an export back."""
        return self._post("state", document)

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        """Add apps, users and sessions in the seed format."""
        return self._post("seed", document)

    # --- shortcuts -------------------------------------------------------------------
    def mint_session(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        session_expires_in: int | None = None,
        app_id: str | None = None,
    ) -> dict[str, Any]:
        """A session for a user without any login flow: token, JWT, session, user."""
        body = self._scoped(
            user_id=user_id,
            email=email,
            phone_number=phone_number,
            session_expires_in=session_expires_in,
            app_id=app_id,
        )
        return self._post("sessions", body)

    def mint_oauth_token(
        self,
        provider: str,
        email: str,
        *,
        name: str | None = None,
        provider_subject: str | None = None,
        app_id: str | None = None,
    ) -> dict[str, Any]:
        """An OAuth token for an identity, as if the user had consented."""
        body = self._scoped(
            {"provider": provider, "email": email},
            name=name,
            provider_subject=provider_subject,
            app_id=app_id,
        )
        return self._post("oauth/tokens", body)

    # --- totp/passwords ----------------------------------------------------------------
    def totp_code(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> dict[str, Any]:
        """A code the user's TOTP accepts now: ``{code, totp_id, step, secret, …}``."""
        body = self._scoped(user_id=user_id, email=email, phone_number=phone_number, app_id=app_id)
        return self._post("totps/code", body)

    def set_balance(
        self, wallet_id: str, token_symbol: str, balance: str, *, app_id: str | None = None
    ) -> dict[str, Any]:
        """Set a managed wallet's balance of a token (a decimal string such as ``"1.5"``)."""
        body = {"wallet_id": wallet_id, "token_symbol": token_symbol, "balance": balance}
        return self._post("wallets/balance", self._scoped(body, app_id=app_id))

    def set_password(
        self,
        password: str,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> dict[str, Any]:
        """Set a user's password without a session (no strength rule)."""
        body = self._scoped(
            {"password": password},
            user_id=user_id,
            email=email,
            phone_number=phone_number,
            app_id=app_id,
        )
        return self._post("passwords", body)

    def contract_state(
        self,
        state: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        action: str = "setup",
        states: list[str] | None = None,
        app_id: str | None = None,
    ) -> dict[str, Any]:
        """Pact's provider-state change (``POST /_mock/contract/states``): the values."""
        body = {"state": state, "params": params, "action": action, "states": states}
        return self._post(
            "contract/states",
            self._scoped({k: v for k, v in body.items() if v is not None}, app_id=app_id),
        )

    # --- browsing (what the dashboard lists) -------------------------------------------
    def users(
        self, q: str | None = None, *, app_id: str | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        """``{users, total}``: an app's users, newest first, matching ``q`` if given."""
        result: dict[str, Any] = self.call(
            "GET", "users", params=self._scoped(q=q, app_id=app_id, limit=limit)
        )
        return result

    def user(self, user_id: str, *, app_id: str | None = None) -> dict[str, Any]:
        """``{user, sessions}`` of one user."""
        params = self._scoped(app_id=app_id)
        result: dict[str, Any] = self.call("GET", f"users/{user_id}", params=params)
        return result

    def delete_user(self, user_id: str, *, app_id: str | None = None) -> dict[str, Any]:
        """Delete a user with its sessions and passcodes."""
        params = self._scoped(app_id=app_id)
        result: dict[str, Any] = self.call("DELETE", f"users/{user_id}", params=params)
        return result

    def sessions(self, app_id: str | None = None, *, limit: int | None = None) -> dict[str, Any]:
        """``{sessions, total}``: an app's live sessions, the soonest to expire first."""
        params = self._scoped(app_id=app_id, limit=limit)
        result: dict[str, Any] = self.call("GET", "sessions", params=params)
        return result

    def revoke_session(self, session_id: str, *, app_id: str | None = None) -> dict[str, Any]:
        """Delete one session."""
        params = self._scoped(app_id=app_id)
        result: dict[str, Any] = self.call("DELETE", f"sessions/{session_id}", params=params)
        return result

    def extend_session(
        self, session_id: str, minutes: int, *, app_id: str | None = None
    ) -> dict[str, Any]:
        """Make a session expire ``minutes`` from the fake's now."""
        body = self._scoped({"minutes": minutes}, app_id=app_id)
        return self._post(f"sessions/{session_id}/extend", body)

    def transfers(self, *, app_id: str | None = None, user_id: str | None = None) -> dict[str, Any]:
        """``{transfers, total}``: an app's transfers of every status, newest first."""
        params = self._scoped(app_id=app_id, user_id=user_id)
        result: dict[str, Any] = self.call("GET", "transfers", params=params)
        return result

    def fail_transfer(
        self, transfer_id: str, *, reason: str | None = None, app_id: str | None = None
    ) -> dict[str, Any]:
        """Make a pending transfer fail now (its funds go back to the source)."""
        return self._post(
            f"transfers/{transfer_id}/fail", self._scoped(reason=reason, app_id=app_id)
        )

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", path, json=body)
        return result
