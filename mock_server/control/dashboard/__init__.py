"""The dashboard at ``/_mock/ui``: pages that see and steer the fake through the control API.

The pages are Jinja templates plus one plain script (``ui/static/dashboard.js``); every read and
every action is a ``fetch`` of a ``/_mock/`` control endpoint, so the dashboard does nothing an
HTTP client of the control API cannot. Lists stay live by polling the control API about once a
second (no long-lived connections holding server threads).

With ``--admin-token`` the pages ask for the token once (a login form) and keep an HttpOnly,
``SameSite=Strict`` cookie holding a digest of it, which the control API accepts as well as
``Authorization: Bearer`` (see :func:`admin_cookie_matches`).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Blueprint, Request, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from mock_server.control.document import control_spec
from mock_server.errors import HostNotAllowed
from mock_server.pipeline import error_reply, render
from mock_server.spec import Spec
from mock_server.state import MockState

PREFIX = "/_mock/ui"
COOKIE = "moonkey_mock_admin"
COOKIE_PATH = "/_mock"
PAGES = {
    "users": "Users",
    "sessions": "Sessions",
    "outbox": "Outbox",
    "journal": "Journal",
    "faults": "Faults",
    "clock": "Clock",
    "apps": "Apps & keys",
    "state": "State",
}


def _cookie_value(token: str) -> str:
    """What the cookie holds: a digest of the token, never the token itself."""
    return hmac.new(token.encode(), b"moonkey-mock dashboard", hashlib.sha256).hexdigest()


def _same_origin(req: Request) -> bool:
    """Whether a browser request came from a page of this fake (no Origin = not a browser's)."""
    if req.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = req.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == req.host


def admin_cookie_matches(req: Request, token: str) -> bool:
    """Whether ``req`` carries the dashboard's cookie for ``token`` from a same-origin page."""
    value = req.cookies.get(COOKIE, "")
    if not value or not _same_origin(req):
        return False
    return hmac.compare_digest(value.encode(), _cookie_value(token).encode())


def _limits(spec: Spec, schema: str, field: str) -> dict[str, int]:
    """The ``minimum`` and ``maximum`` of a field of one of the served document's schemas."""
    node = spec.resolve(f"/components/schemas/{schema}")["properties"][field]
    return {"min": int(node["minimum"]), "max": int(node["maximum"])}


def blueprint(state: MockState) -> Blueprint:
    """The dashboard's pages, login form and static files under ``/_mock/ui``."""
    ui = Blueprint(
        "moonkey_mock_ui",
        __name__,
        url_prefix=PREFIX,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    token = state.config.admin_token or ""
    operations = sorted(state.spec.operations)
    extend_minutes = _limits(control_spec(), "ExtendSessionRequest", "minutes")

    @ui.before_request
    def host_guard() -> Response | None:
        """The control API's Host rule (DNS rebinding) holds for the pages too."""
        if state.config.host_allowed(request.host):
            return None
        refused = HostNotAllowed(f"Host '{request.host}' is not allowed for the dashboard")
        return render(error_reply(state, refused))

    def signed_in() -> bool:
        return not token or admin_cookie_matches(request, token)

    @ui.get("")
    @ui.get("/")
    def home() -> Response:
        app_id = request.args.get("app")
        return redirect(url_for(".page", name="users", app=app_id))

    def page(name: str) -> Response | str:
        if not signed_in():
            return redirect(url_for(".login", next=name))
        return render_template(
            f"{name}.html",
            page=name,
            pages=PAGES,
            operations=operations,
            default_app_id=state.config.app_id,
            token_required=bool(token),
            extend_minutes=extend_minutes,
        )

    for name in PAGES:  # one rule a page: /logout and /login are never taken for a page
        ui.add_url_rule(f"/{name}", "page", page, methods=["GET"], defaults={"name": name})

    @ui.route("/login", methods=["GET", "POST"])
    def login() -> Response | tuple[str, int]:
        wanted = request.values.get("next", "users")
        target = wanted if wanted in PAGES else "users"
        if not token:
            return redirect(url_for(".page", name=target))
        if request.method == "GET":
            return render_template("login.html", target=target, error=""), 200
        given = request.form.get("token", "")
        if not _same_origin(request) or not hmac.compare_digest(given.encode(), token.encode()):
            return render_template("login.html", target=target, error="Wrong token"), 401
        reply = redirect(url_for(".page", name=target))
        reply.set_cookie(
            COOKIE, _cookie_value(token), path=COOKIE_PATH, httponly=True, samesite="Strict"
        )
        return reply

    @ui.post("/logout")
    def logout() -> Response:
        reply = redirect(url_for(".login"))
        reply.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="Strict")
        return reply

    return ui
