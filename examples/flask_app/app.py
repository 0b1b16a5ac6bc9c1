"""A small Flask app that signs users in with MoonKey email passcodes (the seed guide's patterns).

Configuration (from ``create_app(config)`` or the environment): ``MOONKEY_API_URL`` (default
``https://api.moonkey.fun``), ``MOONKEY_SECRET_KEY``, ``MOONKEY_TIMEOUT`` (seconds).

Routes:
    POST   /api/login/start        {email}: MoonKey emails a passcode
    POST   /api/login/verify       {email, code, remember_me}: 30-day or 1-day session
    GET    /api/profile            the signed-in user
    POST   /api/logout             ends this session (DeleteSession)
    GET    /api/sessions           "session management UI": the user's devices
    DELETE /api/sessions/<id>      sign another device out
    POST   /api/mfa/totp/setup     start an authenticator app (QR code, recovery codes)
    POST   /api/mfa/totp/verify    {code}: add a TOTP factor to this session (step-up)
    GET    /api/billing            needs a TOTP factor on the session ("step-up" page)

Run it: ``MOONKEY_API_URL=http://127.0.0.1:8080 MOONKEY_SECRET_KEY=sk_test_… flask --app app run``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
from flask import Blueprint, Flask, Response, g, jsonify, request
from moonkey_auth import DEFAULT_API_URL, MoonKey, moonkey, require_auth, require_factor

REMEMBER_ME_MINUTES = 43_200  # 30 days (seed: "Remember me")
SHORT_SESSION_MINUTES = 1_440  # 1 day (seed: "Short session")

api = Blueprint("api", __name__, url_prefix="/api")
Reply = tuple[Response, int]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the ``MOONKEY_*`` environment variables."""
    app = Flask(__name__)
    app.config.from_mapping(
        MOONKEY_API_URL=os.environ.get("MOONKEY_API_URL", DEFAULT_API_URL),
        MOONKEY_SECRET_KEY=os.environ.get("MOONKEY_SECRET_KEY", ""),
        MOONKEY_TIMEOUT=float(os.environ.get("MOONKEY_TIMEOUT", "5")),
    )
    app.config.from_mapping(config or {})
    app.extensions["moonkey"] = MoonKey(
        app.config["MOONKEY_API_URL"],
        app.config["MOONKEY_SECRET_KEY"],
        float(app.config["MOONKEY_TIMEOUT"]),
    )
    app.register_blueprint(api)
    app.register_error_handler(requests.RequestException, _unreachable)
    return app


def _unreachable(error: requests.RequestException) -> Reply:
    return jsonify({"error": "MoonKey is unreachable"}), 502


def _moonkey_error(response: Any) -> Reply:
    """Pass a MoonKey refusal on as a 4xx; anything else is our 502."""
    if 400 <= response.status_code < 500:
        body = response.json()
        return jsonify({"error": body.get("error_message", "Refused")}), response.status_code
    return jsonify({"error": "MoonKey is unavailable"}), 502


@api.post("/login/start")
def login_start() -> Reply:
    """Email a passcode (the user is created on first login)."""
    email = (request.get_json(silent=True) or {}).get("email", "")
    sent = moonkey().call("POST", "/v1/auth/otps/email/login_or_create", {"email": email})
    if sent.status_code != 200:
        return _moonkey_error(sent)
    return jsonify({"sent": True}), 200


@api.post("/login/verify")
def login_verify() -> Reply:
    """Check the passcode and open a session; "remember me" makes it last 30 days."""
    form = request.get_json(silent=True) or {}
    verified = moonkey().call(
        "POST",
        "/v1/auth/otps/verify",
        {
            "email": form.get("email", ""),
            "code": str(form.get("code", "")),
            "session_expires_in": (
                REMEMBER_ME_MINUTES if form.get("remember_me") else SHORT_SESSION_MINUTES
            ),
            "device_fingerprint": {
                "ip": request.remote_addr or "",
                "user_agent": request.headers.get("User-Agent", ""),
            },
        },
    )
    if verified.status_code != 200:
        return _moonkey_error(verified)
    body = verified.json()
    keep = ("session_token", "session_jwt", "user")
    return jsonify({**{k: body[k] for k in keep}, "expires_at": body["session"]["expires_at"]}), 200


@api.get("/profile")
@require_auth
def profile() -> Reply:
    """The signed-in user."""
    return jsonify({"user": g.user}), 200


@api.post("/logout")
@require_auth
def logout() -> Reply:
    """End this session at MoonKey (the client then forgets its token)."""
    done = moonkey().call("DELETE", "/v1/auth/sessions/delete", {"session_token": g.session_token})
    if done.status_code != 200:
        return _moonkey_error(done)
    return jsonify({"logged_out": True}), 200


@api.get("/sessions")
@require_auth
def list_devices() -> Reply:
    """The user's active sessions, as a "where you're signed in" page shows them."""
    found = moonkey().call("GET", "/v1/auth/sessions/list", user_id=g.user["id"])
    if found.status_code != 200:
        return _moonkey_error(found)
    devices = [
        {
            "id": s["id"],
            "created_at": s["created_at"],
            "expires_at": s["expires_at"],
            "user_agent": s["device_info"]["user_agent"],
            "ip_address": s["device_info"]["ip_address"],
            "current": s["id"] == g.session["id"],
        }
        for s in found.json()["sessions"]  # never pass other sessions' tokens to the browser
    ]
    return jsonify({"sessions": devices}), 200


@api.delete("/sessions/<session_id>")
@require_auth
def revoke_device(session_id: str) -> Reply:
    """Sign one of the user's other devices out (only the user's own sessions)."""
    found = moonkey().call("GET", "/v1/auth/sessions/list", user_id=g.user["id"])
    if found.status_code != 200:
        return _moonkey_error(found)
    if session_id not in {s["id"] for s in found.json()["sessions"]}:
        return jsonify({"error": "No such session"}), 404
    done = moonkey().call("DELETE", "/v1/auth/sessions/delete", {"session_id": session_id})
    if done.status_code != 200:
        return _moonkey_error(done)
    return jsonify({"revoked": session_id}), 200


@api.post("/mfa/totp/setup")
@require_auth
def totp_setup() -> Reply:
    """Create the user's authenticator (shown once: QR code and recovery codes)."""
    made = moonkey().call("POST", "/v1/auth/totps/create", {"user_id": g.user["id"]})
    if made.status_code != 200:
        return _moonkey_error(made)
    body = made.json()
    keep = ("totp_id", "qr_base64", "recovery_codes")
    return jsonify({k: body[k] for k in keep}), 200


@api.post("/mfa/totp/verify")
@require_auth
def totp_verify() -> Reply:
    """Step up: the authenticator's code adds a TOTP factor to this session.

    MoonKey issues a new session token when a factor is added; the client must use it.
    """
    code = str((request.get_json(silent=True) or {}).get("code", ""))
    verified = moonkey().call(
        "POST",
        "/v1/auth/totps/verify",
        {"user_id": g.user["id"], "totp": code, "session_token": g.session_token},
    )
    if verified.status_code != 200:
        return _moonkey_error(verified)
    body = verified.json()
    return jsonify(
        {"session_token": body["session_token"], "session_jwt": body["session_jwt"]}
    ), 200


@api.get("/billing")
@require_auth
@require_factor("totp")
def billing() -> Reply:
    """A page that needs a second factor: only sessions stepped up with a TOTP code."""
    return jsonify({"user_id": g.user["id"], "plan": "pro"}), 200
