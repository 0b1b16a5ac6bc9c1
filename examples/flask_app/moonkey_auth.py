"""MoonKey on the backend: a tiny REST client and the seed guide's ``require_auth`` middleware.

The middleware keeps the seed's shape (``session-token`` header, ``POST /v1/auth/sessions/verify``
with the secret key, 401 when the session is not valid, 500 when verification fails) with one
change the tests pin down: only a MoonKey answer that says the *session* is bad logs the user
out. The seed's snippet turns every non-200 into a 401, so a MoonKey outage (503) would log every
user out; here it is the 500 "verification failed" path instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import requests
from flask import Response, current_app, g, jsonify, request

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_API_URL = "https://api.moonkey.fun"
# MoonKey statuses that mean "this session token is no good", not "MoonKey is unwell".
SESSION_REJECTED = frozenset({400, 401, 404})


class MoonKey:
    """Calls MoonKey's REST API with the app's secret key.

    Args:
        api_url: MoonKey's base URL (``MOONKEY_API_URL``).
        secret_key: the app's secret key (``MOONKEY_SECRET_KEY``); never sent to browsers.
        timeout: seconds per call.
    """

    def __init__(self, api_url: str, secret_key: str, timeout: float = 5.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {secret_key}"
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, **query: str) -> requests.Response:
        """One API call; raises ``requests.RequestException`` on network trouble."""
        return self.http.request(
            method, self.api_url + path, json=body, params=query or None, timeout=self.timeout
        )


def moonkey() -> MoonKey:
    """The current Flask app's MoonKey client."""
    client: MoonKey = current_app.extensions["moonkey"]
    return client


def require_auth(view: Callable[P, R]) -> Callable[P, R | tuple[Response, int]]:
    """The seed's middleware: verify the ``session-token`` header with MoonKey on every request.

    On success ``g.user``, ``g.session`` and ``g.session_token`` are set for the view.
    """

    @wraps(view)
    def decorated(*args: P.args, **kwargs: P.kwargs) -> R | tuple[Response, int]:
        session_token = request.headers.get("session-token")
        if not session_token:
            return jsonify({"error": "No session token provided"}), 401
        try:
            response = moonkey().call(
                "POST", "/v1/auth/sessions/verify", {"session_token": session_token}
            )
            if response.status_code in SESSION_REJECTED:
                return jsonify({"error": "Invalid session"}), 401
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError):
            return jsonify({"error": "Session verification failed"}), 500
        g.user = data["user"]
        g.session = data["session"]
        g.session_token = session_token
        return view(*args, **kwargs)

    return decorated


def require_factor(
    factor_type: str,
) -> Callable[[Callable[P, R]], Callable[P, R | tuple[Response, int]]]:
    """Step-up: after :func:`require_auth`, the session must hold a ``factor_type`` factor.

    Otherwise 403 with ``step_up: <factor_type>``, so the client asks for it (for example a TOTP
    code) and retries with the session token the step-up returned.
    """

    def wrap(view: Callable[P, R]) -> Callable[P, R | tuple[Response, int]]:
        @wraps(view)
        def decorated(*args: P.args, **kwargs: P.kwargs) -> R | tuple[Response, int]:
            held = {f.get("type") for f in g.session.get("factors", [])}
            if factor_type not in held:
                return jsonify({"error": "Step-up required", "step_up": factor_type}), 403
            return view(*args, **kwargs)

        return decorated

    return wrap
