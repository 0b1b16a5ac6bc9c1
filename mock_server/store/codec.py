"""Records as JSON text and back, for the engines that keep them outside the process.

The same shape as the state export (``control/snapshot.py``): a dataclass as an object of its
fields, tuples as arrays. Decoding is driven by the models' type hints, so a field added to a
model with a default reads older rows without a migration.

Both directions are planned once per model (which fields need converting, and how), and a
record read again with the same text is the same frozen object as the last time (a bounded
cache): the domain reads an app and a user on every call, and the memory store also hands out
one object per record (docs/decisions.md V12).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, cast

import orjson

T = TypeVar("T")
Convert = Callable[[Any], Any]
DECODED_KEPT = 4096  # texts whose decoded record is kept (records are frozen: safe to share)
_PLAIN = frozenset({str, int, float, bool, type(None)})
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")


def encode(record: Any) -> str:
    """``record`` as compact JSON: orjson's, or ``json``'s ASCII for what orjson refuses.

    orjson writes a dataclass as :func:`dump` does, in C (a journal entry took ~100 µs in
    Python); a lone surrogate, an integer over 64 bits or a key that is not a string go through
    ``json`` with ASCII escapes, so they survive the database's UTF-8 (decision R9).
    """
    try:
        return orjson.dumps(record).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(dump(record), separators=(",", ":"))


def decode(model: type[T], text: str | bytes) -> T:
    """A ``model`` from :func:`encode`'s JSON (the same object again for the same text)."""
    value: T = _decoder(cast(Any, model))(text)
    return value


@functools.cache
def _decoder(model: Any) -> Callable[[str | bytes], Any]:
    """``model``'s decoding, with its own cache: sessions, whose text changes with their
    activity, do not push out the users and apps read beside them."""

    @functools.lru_cache(maxsize=DECODED_KEPT)
    def decoded(text: str | bytes) -> Any:
        return _load(model, parse(text))

    return decoded


def parse(text: str | bytes, slow: Callable[[str | bytes], Any] = json.loads) -> Any:
    """JSON text as values: orjson's parser (a quarter of ``json``'s time), or ``slow`` where
    they differ: orjson reads an integer past 64 bits as a float (19 digits in a row: maybe
    one) and refuses a lone surrogate's escape, the infinities ``json`` writes and any text
    not in UTF-8; ``slow`` also gives the error of text that is not JSON."""
    long = _LONG_DIGITS if isinstance(text, str) else _LONG_DIGITS_BYTES
    if long.search(text) is None:  # type: ignore[arg-type]
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return slow(text)


def dump(value: Any) -> Any:
    """A model (or anything inside one) as plain JSON values; tuples become lists.

    Also the state export's form (``control/snapshot.py``), whose loader checks what it reads.
    """
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is tuple or cls is list:
        return [dump(v) for v in value]
    if cls is dict:
        return {str(k): dump(v) for k, v in value.items()}
    names = _names(cls)
    if names is not None:
        return {name: dump(getattr(value, name)) for name in names}
    if isinstance(value, tuple | list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


@functools.cache
def _names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None: not a dataclass)."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _plan(model: Any) -> tuple[tuple[str, Convert | None], ...]:
    """Each field and what turns its JSON value into the field's (None: taken as it is)."""
    hints = typing.get_type_hints(model)
    return tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(model))


def _load(model: Any, data: dict[str, Any]) -> Any:
    values = {}
    for name, convert in _plan(model):
        if name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
    return model(**values)


def _converter(hint: Any) -> Convert | None:
    """What a JSON value needs to become a ``hint`` (None: nothing; called on non-None only)."""
    if hint is Any:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else None
    if origin is tuple:
        return _tuple_converter(typing.get_args(hint))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return functools.partial(_load, hint)
    if hint is float:
        return _to_float
    return None


def _tuple_converter(args: tuple[Any, ...]) -> Convert:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])
        if item is None:
            return tuple
        return lambda value: tuple(v if v is None else item(v) for v in value)
    items = [_converter(a) for a in args]

    def convert(value: Any) -> Any:
        return tuple(
            v if c is None or v is None else c(v) for c, v in zip(items, value, strict=True)
        )

    return convert


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, int) else value
