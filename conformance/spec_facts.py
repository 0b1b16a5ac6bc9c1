"""What the suite reads from ``openapi.yaml``: the document, and the error types it documents.

Shared by :mod:`conformance.schema` (the schemathesis schema) and :mod:`conformance.checks`
(the custom checks), which import this module and never each other's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

# The mark of the schemas the suite loads: its custom checks act on those only.
MARK = "x-moonkey-conformance"
# error_type values meaning "the request breaks the schema".
SCHEMA_REJECTIONS = frozenset({"validation_error", "invalid_json"})


def spec_path() -> Path:
    """``openapi.yaml``: the installed package's copy, else the repository's."""
    from mock_server.spec import default_spec_path

    return Path(default_spec_path())


@cache
def raw_spec() -> dict[str, Any]:
    """The parsed document (cached; never mutate it)."""
    loaded: dict[str, Any] = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return loaded


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = raw_spec()
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@cache
def documented_error_types() -> dict[tuple[str, str, int], frozenset[str]]:
    """``(METHOD, path, status)`` -> the ``error_type`` values its examples document.

    A 400 of an operation with a request body also admits ``validation_error`` and
    ``invalid_json``, which ``ErrorResponse`` documents as common to every operation.
    """
    found: dict[tuple[str, str, int], frozenset[str]] = {}
    for path, item in raw_spec().get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if not str(status).isdigit() or int(status) < 400:
                    continue
                content = _resolve(response).get("content", {}).get("application/json", {})
                types = {
                    _resolve(example).get("value", {}).get("error_type")
                    for example in content.get("examples", {}).values()
                }
                if int(status) == 400 and "requestBody" in operation:
                    types |= SCHEMA_REJECTIONS  # ErrorResponse: common to every body (C18)
                found[(method.upper(), path, int(status))] = frozenset(t for t in types if t)
    return found
