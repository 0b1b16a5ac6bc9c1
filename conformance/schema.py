"""The schemathesis schema of ``openapi.yaml``, bound to the target under test.

What the property-based part checks, per operation, with positive and negative data: only
documented statuses, responses that match their schemas, a JSON content type, no 5xx, invalid
input rejected, valid input accepted, the D9 envelope on every error, and only the error types
the spec documents for that status (``conformance.checks``). Stateful sequences follow the
OpenAPI links of the spec.

Two deliberate readings of the spec, both recorded in ``docs/decisions.md``:

- ``format`` (``email``, ``uri``) is an assertion, as schemathesis reads it: a request whose
  field breaks its format is invalid data and must be refused (C17, superseding C1).
- A schema-valid request may still be refused by a business rule (unknown cursor, bad filter,
  wrong passcode, missing redirect URL...): the spec lists those 400 error types per operation.
  "Valid input accepted" therefore means: never rejected as *schema-invalid*
  (``validation_error`` / ``invalid_json``), while any other 400 must be a documented one.
"""

from __future__ import annotations

import copy
from typing import Any

from conformance.spec_facts import (
    MARK,
    SCHEMA_REJECTIONS,
    documented_error_types,
    raw_spec,
    spec_path,
)

__all__ = [
    "MARK",
    "SCHEMA_REJECTIONS",
    "config_dict",
    "documented_error_types",
    "load_schema",
    "raw_spec",
    "spec_path",
    "suite_document",
]

MAX_EXAMPLES = 15

# Built-in checks of schemathesis and whether the suite runs them. Off: re-sending with other
# HTTP methods (OPTIONS answers come from the web framework, and overlapping templated paths
# such as /users/create vs /users/{user_id} make the Allow header list more than the spec).
BUILTIN_CHECKS = {
    "not_a_server_error": True,
    "status_code_conformance": True,
    "content_type_conformance": True,
    "response_schema_conformance": True,
    "response_headers_conformance": True,
    "negative_data_rejection": True,
    "positive_data_acceptance": True,
    "use_after_free": True,
    "ensure_resource_availability": True,
    "ignored_auth": True,
    "missing_required_header": True,
    "unsupported_method": False,
    "allow_header_conformance": False,
    "object_level_authorization": False,
}
CUSTOM_CHECKS = ("d9_error_envelope", "documented_error_type", "valid_input_not_rejected")


def suite_document() -> dict[str, Any]:
    """The document schemathesis tests against (a copy, marked as ours)."""
    document: dict[str, Any] = copy.deepcopy(raw_spec())
    document[MARK] = True
    return document


def config_dict(
    *,
    base_url: str | None,
    api_key: str | None,
    max_examples: int = MAX_EXAMPLES,
    stateful: bool = False,
) -> dict[str, Any]:
    """The schemathesis configuration of the suite (as ``schemathesis.toml`` would hold it)."""
    checks: dict[str, Any] = {name: {"enabled": on} for name, on in BUILTIN_CHECKS.items()}
    checks["positive_data_acceptance"]["expected-statuses"] = ["2xx", "3xx", "400", "401", "404"]
    checks["positive_data_acceptance"]["expected-statuses"] += ["409", "429"]
    checks.update({name: {"enabled": True} for name in CUSTOM_CHECKS})
    config: dict[str, Any] = {
        "generation": {
            "max-examples": max_examples,
            "deterministic": True,
            "mode": "all",
            "database": "none",
        },
        "checks": checks,
        "phases": {"stateful": {"enabled": stateful}},
    }
    if base_url:
        config["base-url"] = base_url
    if api_key:
        config["headers"] = {"Authorization": f"Bearer {api_key}"}
    return config


def load_schema(
    base_url: str | None = None,
    api_key: str | None = None,
    *,
    max_examples: int = MAX_EXAMPLES,
    stateful: bool = False,
) -> Any:
    """A schemathesis ``OpenApiSchema`` of ``openapi.yaml`` for ``base_url`` and ``api_key``.

    The custom checks of :mod:`conformance.checks` are registered on the way (once); they
    only act on schemas loaded here.
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    from conformance.checks import register

    register()

    settings = config_dict(
        base_url=base_url, api_key=api_key, max_examples=max_examples, stateful=stateful
    )
    config = SchemathesisConfig.from_dict(settings)
    return schemathesis.openapi.from_dict(suite_document(), config=config)
