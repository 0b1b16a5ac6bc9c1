"""Put state into a running fake over HTTP: sessions to verify/list/delete, passcodes to verify.

Sessions come from the control API when the fake has one (``POST /_mock/seed`` in batches, else
``POST /_mock/sessions`` one by one), else from the real login flow (``otps/email/login_or_create``
then ``otps/verify``), reading each code from the fake's console (or ``GET /_mock/outbox``).
Calls run on several keep-alive connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from .client import Http
from .servers import Server

T = TypeVar("T")
LOGIN = "/v1/auth/otps/email/login_or_create"
VERIFY_OTP = "/v1/auth/otps/verify"
SEED = "/_mock/seed"
MINT = "/_mock/sessions"
BATCH = 1000


@dataclass(frozen=True)
class Login:
    """A stored session: its user and opaque token."""

    email: str
    user_id: str
    token: str


class SeedError(RuntimeError):
    """The fake refused to be seeded."""


def _user_id(body: dict[str, Any]) -> str:
    if isinstance(body.get("user_id"), str):
        return str(body["user_id"])
    for holder in ("session", "user"):
        inner = body.get(holder)
        if isinstance(inner, dict) and isinstance(inner.get("user_id"), str):
            return str(inner["user_id"])
    raise SeedError(f"no user_id in {sorted(body)}")


class Seeder:
    """Seeds one fake; probes once which way of making sessions it offers.

    Args:
        server: the running fake (its console carries the passcodes).
        key: the default app's secret key.
        workers: parallel connections.
    """

    def __init__(self, server: Server, key: str, workers: int = 8) -> None:
        self.server = server
        self.key = key
        self.workers = workers
        self._local = threading.local()
        status, _ = self._http().call("GET", "/_mock/health")
        self.control = status == 200
        self.bulk = self.control and self._probe(lambda: self._seed(["probe1@bench.test"]))
        self.mint = self.control  # session() mints while this is True
        self.mint = self.mint and self._probe(lambda: [self.session("probe2@bench.test")])
        self.method = "HTTP login flow"
        if self.bulk or self.mint:
            self.method = f"control API ({SEED if self.bulk else MINT})"

    def _http(self) -> Http:
        client: Http | None = getattr(self._local, "http", None)
        if client is None:
            client = self._local.http = Http(self.server.port, self.key)
        return client

    def _parallel(self, work: Callable[[str], T], items: Sequence[str]) -> list[T]:
        with ThreadPoolExecutor(self.workers, thread_name_prefix="seed") as pool:
            return list(pool.map(work, items, chunksize=64))

    @staticmethod
    def _probe(attempt: Callable[[], list[Login]]) -> bool:
        try:
            return len(attempt()) == 1
        except (SeedError, KeyError, TypeError):
            return False

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = self._http().call("POST", path, body)
        if status != 200 or not isinstance(answer, dict):
            raise SeedError(f"POST {path} {body} answered {status}: {answer}")
        return answer

    # --- sessions --------------------------------------------------------------------
    def session(self, email: str) -> Login:
        """One new session for ``email`` (the user is created when missing)."""
        if self.mint:
            body = self._post(MINT, {"email": email})
        else:
            email, code = self.pending_code(email)
            body = self._post(VERIFY_OTP, {"email": email, "code": code})
        return Login(email, _user_id(body), str(body["session_token"]))

    def _seed(self, emails: Sequence[str]) -> list[Login]:
        """One batch through ``POST /_mock/seed``: new users, one session each."""
        users = [{"email": e} for e in emails]
        made = self._post(SEED, {"users": users, "sessions": users})["sessions"]
        return [
            Login(e, m["user_id"], m["session_token"]) for e, m in zip(emails, made, strict=True)
        ]

    def sessions(self, emails: Sequence[str]) -> list[Login]:
        """One session per (new) email: in batches, else in parallel one by one."""
        if self.bulk:
            batches = [emails[i : i + BATCH] for i in range(0, len(emails), BATCH)]
            return [login for batch in batches for login in self._seed(batch)]
        return self._parallel(self.session, emails)

    # --- passcodes -------------------------------------------------------------------
    def pending_code(self, email: str) -> tuple[str, str]:
        """Send ``email`` a passcode (creating the user); returns (email, code)."""
        self._post(LOGIN, {"email": email})
        code = self.server.code_for(email, timeout=10)
        if code is None and self.control:
            status, body = self._http().call("GET", f"/_mock/outbox?kind=otp&to={quote(email)}")
            messages = body.get("messages", []) if status == 200 and body else []
            code = str(messages[0]["code"]) if messages else None
        if code is None:
            raise SeedError(f"no passcode for {email} on the console nor in the outbox")
        return email, code

    def pending_codes(self, emails: Sequence[str]) -> list[tuple[str, str]]:
        """A pending passcode for each email, in parallel."""
        return self._parallel(self.pending_code, emails)
