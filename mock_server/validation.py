"""Request and response validators, compiled once per operation (JSON Schema Draft 2020-12).

Messages name the field at fault, so a client sees ``session_expires_in: 3 is less than the
minimum of 5`` rather than a schema dump. Requests are also held to the ``format`` of their
fields (``email``, ``uri``, ...), decided by jsonschema-rs's format validators on both paths,
the same ones schemathesis judges with (docs/decisions.md C17); responses are not.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import ValidationError
from .spec import Operation, Spec

DOC_URI = "urn:moonkey:openapi"
# Lower sorts first: the most useful complaint wins when a body has several faults.
_PRIORITY = {"additionalProperties": 0, "type": 1, "required": 2, "oneOf": 8, "anyOf": 8}


class Compiled:
    """One schema: a Rust validator answers the common valid case, Python explains failures.

    ``jsonschema_rs`` decides validity in well under a microsecond; only when it says no does the
    Python validator run, to build the message (and it has the last word, so both agree).
    """

    def __init__(
        self,
        schema: dict[str, Any],
        registry: Registry[Any],
        fast_registry: Any,
        formats: FormatChecker | None = None,
    ) -> None:
        self.slow = Draft202012Validator(schema, registry=registry, format_checker=formats)
        self.fast = jsonschema_rs.Draft202012Validator(
            _quoted_refs(schema), registry=fast_registry, validate_formats=formats is not None
        )

    def errors(self, instance: Any) -> list[SchemaError]:
        """Every way ``instance`` breaks the schema (none when it conforms)."""
        if self.fast.is_valid(instance):
            return []
        return list(self.slow.iter_errors(instance))


def _quoted_refs(node: Any) -> Any:
    """A copy whose refs into the document have URI-escaped fragments (``{`` -> ``%7B``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(DOC_URI + "#"):
            return {**node, "$ref": DOC_URI + "#" + quote(ref[len(DOC_URI) + 1 :], safe="/~")}
        return {key: _quoted_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_quoted_refs(item) for item in node]
    return node


def _format_names(node: Any) -> set[str]:
    """Every ``format`` value a document uses."""
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        for value in node.values():
            found |= _format_names(value)
        return found
    if isinstance(node, list):
        return set().union(*(_format_names(item) for item in node)) if node else set()
    return set()


def format_checker(names: Iterable[str]) -> FormatChecker:
    """A ``jsonschema`` format checker deciding each of ``names`` as jsonschema-rs does.

    The fast path (jsonschema-rs with ``validate_formats``) and the slow path that explains a
    refusal must agree on every value; delegating the slow path to the same Rust validators
    guarantees it.
    """
    checker = FormatChecker(formats=())
    for name in names:
        rust = jsonschema_rs.Draft202012Validator({"format": name}, validate_formats=True)
        checker.checks(name)(rust.is_valid)
    return checker


class Validators:
    """Every operation's body, query and response validators over one shared registry."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
        self._fast_registry = jsonschema_rs.Registry([(DOC_URI, spec.document)])
        self._formats = format_checker(_format_names(spec.document))
        self._body: dict[str, Compiled] = {}
        self._query: dict[str, Compiled] = {}
        self._responses: dict[tuple[str, int], Compiled] = {}
        for op in spec.operations.values():
            self._compile(op)

    def _compiled(self, schema: dict[str, Any], *, request: bool = False) -> Compiled:
        formats = self._formats if request else None
        return Compiled(schema, self._registry, self._fast_registry, formats)

    def _ref(self, pointer: str, *, request: bool = False) -> Compiled:
        return self._compiled({"$ref": f"{DOC_URI}#{pointer}"}, request=request)

    def _compile(self, op: Operation) -> None:
        if op.body_pointer:
            self._body[op.operation_id] = self._ref(op.body_pointer, request=True)
        query = [p for p in op.parameters if p.location == "query"]
        if query:
            schema = {
                "type": "object",
                "properties": {p.name: {"$ref": f"{DOC_URI}#{p.schema_pointer}"} for p in query},
                "required": [p.name for p in query if p.required],
            }
            self._query[op.operation_id] = self._compiled(schema, request=True)
        for status, pointer in op.responses:
            if pointer:
                self._responses[(op.operation_id, status)] = self._ref(pointer)

    # --- requests --------------------------------------------------------------------
    def check_body(self, op: Operation, body: Any) -> None:
        """Raise :class:`ValidationError` naming the field when ``body`` breaks the schema."""
        validator = self._body.get(op.operation_id)
        if validator is not None:
            _raise_first(validator.errors(body), "body")

    def query(self, op: Operation, args: Mapping[str, str]) -> dict[str, Any]:
        """Query arguments coerced to their schema types, validated."""
        values: dict[str, Any] = {}
        for param in op.parameters:
            if param.location == "query" and param.name in args:
                values[param.name] = _coerce(param.schema_type, args[param.name])
        self.check_query(op, values)
        return values

    def check_query(self, op: Operation, values: Mapping[str, Any]) -> None:
        """Validate already-typed query values (in-process callers of the control API)."""
        validator = self._query.get(op.operation_id)
        if validator is not None:
            _raise_first(validator.errors(dict(values)), "query")

    # --- responses -------------------------------------------------------------------
    def response_problems(self, op: Operation, status: int, body: Any) -> list[str]:
        """Why a response breaks the spec (empty when it conforms)."""
        if status not in op.statuses:
            return [f"status {status} is not documented for {op.operation_id}"]
        validator = self._responses.get((op.operation_id, status))
        if validator is None:
            return []
        return [_describe(e, "response") for e in validator.errors(body)]


def _coerce(kind: str | None, raw: str) -> Any:
    if kind == "boolean" and raw.lower() in {"true", "false", "1", "0"}:
        return raw.lower() in {"true", "1"}
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if math.isfinite(number) else raw
    return raw


def _raise_first(errors: Iterable[SchemaError], where: str) -> None:
    ranked = sorted(errors, key=lambda e: (_PRIORITY.get(str(e.validator), 5), -len(e.path)))
    if ranked:
        raise ValidationError(_describe(ranked[0], where))


def _field(error: SchemaError) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def _alternatives(error: SchemaError) -> list[str] | None:
    """Field names when a oneOf/anyOf is a pure "exactly/at least one of" rule."""
    subs = error.validator_value if isinstance(error.validator_value, list) else []
    names: list[str] = []
    for sub in subs:
        if not isinstance(sub, dict) or set(sub) != {"required"} or len(sub["required"]) != 1:
            return None
        names.append(sub["required"][0])
    return names or None


def _describe(error: SchemaError, where: str) -> str:
    field = _field(error)
    noun = "query parameter" if where == "query" else f"{where} field"
    prefix = f"{noun} '{field}'" if field else where
    kind = error.validator
    if kind == "required" and isinstance(error.instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in required if n not in error.instance]
        name = ".".join(filter(None, [field, str(missing[0]) if missing else ""]))
        return f"Missing required {noun} '{name}'"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        name = ".".join(filter(None, [field, extra[0] if extra else ""]))
        return f"Unknown {noun} '{name}'"
    if kind in {"oneOf", "anyOf"}:
        names = _alternatives(error)
        if names is not None:
            quoted = ", ".join(f"'{n}'" for n in names)
            rule = "exactly one" if kind == "oneOf" else "at least one"
            return f"Invalid {prefix}: send {rule} of {quoted}"
        inner = best_match(error.context or [])
        if inner is not None:
            return _describe(inner, where)
    if kind == "format":
        return f"Invalid {prefix}: {_shown(error)} is not a valid {error.validator_value}"
    if kind == "type" and not field:
        return f"The {where} must be a JSON {error.validator_value}"
    if kind == "type":
        # jsonschema shows Python reprs (True, None); clients sent JSON (true, null).
        return f"Invalid {prefix}: expected {_kinds(error.validator_value)}, got {_shown(error)}"
    return f"Invalid {prefix}: {error.message}"


def _kinds(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    return " or ".join(("an " if k in {"integer", "object", "array"} else "a ") + k for k in kinds)


def _shown(error: SchemaError) -> str:
    text = json.dumps(error.instance, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_COMPILED: dict[int, Validators] = {}
_COMPILED_LOCK = threading.Lock()


def validators_for(spec: Spec) -> Validators:
    """The validators of ``spec``, compiled once per document per process.

    :func:`~mock_server.spec.load_spec` returns one :class:`Spec` per path, so every fake built
    from the same document (a test suite builds hundreds) shares one compiled set.
    """
    with _COMPILED_LOCK:
        cached = _COMPILED.get(id(spec))
        if cached is None or cached.spec is not spec:
            cached = _COMPILED[id(spec)] = Validators(spec)
        return cached
