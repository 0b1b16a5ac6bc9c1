"""The fake identity provider and the fake MoonKey OAuth callback, served by the fake itself.

``GET /idp/<provider>/<authorize path>`` (the URL begin answers) shows a small form: email,
name and provider subject, with Consent and Deny buttons. ``POST`` to the same URL (a browser
submitting the form, or ``curl -d email=…``; every field is optional, a missing ``action`` is
consent) answers 302 to ``/v1/auth/oauth/<provider>/callback``, which answers 302 to the
app's login or registration redirect URL with ``?token=…``, or ``?error=access_denied``.

These routes are not API operations: they are not in ``openapi.yaml`` and stay up when the
control API is disabled. Errors use the D9 envelope (400 unless said): ``unsupported_provider``,
``invalid_state`` (unknown, used or expired state), ``invalid_client``,
``redirect_uri_mismatch``, ``unsupported_response_type``, ``invalid_grant``,
``validation_error`` and 404 ``not_found``.
"""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .domain import oauth
from .errors import NotFound, ValidationError
from .models import OAuthState
from .pipeline import error_reply, render
from .state import MockState

DEFAULT_EMAIL = "user@example.com"
DEFAULT_NAME = "Test User"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with {title} (moonkey-mock)</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:3em auto}}label{{display:block;
margin:.8em 0}}input{{width:100%;padding:.3em}}button{{margin:1em .5em 0 0;padding:.4em 1.2em}}
</style></head>
<body><h1>Sign in with {title}</h1>
<p>This is moonkey-mock's fake {title}. The app asks for <code>{scope}</code>.</p>
<form method="post" action="{action}">
<label>Email <input id="email" name="email" type="email" value="{email}" required></label>
<label>Name <input id="name" name="name" value="{name}"></label>
<label>Provider subject <input id="provider_subject" name="provider_subject"
 placeholder="empty: derived from the email"></label>
<button id="consent" type="submit" name="action" value="consent">Consent</button>
<button id="deny" type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form></body></html>
"""


def blueprint(state: MockState) -> Blueprint:
    """The provider pages and the callback, bound to one fake's state."""
    bp = Blueprint("moonkey_mock_idp", __name__)

    @bp.route("/idp/<name>/<path:rest>", methods=["GET", "POST"])
    def authorize(name: str, rest: str) -> BaseResponse:
        try:
            return _authorize(state, name, rest)
        except Exception as error:  # noqa: BLE001 - the pipeline's one error path
            return render(error_reply(state, error))

    @bp.route("/v1/auth/oauth/<name>/callback", methods=["GET", "POST"])
    def callback(name: str) -> BaseResponse:
        try:
            values = request.values.to_dict()
            return redirect(state.store.run(lambda: oauth.callback(state, name, values)), 302)
        except Exception as error:  # noqa: BLE001 - the pipeline's one error path
            return render(error_reply(state, error))

    return bp


def _authorize(state: MockState, name: str, rest: str) -> BaseResponse:
    idp = oauth.known_provider(name)
    if rest.strip("/") != idp.authorize_path:
        raise NotFound(f"The fake {idp.title} serves its authorize page at {idp.page_path()}")
    if request.method == "POST":
        return redirect(state.store.run(lambda: _consented(state, name)), 302)
    oauth.authorization(state, name, request.args.to_dict())
    page = PAGE.format(
        title=escape(idp.title),
        scope=escape(idp.scope),
        action=escape(request.full_path),
        email=escape(DEFAULT_EMAIL),
        name=escape(DEFAULT_NAME),
    )
    return Response(page, status=200, mimetype="text/html")


def _consented(state: MockState, name: str) -> str:
    """The form's answer as one change: one answer per state, even when two arrive at once."""
    with state.store.atomic():
        _, pending, _ = oauth.authorization(state, name, request.values.to_dict())
        return _answer(state, pending)


def _answer(state: MockState, pending: OAuthState) -> str:
    """The form's answer: the callback URL for consent or deny."""
    form = request.form
    action = form.get("action", "consent")
    if action == "deny":
        return oauth.deny(state, pending)
    if action != "consent":
        raise ValidationError(f"action must be 'consent' or 'deny', not '{action}'")
    return oauth.consent(
        state,
        pending,
        email=form.get("email", "").strip() or DEFAULT_EMAIL,
        name=form.get("name", DEFAULT_NAME).strip(),
        subject=form.get("provider_subject", "").strip(),
    )
