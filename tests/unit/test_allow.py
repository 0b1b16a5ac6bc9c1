"""``Allow`` lists the methods of the matched path only (plain schemathesis, issue 19)."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/v1/auth/users/create", "OPTIONS, POST"),
        ("OPTIONS", "/v1/auth/users/search", "OPTIONS, POST"),
        ("PUT", "/v1/auth/users/create", "OPTIONS, POST"),
        ("OPTIONS", "/v1/auth/users/user_x", "GET, HEAD, OPTIONS"),
    ],
)
def test_allow_header_names_the_concrete_path_methods_only(
    app: Flask, method: str, path: str, allowed: str
) -> None:
    """``/users/create`` is not ``/users/{user_id}``: no GET advertised for it."""
    response = app.test_client().open(path, method=method)
    assert response.headers["Allow"] == allowed
    assert response.status_code == (200 if method == "OPTIONS" else 405)
