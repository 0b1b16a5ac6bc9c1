"""A contract's examples must satisfy its own matching rules (what a verifier compares by)."""

from __future__ import annotations

import re
from typing import Any


def values_at(document: Any, path: str) -> list[Any]:
    """The values a rule's path (``$.a.b[*].c``) names in ``document``."""
    current = [document]
    for step in re.findall(r"\.([^.\[]+)|(\[\*\])", path[1:]):
        name, every = step
        following: list[Any] = []
        for value in current:
            if every and isinstance(value, list):
                following.extend(value)
            elif name and isinstance(value, dict) and name in value:
                following.append(value[name])
        current = following
    return current


def broken_rules(body: Any, rules: dict[str, Any]) -> list[str]:
    """Each rule whose path names nothing or whose example does not satisfy it."""
    broken = []
    for path, rule in rules.items():
        found = values_at(body, path)
        if not found:
            broken.append(f"{path}: names nothing")
        for matcher in rule["matchers"]:
            for value in found:
                if not satisfies(value, matcher):
                    broken.append(f"{path}: {value!r} fails {matcher}")
    return broken


def satisfies(value: Any, matcher: dict[str, Any]) -> bool:
    """Whether ``value`` satisfies one Pact matcher of the kinds the recorder writes."""
    kind = matcher["match"]
    if kind == "regex":
        return isinstance(value, str) and re.search(matcher["regex"], value) is not None
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "type":
        return not isinstance(value, list) or len(value) >= matcher.get("min", 0)
    return False
