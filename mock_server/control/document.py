"""The control API's OpenAPI document, loaded and compiled once per process."""

from __future__ import annotations

import functools
from pathlib import Path

from mock_server.spec import Spec, load_spec
from mock_server.validation import Validators

CONTROL_SPEC = Path(__file__).with_name("openapi.yaml")


@functools.cache
def control_spec() -> Spec:
    """The control API's OpenAPI document (loaded once per process)."""
    return load_spec(str(CONTROL_SPEC))


@functools.cache
def controls_offered() -> tuple[str, ...]:
    """The controls health lists: the ``x-control`` names of the document's operations."""
    spec = control_spec()
    names = {spec.raw(op).get("x-control") for op in spec.operations.values()}
    return tuple(sorted(str(n) for n in names if n and n != "discovery"))


@functools.cache
def control_validators() -> Validators:
    """Validators of every control operation (compiled once per process)."""
    return Validators(control_spec())
