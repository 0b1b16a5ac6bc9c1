"""What the plugin's fixtures hand out: the shared fake, and one test's own app on it.

:class:`MoonkeyMockServer` is the session's fake (in-process or external); :class:`MoonkeyMock`
is a test's isolated app with helpers for login, time, faults, outbox and journal. Heavy
imports (the fake, ``requests``) happen on first use so that merely having the plugin installed
costs a pytest run nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from conformance.session_tokens import SessionTokens

if TYPE_CHECKING:
    import pytest
    import requests
    from requests import Response

    from conformance.control_client import MockControl
    from conformance.passkey import Passkey
    from conformance.server import MockServer
    from conformance.wallet import MockWallet
    from mock_server import MockConfig

HTTP_TIMEOUT = 10.0
OTP_WAIT_SECONDS = 5.0


__all__ = ["MoonkeyMock", "MoonkeyMockError", "MoonkeyMockServer", "SessionTokens"]


class MoonkeyMockError(RuntimeError):
    """A helper's call to the fake did not succeed (the message says which and why)."""


class MoonkeyMockServer:
    """The fake a test session shares.

    Attributes:
        url: base URL of the MoonKey API and of the control API (``/_mock/``).
        control: control-API client acting on the fake's default app.
        server: the in-process server, or None when the fake is external.
        http: the HTTP session the helpers call the API with.
    """

    def __init__(self, url: str, control: MockControl, server: MockServer | None = None) -> None:
        import requests

        self.url = url
        self.control = control
        self.server = server
        self.http: requests.Session = requests.Session()

    @classmethod
    def in_process(cls, config: MockConfig | None = None) -> MoonkeyMockServer:
        """Start the fake in a thread on ``127.0.0.1:<free port>`` (strict, control API on)."""
        from conformance.control_client import MockControl
        from conformance.server import MockServer
        from mock_server import MockConfig

        server = MockServer(config or MockConfig.from_env(strict=True, control=True)).start()
        control = MockControl(server.url, admin_token=server.config.admin_token)
        return cls(server.url, control, server)

    @classmethod
    def external(cls, url: str, admin_token: str | None = None) -> MoonkeyMockServer:
        """Use a fake that is already running at ``url`` (checked through ``/_mock/health``).

        A set-up mistake (no scheme, nothing listening, not moonkey-mock, control API off or
        guarded by another admin token) raises one :class:`pytest.UsageError` saying the fix.
        """
        import pytest
        import requests

        from conformance.control_client import ControlError, MockControl
        from conformance.target import TargetError, check_url, reason
        from mock_server import MockConfig

        try:
            url = check_url(url, option="--moonkey-mock-url (MOONKEY_MOCK_URL)")
        except TargetError as error:
            raise pytest.UsageError(f"moonkey-mock: {error}") from None
        token = admin_token or MockConfig.from_env().admin_token
        control = MockControl(url, admin_token=token, timeout=5.0)
        try:
            health = control.health()
        except requests.JSONDecodeError:  # an answer, but not JSON: some other web server
            health = {}
        except requests.RequestException as error:
            raise pytest.UsageError(
                f"moonkey-mock: no fake answers at {url}: {reason(error)}. Start one with "
                "'moonkey-mock serve' or drop --moonkey-mock-url to use one in-process."
            ) from None
        except ControlError as error:
            fix = (
                "pass its --admin-token with --moonkey-mock-admin-token"
                if error.status == 401
                else "start it without --no-control (the plugin needs /_mock/)"
            )
            raise pytest.UsageError(
                f"moonkey-mock: {url}/_mock/health answered {error.status}: {fix}"
            ) from None
        if not isinstance(health, dict) or health.get("service") != "moonkey-mock":
            raise pytest.UsageError(
                f"moonkey-mock: {url} is not a moonkey-mock fake (/_mock/health did not answer "
                "as moonkey-mock): check --moonkey-mock-url"
            )
        return cls(url, control)

    @property
    def external_fake(self) -> bool:
        """Whether the fake runs outside this process (no crash re-raise, no freezegun)."""
        return self.server is None

    def raise_crashes(self) -> None:
        """Re-raise the first exception the in-process fake recorded since the last call."""
        if self.server is not None:
            self.server.raise_crashes()

    def reset_clock(self) -> None:
        """Put the fake's clock back on real (or freezegun's) time."""
        if self.server is not None:
            self.server.state.clock.reset()
        else:
            self.control.reset_clock()

    def new_app(self, request: pytest.FixtureRequest, settings: dict[str, Any]) -> MoonkeyMock:
        """A fresh app with its own keys for one test (named after the test)."""
        created = self.control.create_app(**{"name": request.node.nodeid[-200:], **settings})
        return MoonkeyMock(self, created, request)

    def close(self) -> None:
        """Stop the in-process fake and close every connection."""
        self.http.close()
        self.control.http.close()
        if self.server is not None:
            self.server.stop()


class MoonkeyMock:
    """One test's own app on the fake, and the helpers to drive the fake for it.

    Attributes:
        base_url: the MoonKey API's base URL (point your app's API URL here).
        app_id: this test's app.
        secret_key: the app's secret key (``sk_test_…``).
        public_token: the app's public token (``pk_test_…``).
        control: control-API client scoped to this app (everything the helpers do not wrap).
    """

    def __init__(
        self, server: MoonkeyMockServer, app: dict[str, Any], request: pytest.FixtureRequest
    ) -> None:
        self.server = server
        self.base_url = server.url
        self.app_id = str(app["app_id"])
        self.secret_key = str(app.get("secret_key") or app["secret_keys"][0])
        self.public_token = str(app["public_token"])
        self.control = server.control.for_app(self.app_id)
        self._request = request
        self._moved_time = False

    # --- where the app under test finds the fake ---------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """The environment variables an app reads to find MoonKey and its keys."""
        return {
            "MOONKEY_API_URL": self.base_url,
            "MOONKEY_BASE_URL": self.base_url,
            "MOONKEY_SECRET_KEY": self.secret_key,
            "MOONKEY_PUBLIC_TOKEN": self.public_token,
            "MOONKEY_APP_ID": self.app_id,
        }

    def monkeypatch_env(self) -> dict[str, str]:
        """Put :attr:`env` into ``os.environ`` for this test (undone after it); returns it."""
        monkeypatch: pytest.MonkeyPatch = self._request.getfixturevalue("monkeypatch")
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        return self.env

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <secret key>`` for direct API calls."""
        return {"Authorization": f"Bearer {self.secret_key}"}

    def api(self, method: str, path: str, json: Any = None, **params: Any) -> Response:
        """Call the MoonKey API as this app (``api("POST", "/v1/auth/sessions/verify", {...})``)."""
        return self.server.http.request(
            method,
            self.base_url + path,
            json=json,
            params=params or None,
            headers=self.headers,
            timeout=HTTP_TIMEOUT,
        )

    # --- sessions ------------------------------------------------------------------------
    def login(
        self,
        email: str,
        *,
        session_expires_in: int | None = None,
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> SessionTokens:
        """Log ``email`` in through the real OTP flow over HTTP (created if new).

        LoginOrCreateUserByEmailOtp, then the passcode from the outbox, then VerifyOtp (with
        ``session_expires_in`` minutes and a ``device_fingerprint`` when given). Both calls
        appear in the journal.
        """
        self._ok(self.api("POST", "/v1/auth/otps/email/login_or_create", {"email": email}))
        body: dict[str, Any] = {"email": email, "code": self.last_code(email)}
        if session_expires_in is not None:
            body["session_expires_in"] = session_expires_in
        if user_agent is not None or ip is not None:
            body["device_fingerprint"] = {"user_agent": user_agent or "", "ip": ip or ""}
        return SessionTokens.from_body(self._ok(self.api("POST", "/v1/auth/otps/verify", body)))

    def session(
        self,
        email: str | None = None,
        *,
        user_id: str | None = None,
        session_expires_in: int | None = None,
    ) -> SessionTokens:
        """A session without any login flow (the control API's shortcut; not journaled)."""
        minted = self.control.mint_session(
            email=email, user_id=user_id, session_expires_in=session_expires_in
        )
        return SessionTokens.from_body(minted)

    # --- time (one clock for the whole fake; restored after the test) ---------------------
    def now(self) -> float:
        """The fake's current time (unix seconds)."""
        return self.control.now()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> float:
        """Move the fake's clock forward; returns the new time (unix seconds)."""
        self._moved_time = True
        self.control.advance(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self.now()

    def freeze(self) -> float:
        """Stop the fake's clock; returns the time it stands at."""
        self._moved_time = True
        self.control.freeze()
        return self.now()

    def unfreeze(self) -> float:
        """Let the fake's clock run again from where it stands."""
        self.control.unfreeze()
        return self.now()

    def set_time(self, at: float | str, *, freeze: bool | None = None) -> float:
        """Jump to ``at`` (unix seconds or ISO-8601); ``freeze`` also stops or starts it."""
        self._moved_time = True
        self.control.set_time(at, freeze=freeze)
        return self.now()

    # --- faults (only this app's calls are affected) ---------------------------------------
    def fail_next(
        self, operation_id: str, status: int = 503, *, times: int = 1, **rule: Any
    ) -> dict[str, Any]:
        """Answer the next ``times`` calls of ``operation_id`` with ``status`` (D9 envelope)."""
        return self.control.fail_next(operation_id, status=status, times=times, **rule)

    def delay(self, operation_id: str, ms: int, *, times: int = 1, **rule: Any) -> dict[str, Any]:
        """Answer the next ``times`` calls of ``operation_id`` normally, ``ms`` late."""
        return self.control.add_fault(
            operation_id, action="delay", delay_ms=ms, times=times, **rule
        )

    def drop(self, operation_id: str, *, times: int = 1, **rule: Any) -> dict[str, Any]:
        """Close the connection without an answer on the next ``times`` calls."""
        return self.control.add_fault(operation_id, action="drop", times=times, **rule)

    # --- what the fake "sent" and what it was asked ----------------------------------------
    def outbox(self, email: str | None = None, *, kind: str | None = None) -> list[dict[str, Any]]:
        """Messages sent (to ``email``), newest first: ``{to, kind, code, token, link, …}``."""
        return self.control.outbox(email, kind=kind)

    def last_code(self, email: str, *, wait: float = OTP_WAIT_SECONDS) -> str:
        """The newest passcode sent to ``email`` (waits up to ``wait`` seconds for one)."""
        return self.control.latest_code(email, wait=wait)

    def requests(self, operation_id: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """This app's journal entries: ``{operation_id, status, method, path, body, …}``."""
        return self.control.requests(operation_id=operation_id, **filters)

    def request_count(self, operation_id: str | None = None, **filters: Any) -> int:
        """How many calls of ``operation_id`` (matching ``filters``) this app made."""
        return self.control.request_count(operation_id=operation_id, **filters)

    # --- plumbing ------------------------------------------------------------------------
    def _raise_external_crashes(self) -> None:
        """An external fake's crashes show as 500s no fault injected (its log has the trace)."""
        crashed = self.control.requests(status=500, injected=False)
        if crashed:
            calls = ", ".join(sorted({f"{e['method']} {e['path']}" for e in crashed}))
            raise MoonkeyMockError(
                f"the external fake answered 500 internal_error to {calls} during this test "
                "(a crash inside the fake: see its log)"
            )

    def _ok(self, response: Response) -> dict[str, Any]:
        try:
            body: dict[str, Any] = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code != 200:
            message = body.get("error_message", response.text[:200])
            raise MoonkeyMockError(
                f"{response.request.method} {response.request.path_url} answered "
                f"{response.status_code}: {message}"
            )
        return body

    # --- wallets (issue 12) ------------------------------------------------------------------
    def wallet(self, chain: str = "ethereum", *, wallet_type: str | None = None) -> MockWallet:
        """A wallet with a fresh key on ``chain`` (``ethereum``/``solana``) for this app.

        ``wallet.login()`` logs it in (begin, sign, VerifyWallet) and ``wallet.siwe_login()``
        through Sign-In with Ethereum/Solana, each returning :class:`SessionTokens`; SIWE times
        follow the fake's clock. ``wallet_type="ETH"`` sends the Streambird-era spelling.
        """
        from conformance.wallet import MockWallet

        return MockWallet(
            chain,
            post=lambda path, body: self._ok(self.api("POST", path, body)),
            now=self.now,
            wallet_type=wallet_type,
        )

    def close(self) -> None:
        """After the test: surface crashes, restore the clock, delete the app."""
        try:
            self.server.raise_crashes()
            if self.server.external_fake:
                self._raise_external_crashes()
        finally:
            if self._moved_time or not self.server.external_fake:
                self.server.reset_clock()
            self.server.control.delete_app(self.app_id)

    # --- wallet import (issue 26) ----------------------------------------------------------
    def import_wallet(
        self,
        user_id: str,
        wallet_type: str = "ethereum",
        *,
        private_key: str | bytes | None = None,
        mnemonic: str | None = None,
        account_index: int = 0,
        public_address: str | None = None,
    ) -> dict[str, Any]:
        """Import a wallet for ``user_id``: BeginWalletImport, HPKE encryption, ImportWallet.

        ``private_key`` (Ethereum hex, Solana base58 keypair or seed, or raw bytes) or
        ``mnemonic`` with ``account_index``; ``public_address`` defaults to the key's address.
        Returns the wallet answered (``is_imported: true``); a refusal raises
        :class:`MoonkeyMockError` with the fake's message.
        """
        from conformance import wallet_import

        return wallet_import.import_wallet(
            lambda path, body: self._ok(self.api("POST", path, body)),
            user_id,
            wallet_type,
            private_key=private_key,
            mnemonic=mnemonic,
            account_index=account_index,
            public_address=public_address,
        )

    @staticmethod
    def encrypt_for_import(public_key_b64: str, plaintext: bytes | str) -> tuple[str, str]:
        """``(encapsulated_key, ciphertext)`` in base64: ``plaintext`` sealed with HPKE to
        BeginWalletImport's ``encryption_public_key`` (decisions M61)."""
        from conformance import wallet_import

        return wallet_import.encrypt_for_import(public_key_b64, plaintext)

    # --- TOTP and passwords ----------------------------------------------------------------
    def totp_code(self, user: str) -> str:
        """A code ``user``'s TOTP accepts now on the fake's clock (``user``: id or email).

        The current 30-second step's code, or the next one's when the current was used.
        """
        return str(self.control.totp_code(**_user_ref(user))["code"])

    def enroll_totp(self, user: str) -> dict[str, Any]:
        """Create and verify a TOTP for ``user`` (id or email) over the API (no session made).

        Returns CreateTOTP's answer (``totp_id``, ``secret``, ``recovery_codes``, …).
        """
        user_id = self._user_id(user)
        created = self._ok(self.api("POST", "/v1/auth/totps/create", {"user_id": user_id}))
        body = {"user_id": user_id, "totp": self.totp_code(user_id)}
        self._ok(self.api("POST", "/v1/auth/totps/verify", body))
        return created

    def set_password(self, user: str, password: str) -> None:
        """Give ``user`` (id or email) a password without a session (control API)."""
        self.control.set_password(password, **_user_ref(user))

    def _user_id(self, user: str) -> str:
        if user.startswith("user_"):
            return user
        field = "phone_number" if user.startswith("+") else "email"
        rule = {"field": field, "operator": "eq", "value": user}
        body = {"filters": {"operator": "AND", "fields": [rule]}}
        found = self._ok(self.api("POST", "/v1/auth/users/search", body))["users"]
        if not found:
            raise MoonkeyMockError(f"no user with {field} {user!r} in app {self.app_id}")
        return str(found[0]["user_id"])

    # --- managed wallets (issue 26) ---------------------------------------------------------
    def create_wallet(self, user: str, wallet_type: str = "ETH") -> dict[str, Any]:
        """CreateWallet for ``user`` (id or email) over the API; the Wallet (the same one again
        for a chain the user has a managed wallet of already)."""
        body = {"user_id": self._user_id(user), "wallet_type": wallet_type}
        return self._ok(self.api("POST", "/v1/wallets/create", body))

    def set_balance(
        self, wallet_id: str, token_symbol: str, balance: str | int | Decimal
    ) -> dict[str, Any]:
        """Set what GetWalletBalance answers (``set_balance(wallet_id, "ETH", "1.5")``).

        ``balance`` is a decimal string, an int or a :class:`~decimal.Decimal` (never a float:
        binary fractions are not the amounts a test means); returns the control's answer.
        """
        if isinstance(balance, float) or not isinstance(balance, str | int | Decimal):
            raise TypeError("balance: give a decimal string, an int or a Decimal, not a float")
        text = balance if isinstance(balance, str) else format(Decimal(balance), "f")
        return self.control.set_balance(wallet_id, token_symbol, text)

    def balance(self, wallet_id: str, token_symbol: str) -> Decimal:
        """GetWalletBalance over the API, as a :class:`~decimal.Decimal`."""
        body = {"wallet_id": wallet_id, "token_symbol": token_symbol}
        return Decimal(self._ok(self.api("POST", "/v1/wallets/balance", body))["balance"])

    def fail_transfer(self, transfer_id: str, reason: str = "") -> dict[str, Any]:
        """Make a pending transfer fail now; its funds go back to the source (M51).

        Returns the control's view of the transfer (``status: "failed"``, ``failure_reason``).
        """
        return self.control.fail_transfer(transfer_id, reason=reason or None)

    # --- webauthn (passkeys) ----------------------------------------------------------------
    def passkey(self, origin: str = "http://localhost", **options: Any) -> Passkey:
        """A software authenticator for ``origin`` (see :class:`conformance.passkey.Passkey`)."""
        from conformance.passkey import Passkey

        return Passkey(origin, **options)

    def register_passkey(
        self, user_id: str, passkey: Passkey | None = None, *, domain: str = "localhost"
    ) -> tuple[Passkey, str]:
        """Register a passkey for ``user_id`` over HTTP: begin, create; returns it and its id."""
        passkey = passkey or self.passkey()
        begin = self._ok(
            self.api(
                "POST",
                "/v1/auth/webauthn/registrations/begin",
                {"user_id": user_id, "domain": domain},
            )
        )
        credential = passkey.create(begin["public_key_credential_creation_options"])
        created = self._ok(
            self.api(
                "POST",
                "/v1/auth/webauthn/registrations/create",
                {"user_id": user_id, "public_key_credential": credential},
            )
        )
        return passkey, str(created["webauthn_credential_id"])

    def passkey_login(
        self,
        user_id: str,
        passkey: Passkey,
        *,
        domain: str = "localhost",
        session_expires_in: int | None = None,
        session_token: str | None = None,
    ) -> SessionTokens:
        """Sign ``user_id`` in with ``passkey`` over HTTP (begin, then verify the assertion)."""
        begin = self._ok(
            self.api(
                "POST",
                "/v1/auth/webauthn/authentication/begin",
                {"user_id": user_id, "domain": domain},
            )
        )
        body: dict[str, Any] = {
            "public_key_credential": passkey.get(begin["public_key_credential_request_options"])
        }
        if session_expires_in is not None:
            body["session_expires_in"] = session_expires_in
        if session_token is not None:
            body["session_token"] = session_token
        return SessionTokens.from_body(self._ok(self.api("POST", "/v1/auth/webauthn/verify", body)))


def _user_ref(user: str) -> dict[str, str]:
    """``user_id=`` for a ``user_…`` id, ``phone_number=`` for ``+…``, else ``email=``."""
    if user.startswith("user_"):
        return {"user_id": user}
    if user.startswith("+"):
        return {"phone_number": user}
    return {"email": user}
