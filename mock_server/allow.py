"""The ``Allow`` header of OPTIONS and 405 answers: the methods of the path that matched.

Werkzeug lists the methods of every rule that matches a path, so ``/v1/auth/users/create``
(POST) would also advertise GET, because the templated ``/v1/auth/users/{user_id}`` matches it
too. OpenAPI matches a concrete path before a templated one; so does the router, and so does
this header: only the methods whose best match has the fewest path parameters are listed.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException


def allowed_methods(app: Flask, path: str) -> set[str]:
    """The methods of the most concrete rule(s) matching ``path`` (empty when none matches)."""
    adapter = app.url_map.bind_to_environ(request.environ)
    specificity: dict[str, int] = {}
    for method in adapter.allowed_methods(path):
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except HTTPException:
            continue
        specificity[method] = len(rule.arguments)
    if not specificity:
        return set()
    fewest = min(specificity.values())
    return {method for method, count in specificity.items() if count == fewest}


def install(app: Flask) -> None:
    """Narrow the ``Allow`` header of OPTIONS and 405 answers to the matched path's methods."""

    @app.after_request
    def narrow_allow(response: Response) -> Response:
        if "Allow" not in response.headers:
            return response
        if request.method != "OPTIONS" and response.status_code != 405:
            return response
        methods = allowed_methods(app, request.path)
        if methods:
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response
