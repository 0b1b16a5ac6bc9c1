"""Records as JSON text and back, for the engines that keep them outside the process.

The same shape as the state export (``control/snapshot.py``): a dataclass as an object of its
fields, tuples as arrays. Decoding is driven by the models' type hints, so a field added to a
model with a default reads older rows without a migration.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def encode(record: Any) -> str:
    """``record`` as compact JSON."""
    return json.dumps(dump(record), separators=(",", ":"))  # ASCII: lone surrogates survive


def decode(model: type[T], text: str | bytes) -> T:
    """A ``model`` from :func:`encode`'s JSON."""
    value: T = _load(model, json.loads(text))
    return value


def dump(value: Any) -> Any:
    """A model (or anything inside one) as plain JSON values; tuples become lists.

    Also the state export's form (``control/snapshot.py``), whose loader checks what it reads.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


@functools.cache
def _fields(model: Any) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(model)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(model))


def _load(model: Any, data: dict[str, Any]) -> Any:
    values = {name: _convert(hint, data[name]) for name, hint in _fields(model) if name in data}
    return model(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None or hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _load(hint, value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value
