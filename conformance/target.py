"""The deployment under test: where it is, which key to use, and which controls it offers.

Without a URL the suite starts the fake in-process (:class:`~conformance.server.MockServer`)
and uses its default app's keys. With one, it probes ``/_mock/health``: moonkey-mock answers
with the list of controls it offers (clock, faults, outbox, ...); a real MoonKey deployment has
none, and every test that needs a control is then skipped with a reason naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from conformance.client import ApiClient
from conformance.control_client import ControlError, MockControl

if TYPE_CHECKING:  # the fake is imported only when the suite starts it in-process
    from conformance.server import MockServer

SERVICE = "moonkey-mock"
PROBE_TIMEOUT = 5.0


UNKNOWN_USER = "user_" + "0" * 27
ENVELOPE_PROBE = "/v1/auth/sessions/verify"
KEY_PROBE = "/v1/auth/sessions/list"


class TargetError(RuntimeError):
    """The target cannot be used (bad URL, unreachable, not MoonKey, key refused, no key)."""


@dataclass(frozen=True)
class TargetOptions:
    """What the command line says about the target."""

    url: str | None = None
    api_key: str | None = None
    admin_token: str | None = None
    public_token: str | None = None
    real_time: bool = False


@dataclass
class Target:
    """A MoonKey deployment (or the fake) and what the suite may do with it.

    Attributes:
        base_url: the API's base URL.
        api_key: the secret key the suite authenticates with.
        public_token: the same app's public token, when known.
        health: the ``/_mock/health`` answer (None on a real deployment).
        real_time: time-dependent tests may wait for real (``--moonkey-real-time``).
        server: the in-process fake the suite started, if it did.
    """

    base_url: str
    api_key: str
    public_token: str | None = None
    health: dict[str, Any] | None = None
    admin_token: str | None = None
    real_time: bool = False
    server: MockServer | None = None
    _control: MockControl | None = field(default=None, repr=False)

    @property
    def is_fake(self) -> bool:
        """Whether the target is moonkey-mock with its control API on."""
        return self.health is not None

    @property
    def in_process(self) -> bool:
        """Whether the suite started the fake itself."""
        return self.server is not None

    @property
    def controls(self) -> frozenset[str]:
        """The controls ``/_mock/health`` lists (empty on a real deployment)."""
        return frozenset(str(c) for c in (self.health or {}).get("controls", ()))

    def has(self, control: str) -> bool:
        """Whether the target offers ``control``."""
        return control in self.controls

    def missing(self, control: str) -> str:
        """The skip reason of a test that needs ``control``."""
        where = "has no /_mock/ control API" if not self.is_fake else "does not list it"
        return (
            f"needs the '{control}' control (/_mock/{control}); the target {self.base_url} "
            f"{where} - a real deployment cannot be driven this way"
        )

    @property
    def control(self) -> MockControl:
        """The control API client (only meaningful when :attr:`is_fake`)."""
        if self._control is None:
            self._control = MockControl(self.base_url, admin_token=self.admin_token)
        return self._control

    def client(self, api_key: str | None = None) -> ApiClient:
        """An API client with the suite's secret key (or ``api_key``)."""
        return ApiClient(self.base_url, api_key or self.api_key)

    def describe(self) -> str:
        """One line for the report header."""
        kind = (
            "in-process fake"
            if self.in_process
            else "moonkey-mock"
            if self.is_fake
            else "no control API"
        )
        controls = ", ".join(sorted(self.controls)) or "none"
        timing = "real waiting allowed" if self.real_time else "no real waiting"
        return f"{self.base_url} ({kind}; controls: {controls}; {timing})"

    def close(self) -> None:
        """Stop the in-process fake, if the suite started one."""
        if self.server is not None:
            self.server.stop()


def resolve(options: TargetOptions) -> Target:
    """The target the options name, or a fresh in-process fake when they name none.

    A named target is checked once, before any rule runs (:func:`preflight`): a set-up mistake
    raises one :class:`TargetError` naming the cause and the fix.
    """
    if options.url is None:
        if options.api_key:
            raise TargetError(
                "--moonkey-api-key (--api-key) was given without --moonkey-target (--target): "
                "the in-process fake uses its own keys. Add --target URL to check a deployment."
            )
        return _in_process(options)
    base_url = check_url(options.url)
    if not options.api_key:
        raise TargetError(
            "--moonkey-target needs --moonkey-api-key (--api-key): the secret key "
            "(sk_test_...) of the app to check"
        )
    health = probe(base_url, options.admin_token)
    preflight(base_url, options.api_key)
    target = Target(
        base_url=base_url,
        api_key=options.api_key,
        public_token=options.public_token,
        health=health,
        admin_token=options.admin_token,
        real_time=options.real_time,
    )
    if target.public_token is None and target.has("apps"):
        target.public_token = _public_token_of(target)
    return target


def check_url(url: str, option: str = "--moonkey-target") -> str:
    """``url`` without its trailing slash, or a :class:`TargetError` showing the fix."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        guess = "http://" + url.strip().split("://", 1)[-1]
        raise TargetError(
            f"{option} {url!r} is not an http:// or https:// URL; did you mean {guess!r}?"
        )
    if parts.path.rstrip("/").endswith("/v1"):
        bare = url.strip().rstrip("/").removesuffix("/v1")
        raise TargetError(f"{option} {url!r} ends with /v1; give the base URL without it: {bare!r}")
    return url.strip().rstrip("/")


def unreachable(base_url: str, error: requests.RequestException) -> TargetError:
    """The one-line error for a target that does not answer."""
    return TargetError(
        f"cannot reach the target {base_url}: {reason(error)}. Is it running, and are the "
        "host and port right?"
    )


def reason(error: BaseException) -> str:
    """The root cause of a ``requests`` error in a few words (``Connection refused``)."""
    text = str(error)
    found = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if found:
        return str(found[-1]).strip()
    if isinstance(error, requests.Timeout):
        return "no answer (timed out)"
    return type(error).__name__ + (f" ({text[:120]})" if text else "")


def preflight(base_url: str, api_key: str) -> None:
    """Check once that ``base_url`` is the MoonKey API and accepts ``api_key``.

    1. an unauthenticated VerifySession answers 401 with the MoonKey error body (a JSON object
       naming ``error_type``): anything else is not the MoonKey API (or the URL has a wrong
       prefix);
    2. ListSessions of a user that does not exist, with the key, answers anything but 401: the
       key is accepted (404 ``user_not_found`` on a faithful target). Nothing is created.
    """
    http = requests.Session()
    try:
        try:
            bare = http.post(
                base_url + ENVELOPE_PROBE, json={"session_token": "x" * 64}, timeout=PROBE_TIMEOUT
            )
            keyed = http.get(
                base_url + KEY_PROBE,
                params={"user_id": UNKNOWN_USER},
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=PROBE_TIMEOUT,
            )
        except requests.RequestException as error:
            raise unreachable(base_url, error) from None
    finally:
        http.close()
    body = _json_object(bare)
    if bare.status_code != 401 or "error_type" not in body:
        seen = bare.headers.get("Content-Type", "no content type").split(";")[0]
        raise TargetError(
            f"{base_url} does not look like the MoonKey API: POST {ENVELOPE_PROBE} without a "
            f"key answered {bare.status_code} ({seen}), not 401 with a MoonKey error body "
            "(error_type, error_message). Check the URL: it is the API's base URL, without /v1."
        )
    if keyed.status_code in (401, 403):
        kind = _json_object(keyed).get("error_type", "")
        fix = (
            "that is the app's public token; pass its secret key (sk_test_... or sk_live_...)"
            if kind == "public_token_not_allowed" or api_key.startswith("pk_")
            else "pass the secret key (sk_test_...) of an app of this deployment"
        )
        raise TargetError(
            f"the API key {api_key[:12]}... was refused by {base_url} ({keyed.status_code} "
            f"{kind or 'unauthorized'}): {fix}"
        )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _in_process(options: TargetOptions) -> Target:
    from conformance.server import MockServer
    from mock_server import MockConfig

    server = MockServer(MockConfig.from_env(strict=True)).start()
    config = server.config
    return Target(
        base_url=server.url,
        api_key=config.secret_key,
        public_token=config.public_token,
        health=probe(server.url, config.admin_token),
        admin_token=config.admin_token,
        real_time=options.real_time,
        server=server,
    )


def probe(base_url: str, admin_token: str | None = None) -> dict[str, Any] | None:
    """``/_mock/health`` of moonkey-mock, or None (a real deployment, or controls off)."""
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    try:
        response = requests.get(f"{base_url}/_mock/health", headers=headers, timeout=PROBE_TIMEOUT)
    except requests.RequestException as error:
        raise unreachable(base_url, error) from None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("service") != SERVICE:
        return None
    return body


def _public_token_of(target: Target) -> str | None:
    """The public token of the app whose secret key the suite uses (apps control)."""
    try:
        listing = target.control.call("GET", "apps")
    except (ControlError, requests.RequestException, ValueError):
        return None
    apps = listing.get("apps", []) if isinstance(listing, dict) else listing
    for app in apps if isinstance(apps, list) else []:
        keys = app.get("secret_keys") or [app.get("secret_key")]
        if target.api_key in keys:
            token = app.get("public_token")
            return str(token) if token else None
    return None
