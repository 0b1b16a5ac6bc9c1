"""``GET /``, ``GET /_mock/``, ``GET /openapi.yaml``, ``GET /README.md``: where things are.

The index answers a browser in HTML and ``Accept: application/json`` (or curl's ``*/*``) in
JSON. Its links are paths relative to the fake's root, never built from the request's ``Host``.
``/_mock/`` exists only with the control API on (and then asks for the admin token like the
rest of it); with the control API off, ``/`` says so. The dashboard (``/_mock/ui``) is linked
whenever the control API is on.
"""

from __future__ import annotations

from html import escape
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any

from flask import Flask, Response, request

from .call import Reply
from .control.routes import guard
from .errors import ApiError
from .pipeline import error_reply, render
from .spec import default_spec_path
from .state import MockState
from .version import package_version

DASHBOARD = "/_mock/ui"


def install(app: Flask, state: MockState) -> None:
    """Add the index routes to ``app``."""
    spec_path = state.spec.path if state.spec.path.exists() else default_spec_path()

    def index() -> Response:
        return _answer(_links(state))

    def control_index() -> Response:
        try:
            guard(state)  # the control API's Host, Origin and admin-token checks
        except ApiError as error:
            return render(error_reply(state, error))
        return _answer(_links(state))

    def api_spec() -> Response:
        return Response(spec_path.read_bytes(), mimetype="application/yaml")

    def readme() -> Response:
        return Response(_readme(), mimetype="text/markdown")

    app.add_url_rule("/", "moonkey_mock_index", index, methods=["GET"])
    app.add_url_rule("/openapi.yaml", "moonkey_mock_api_spec", api_spec, methods=["GET"])
    app.add_url_rule("/README.md", "moonkey_mock_readme", readme, methods=["GET"])
    if state.config.control_enabled:
        app.add_url_rule("/_mock/", "moonkey_mock_control_index", control_index, methods=["GET"])


def _links(state: MockState) -> dict[str, Any]:
    config = state.config
    body: dict[str, Any] = {
        "service": "moonkey-mock",
        "version": package_version(),
        "description": "A fake of the MoonKey auth API for tests",
        "api_spec": "/openapi.yaml",
        "docs": "/README.md",
        "default_app_id": config.app_id,
    }
    if not config.control_enabled:
        body["control"] = {
            "enabled": False,
            "why": "off: the fake is not bound to loopback or was started with --no-control "
            "(serve --control turns it on)",
        }
        return body
    body["control"] = {
        "enabled": True,
        "index": "/_mock/",
        "spec": "/_mock/openapi.yaml",
        "health": "/_mock/health",
        "dashboard": DASHBOARD,  # served whenever the control API is
        "admin_token_required": bool(config.admin_token),
    }
    return body


def _answer(body: dict[str, Any]) -> Response:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if best == "text/html":
        return Response(_html(body), mimetype="text/html")
    return render(Reply(body))


def _html(body: dict[str, Any]) -> str:
    control = body["control"]
    items = [
        ("API spec (OpenAPI)", body["api_spec"]),
        ("Documentation (README)", body["docs"]),
    ]
    if control["enabled"]:
        items.append(("Control API spec", control["spec"]))
        items.append(("Control API health", control["health"]))
        if control["dashboard"]:
            items.append(("Dashboard", control["dashboard"]))
    links = "\n".join(
        f'<li><a href="{escape(href)}">{escape(label)}</a> <code>{escape(href)}</code></li>'
        for label, href in items
    )
    state = (
        "on" + (" (admin token required)" if control["admin_token_required"] else "")
        if control["enabled"]
        else control["why"]
    )
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>moonkey-mock {escape(body['version'])}</title></head>\n<body>\n"
        f"<h1>moonkey-mock {escape(body['version'])}</h1>\n"
        f"<p>{escape(body['description'])}. Default app: "
        f"<code>{escape(body['default_app_id'])}</code>. Control API: {escape(state)}.</p>\n"
        f"<ul>\n{links}\n</ul>\n</body></html>\n"
    )


def _readme() -> str:
    try:
        text = metadata("moonkey-mock").get_payload()  # type: ignore[attr-defined]
    except PackageNotFoundError:
        text = None
    return str(text) if text else "# moonkey-mock\n\nSee README.md in the package's source.\n"
