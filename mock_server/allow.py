"""The ``Allow`` header of OPTIONS and 405 answers: the methods of the path that matched.

Werkzeug lists the methods of every rule that matches a path, so ``/v1/auth/users/create``
(POST) would also advertise GET, because the templated ``/v1/auth/users/{user_id}`` matches it
too. The fake's router says which routes a path really is (:meth:`Router.methods`: an exact
path beats a templated one); this header lists their methods, with the ``HEAD`` and
``OPTIONS`` Flask answers beside them. Paths the router does not know (the dashboard, the
index, the identity provider's pages) keep werkzeug's list.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .router import Router


def allowed_methods(router: Router, path: str) -> set[str]:
    """The methods a client may use at ``path`` (empty when no operation is there)."""
    methods = router.methods(path)
    if not methods:
        return set()
    return methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())


def install(app: Flask, router: Router) -> None:
    """Narrow the ``Allow`` header of OPTIONS and 405 answers to the matched path's methods."""

    @app.after_request
    def narrow_allow(response: Response) -> Response:
        if "Allow" not in response.headers:
            return response
        if request.method != "OPTIONS" and response.status_code != 405:
            return response
        methods = allowed_methods(router, request.path)
        if methods:
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response
