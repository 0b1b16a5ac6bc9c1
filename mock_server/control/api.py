"""The control API as one Python interface, implemented in-process and over HTTP.

:class:`ControlApi` has one method per control operation: each operation of
``control/openapi.yaml`` names its method in ``x-method`` (``ListRequests`` has two, for the list
and its count). :class:`~mock_server.control.inprocess.Controls` implements it over a fake's
state; ``conformance.control_client.MockControl`` over HTTP. A test checks that both have every
method with the same parameters, and that every operation is covered.
"""

from __future__ import annotations

from typing import Any, Protocol

Json = dict[str, Any]


class ControlApi(Protocol):
    """Everything under ``/_mock/``, as methods (arguments as the operation's body/query)."""

    # discovery
    def health(self) -> Json:
        """``GET /_mock/health``."""

    def openapi_document(self) -> str:
        """``GET /_mock/openapi.yaml``."""

    # clock
    def clock(self) -> Json:
        """``GET /_mock/clock``."""

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> Json:
        """``POST /_mock/clock/advance``."""

    def set_time(self, at: Any, *, freeze: bool | None = None) -> Json:
        """``POST /_mock/clock/set``."""

    def freeze(self) -> Json:
        """``POST /_mock/clock/freeze``."""

    def unfreeze(self) -> Json:
        """``POST /_mock/clock/unfreeze``."""

    def reset_clock(self) -> Json:
        """``POST /_mock/clock/reset``."""

    # faults
    def add_fault(
        self, operation_id: str | None = None, *, app_id: str | None = None, **rule: Any
    ) -> Json:
        """``POST /_mock/faults``."""

    def add_rate_limit(
        self,
        limit: int,
        window_seconds: float,
        operation_id: str | None = None,
        *,
        app_id: str | None = None,
        **target: Any,
    ) -> Json:
        """``POST /_mock/faults/rate_limit``."""

    def faults(self, app_id: str | None = None) -> list[Json]:
        """``GET /_mock/faults``."""

    def delete_fault(self, fault_id: str) -> Json:
        """``DELETE /_mock/faults/<fault_id>``."""

    def clear_faults(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/faults``."""

    # outbox and journal
    def outbox(
        self,
        to: str | None = None,
        *,
        kind: str | None = None,
        app_id: str | None = None,
        wait: float | None = None,
        after: int | None = None,
    ) -> list[Json]:
        """``GET /_mock/outbox``."""

    def clear_outbox(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/outbox``."""

    def requests(self, *, limit: int | None = None, **filters: Any) -> list[Json]:
        """``GET /_mock/requests``."""

    def request_count(self, **filters: Any) -> int:
        """``GET /_mock/requests?count=true``."""

    def clear_requests(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/requests``."""

    # reset, apps, keys, state
    def reset(self, app_id: str | None = None, *, keep_clock: bool = False) -> Json:
        """``POST /_mock/reset``."""

    def create_app(self, **settings: Any) -> Json:
        """``POST /_mock/apps``."""

    def apps(self) -> list[Json]:
        """``GET /_mock/apps``."""

    def get_app(self, app_id: str) -> Json:
        """``GET /_mock/apps/<app_id>``."""

    def update_app(self, app_id: str, **settings: Any) -> Json:
        """``PATCH /_mock/apps/<app_id>``."""

    def delete_app(self, app_id: str) -> Json:
        """``DELETE /_mock/apps/<app_id>``."""

    def rotate_keys(self) -> Json:
        """``POST /_mock/keys/rotate``."""

    def export_state(self, app_id: str | None = None) -> Json:
        """``GET /_mock/state``."""

    def import_state(self, document: Json) -> Json:
        """``POST /_mock/state``."""

    def seed(self, document: Json) -> Json:
        """``POST /_mock/seed``."""

    # shortcuts
    def mint_session(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        session_expires_in: int | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/sessions``."""

    def mint_oauth_token(
        self,
        provider: str,
        email: str,
        *,
        name: str | None = None,
        provider_subject: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/oauth/tokens``."""

    # totp/passwords
    def totp_code(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/totps/code``."""

    def set_password(
        self,
        password: str,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/passwords``."""

    def set_balance(
        self, wallet_id: str, token_symbol: str, balance: str, *, app_id: str | None = None
    ) -> Json:
        """``POST /_mock/wallets/balance``."""

    def contract_state(
        self,
        state: str | None = None,
        *,
        params: Json | None = None,
        action: str = "setup",
        states: list[str] | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/contract/states``."""

    # browsing (what the dashboard lists)
    def users(
        self, q: str | None = None, *, app_id: str | None = None, limit: int | None = None
    ) -> Json:
        """``GET /_mock/users``."""

    def user(self, user_id: str, *, app_id: str | None = None) -> Json:
        """``GET /_mock/users/<user_id>``."""

    def delete_user(self, user_id: str, *, app_id: str | None = None) -> Json:
        """``DELETE /_mock/users/<user_id>``."""

    def sessions(self, app_id: str | None = None, *, limit: int | None = None) -> Json:
        """``GET /_mock/sessions``."""

    def revoke_session(self, session_id: str, *, app_id: str | None = None) -> Json:
        """``DELETE /_mock/sessions/<session_id>``."""

    def extend_session(self, session_id: str, minutes: int, *, app_id: str | None = None) -> Json:
        """``POST /_mock/sessions/<session_id>/extend``."""

    # transfers (issue 26)
    def transfers(self, *, app_id: str | None = None, user_id: str | None = None) -> Json:
        """``GET /_mock/transfers``."""

    def fail_transfer(
        self, transfer_id: str, *, reason: str | None = None, app_id: str | None = None
    ) -> Json:
        """``POST /_mock/transfers/<transfer_id>/fail``."""
