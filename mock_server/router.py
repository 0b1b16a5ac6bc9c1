"""The one router: every operation of the documents a fake serves, by method and path.

It is built once per fake from the API document and (when the control API is on) the control
document, each paired with its functions by :func:`pair`. Flask's URL map gets one rule per
:class:`Route` (``pipeline.add_routes``), the native server matches requests with
:meth:`Router.match`, the waitress server sizes bodies by it, and the ``Allow`` header lists
:meth:`Router.methods`.

Where several routes match one path, **an exact path beats a templated one** (OpenAPI's path
matching: "concrete paths are matched before their templated counterparts"; between templated
paths, the one with fewer parameters wins). That rule is stated here only, in
:func:`_specificity`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .spec import Operation, Spec, SpecError

_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation served at its path.

    Attributes:
        plane: what serves it (the pipeline's ``Plane``: "api" or "control").
        op: the operation; handler: the function paired with it.
        pattern: the path as a regular expression (None: a path without parameters).
    """

    plane: Any
    op: Operation
    handler: Any
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    @property
    def params(self) -> int:
        """How many path parameters the route has."""
        return self.pattern.groups if self.pattern is not None else 0


def _specificity(route: Route) -> int:
    """The order in which routes matching one path are tried: exact first, then fewest params."""
    return route.params


class Router:
    """The routes of every plane; a request's route is its method's most specific match.

    Args:
        planes: the planes to serve (each has ``spec`` and ``handlers`` by operationId).
    """

    def __init__(self, planes: Iterable[Any]) -> None:
        self.routes: list[Route] = []
        self._exact: dict[tuple[str, str], Route] = {}
        self._templated: list[Route] = []
        for plane in planes:
            for op_id, handler in plane.handlers.items():
                op = plane.spec.operations[op_id]
                self._add(Route(plane, op, handler, _pattern(op.path)))
        self._templated.sort(key=_specificity)

    def _add(self, route: Route) -> None:
        self.routes.append(route)
        if route.pattern is None:
            self._exact[(route.op.method.upper(), route.op.path)] = route
        else:
            self._templated.append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route of a request and its path parameters (None: no operation there)."""
        found = self._exact.get((method, path))
        if found is not None:
            return found, {}
        for route in self._templated:
            if route.op.method.upper() == method:
                assert route.pattern is not None
                hit = route.pattern.match(path)
                if hit is not None:
                    return route, hit.groupdict()
        return None

    def max_body(self, method: str, path: str, default: int) -> int:
        """The largest body the request's route takes (its plane's), else ``default``."""
        found = self.match(method, path)
        return int(found[0].plane.max_body) if found is not None else default

    def methods(self, path: str) -> set[str]:
        """The methods of the most specific route(s) at ``path`` (empty: no operation there)."""
        matching = [r for r in self._templated if r.pattern is not None and r.pattern.match(path)]
        matching += [r for (_, exact), r in self._exact.items() if exact == path]
        if not matching:
            return set()
        best = min(_specificity(r) for r in matching)
        return {r.op.method.upper() for r in matching if _specificity(r) == best}


def _pattern(path: str) -> re.Pattern[str] | None:
    """The path as a regular expression whose groups are its parameters (None: none)."""
    if "{" not in path:
        return None
    parts = _PARAM.split(path)
    pattern = "".join(
        f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile(pattern + r"\Z")


def public_functions(modules: Iterable[tuple[str, ModuleType]]) -> dict[str, Callable[..., Any]]:
    """The public functions each module defines, as ``<prefix>.<name>`` (no prefix: ``<name>``)."""
    found: dict[str, Callable[..., Any]] = {}
    for prefix, module in modules:
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if func.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{prefix}.{name}" if prefix else name] = func
    return found


def pair(
    spec: Spec, functions: Mapping[str, Callable[..., Any]], key: Callable[[Operation], str]
) -> dict[str, Callable[..., Any]]:
    """Pair every operation with ``functions[key(op)]``, strictly, by operationId.

    An operation without its function, or a function without an operation, stops the start.
    """
    left = dict(functions)
    paired: dict[str, Callable[..., Any]] = {}
    for op in spec.operations.values():
        name = key(op)
        if name not in left:
            raise SpecError(f"operation {op.operation_id} has no handler {name}")
        paired[op.operation_id] = left.pop(name)
    if left:
        raise SpecError(f"handlers without an operation: {', '.join(sorted(left))}")
    return paired
