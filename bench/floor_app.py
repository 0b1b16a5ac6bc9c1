"""The floor: the least a Flask service answering ``POST /v1/auth/sessions/verify`` must do.

It checks the bearer key, validates the JSON body with jsonschema against the VerifySession
request schema of ``openapi.yaml`` (compiled once) and returns a canned body. No state, no
tokens, no journal. ``python -m bench.floor_app --port P --threads N --key K --body-file F``
serves it under waitress, as ``moonkey-mock serve`` serves the fake.
"""

from __future__ import annotations

import argparse
import hmac
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, Response, request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"
OPERATION = "VerifySession"
PATH = "/v1/auth/sessions/verify"
DOC_URI = "urn:bench:openapi"
CANNED = b'{"session_token":"","session_jwt":"","session":null}'


def request_validator(spec_path: Path = SPEC, operation_id: str = OPERATION) -> Any:
    """A compiled validator for the JSON request body of ``operation_id``."""
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    for path, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                escaped = path.replace("~", "~0").replace("/", "~1")
                pointer = f"#/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
                resource = Resource.from_contents(document, default_specification=DRAFT202012)
                registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
                return Draft202012Validator({"$ref": DOC_URI + pointer}, registry=registry)
    raise LookupError(f"{spec_path} has no operation {operation_id}")


def _error(status: int, code: str, message: str) -> Response:
    body = {"status_code": status, "error_type": code, "error_message": message}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def create_floor_app(key: str, body: bytes = CANNED, validator: Any = None) -> Flask:
    """The floor app answering ``POST /v1/auth/sessions/verify`` with ``body``."""
    checker = validator if validator is not None else request_validator()
    expected = f"Bearer {key}"
    app = Flask("moonkey_bench_floor")

    @app.post(PATH)
    def verify() -> Response:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return _error(401, "unauthorized", "Unknown or revoked API key")
        payload = request.get_json(silent=True)
        if payload is None or not checker.is_valid(payload):
            return _error(400, "validation_error", "Invalid body")
        return Response(body, status=200, mimetype="application/json")

    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the floor with waitress on 127.0.0.1."""
    from waitress.server import create_server

    parser = argparse.ArgumentParser(prog="bench.floor_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--key", required=True)
    parser.add_argument("--body-file", type=Path)
    args = parser.parse_args(argv)
    body = args.body_file.read_bytes() if args.body_file else CANNED
    app = create_floor_app(args.key, body)
    server = create_server(app, host="127.0.0.1", port=args.port, threads=args.threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
