"""Load ``openapi.yaml`` once and describe its operations.

The document is the single source of truth: routes, request and response schemas and the
statuses an operation may answer all come from here. Constructs the fake cannot honour
(OpenAPI 3.0's ``nullable``, ``discriminator``, non-JSON request bodies) fail start-up.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Json = dict[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")
JSON_MEDIA = "application/json"
UNSUPPORTED_KEYS = frozenset({"nullable", "discriminator"})
ACRONYMS = {"OAuth": "Oauth", "JWKs": "Jwks", "OTP": "Otp"}


class SpecError(ValueError):
    """The document uses something the fake does not support, or is inconsistent."""


def default_spec_path() -> Path:
    """The shipped copy inside the package, else the repository root's ``openapi.yaml``."""
    here = Path(__file__).resolve().parent
    packaged = here / "openapi.yaml"
    return packaged if packaged.exists() else here.parent / "openapi.yaml"


def escape(token: str) -> str:
    """JSON-pointer escape of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Parameter:
    """A query or path parameter and the pointer to its schema."""

    name: str
    location: str
    required: bool
    schema_pointer: str
    schema_type: str | None


@dataclass(frozen=True)
class Operation:
    """One operation of the document."""

    operation_id: str
    method: str
    path: str
    tag: str
    security: str
    body_pointer: str | None
    body_required: bool
    parameters: tuple[Parameter, ...]
    responses: tuple[tuple[int, str | None], ...]

    @property
    def handler_name(self) -> str:
        """``VerifySession`` -> ``verify_session``; ``GetJWKs`` -> ``get_jwks``."""
        name = self.operation_id
        for acronym, word in ACRONYMS.items():
            name = name.replace(acronym, word)
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()

    @property
    def flask_rule(self) -> str:
        """The path with ``{x}`` turned into Flask's ``<x>``."""
        return re.sub(r"\{([^}]+)\}", r"<\1>", self.path)

    @property
    def statuses(self) -> frozenset[int]:
        """The statuses this operation documents."""
        return frozenset(status for status, _ in self.responses)

    def response_pointer(self, status: int) -> str | None:
        """Pointer to the JSON schema of the ``status`` response, if it has one."""
        return dict(self.responses).get(status)


@dataclass(frozen=True)
class Spec:
    """The parsed document and its operations by operationId."""

    document: Json
    operations: dict[str, Operation]
    path: Path

    def resolve(self, pointer: str) -> Any:
        """The node at a JSON pointer (``/a/b``) of the document."""
        node: Any = self.document
        for raw in pointer.lstrip("/").split("/") if pointer not in {"", "/"} else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def raw(self, op: Operation) -> Json:
        """The operation's object in the document (for its ``x-`` extensions)."""
        node: Json = self.document["paths"][op.path][op.method.lower()]
        return node

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """Follow a local ``$ref`` chain; returns the node and its pointer (None if inline)."""
        pointer = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                raise SpecError(f"only local $ref is supported, got {ref!r}")
            pointer = ref[1:]
            node = self.resolve(pointer)
        return node, pointer


@functools.lru_cache(maxsize=8)
def load_spec(path: str | None = None) -> Spec:
    """Parse and index the document (cached per path: loaded once per process)."""
    file = Path(path) if path else default_spec_path()
    document = _parse(file)
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{file}: not an OpenAPI 3.1 document")
    _reject_unsupported(document, "")
    spec = Spec(document=document, operations={}, path=file)
    for op in _operations(spec):
        if op.operation_id in spec.operations:
            raise SpecError(f"duplicate operationId {op.operation_id}")
        spec.operations[op.operation_id] = op
    return spec


def _parse(file: Path) -> Any:
    """The YAML document, from a cache of its parsed form when one matches its bytes.

    Parsing ``openapi.yaml`` is about a tenth of a cold start; the cache (``marshal``: plain
    data only, no code) lives in the user's cache folder, keyed by the file's SHA-256 and the
    Python version. Any problem with it falls back to parsing.
    """
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:32]
    cached = _cache_folder() / f"spec-{digest}-py{sys.version_info[0]}{sys.version_info[1]}"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        return marshal.loads(cached.read_bytes())  # noqa: S302 - our own plain-data cache
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(data.decode("utf-8"), Loader=loader)  # noqa: S506
    with contextlib.suppress(OSError, ValueError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}")
        partial.write_bytes(marshal.dumps(document))
        os.replace(partial, cached)
    return document


def _cache_folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "moonkey-mock"


def _reject_unsupported(node: Any, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in UNSUPPORTED_KEYS and not where.endswith("/properties"):
                raise SpecError(f"unsupported construct {key!r} at {where or '/'}")
            _reject_unsupported(value, f"{where}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _reject_unsupported(value, f"{where}/{index}")


def _operations(spec: Spec) -> Iterator[Operation]:
    default_security = spec.document.get("security", [])
    for path, item in spec.document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            base = f"/paths/{escape(path)}/{method}"
            if "operationId" not in op:
                raise SpecError(f"{method.upper()} {path} has no operationId")
            yield Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                tag=(op.get("tags") or ["default"])[0],
                security=_security(op.get("security", default_security)),
                body_pointer=_body_pointer(spec, op, base),
                body_required=bool(spec.deref(op.get("requestBody", {}))[0].get("required")),
                parameters=tuple(_parameters(spec, shared, op, base, path)),
                responses=tuple(_responses(spec, op, base)),
            )


def _security(requirements: list[Json]) -> str:
    schemes = {name for req in requirements for name in req}
    if not requirements or requirements == [{}]:
        return "public"
    return "secret_or_query" if "ApiKeyQuery" in schemes else "secret"


def _body_pointer(spec: Spec, op: Json, base: str) -> str | None:
    if "requestBody" not in op:
        return None
    body, pointer = spec.deref(op["requestBody"])
    content = body.get("content", {})
    if set(content) != {JSON_MEDIA}:
        raise SpecError(f"{base}: request bodies must be {JSON_MEDIA} only")
    prefix = pointer if pointer is not None else f"{base}/requestBody"
    return f"{prefix}/content/{escape(JSON_MEDIA)}/schema"


def _parameters(
    spec: Spec, shared: list[Json], op: Json, base: str, path: str
) -> Iterator[Parameter]:
    for index, raw in enumerate(shared + op.get("parameters", [])):
        param, pointer = spec.deref(raw)
        if param.get("in") not in {"query", "path"}:
            continue
        if pointer is None:
            where = "parameters" if index >= len(shared) else None
            local = index - len(shared)
            pointer = (
                f"{base}/{where}/{local}" if where else f"/paths/{escape(path)}/parameters/{index}"
            )
        schema, _ = spec.deref(param.get("schema", {}))
        kind = schema.get("type")
        yield Parameter(
            name=param["name"],
            location=param["in"],
            required=bool(param.get("required")) or param["in"] == "path",
            schema_pointer=f"{pointer}/schema",
            schema_type=kind if isinstance(kind, str) else None,
        )


def _responses(spec: Spec, op: Json, base: str) -> Iterator[tuple[int, str | None]]:
    for code, raw in op.get("responses", {}).items():
        if not str(code).isdigit():
            continue
        response, pointer = spec.deref(raw)
        prefix = pointer if pointer is not None else f"{base}/responses/{code}"
        media = response.get("content", {}).get(JSON_MEDIA)
        yield int(code), (f"{prefix}/content/{escape(JSON_MEDIA)}/schema" if media else None)
