"""Comparing an actual answer with a contract's expected one, by Pact v4 matching rules.

The status is exact. Each value of the expected body is checked at its JSON path: a path with a
rule (``response.matchingRules.body``) is checked by the rule (``type``: the same JSON type;
``regex``; ``integer``; ``number``; ``type`` with ``min``: an array of at least ``min`` items, each
shaped like the first example), a path without one must equal the example exactly. Fields the
actual answer has beyond the contract's are fine (Pact semantics).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class Difference:
    """One place where the actual answer breaks the contract."""

    path: str
    rule: str
    expected: str
    actual: str

    def line(self) -> str:
        """``$.a.b: expected …, got …`` (a matching rule named in parentheses)."""
        if self.rule == "equality":
            return f"{self.path}: expected {self.expected}, {self.actual}"
        rule = f"the contract's {self.rule} rule"
        return f"{self.path}: expected {self.expected} ({rule}), {self.actual}"


def show(value: Any) -> str:
    """A value as JSON text, cut to a readable length."""
    if value is _MISSING:
        return "missing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def type_name(value: Any) -> str:
    """The JSON type of ``value`` with its article (``an object``, ``a string``)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def _same_type(expected: Any, actual: Any) -> bool:
    return type_name(expected) == type_name(actual)


def _got(actual: Any) -> str:
    return "missing" if actual is _MISSING else f"got {show(actual)}"


def child(path: str, key: str | int) -> str:
    """The JSON path of ``key`` under ``path`` (``$.a.b``, ``$.a[0]``, ``$['odd key']``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    return f"{path}['{key}']"


def _rules_of(rules: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The matchers for ``path``: its own, or a wildcard's (``$.a[*]``, ``$.a.*``)."""
    found = rules.get(path)
    if found is None:
        generic = re.sub(r"\[\d+\]", "[*]", path)
        found = rules.get(generic)
    if found is None:
        return []
    matchers = found.get("matchers", []) if isinstance(found, dict) else []
    return [m for m in matchers if isinstance(m, dict)]


class Comparison:
    """Compares bodies by the rules of one interaction's response."""

    def __init__(self, rules: dict[str, Any]) -> None:
        self.rules = rules
        self.differences: list[Difference] = []

    def fail(self, path: str, rule: str, expected: str, actual: Any) -> None:
        """Record a difference."""
        self.differences.append(Difference(path, rule, expected, _got(actual)))

    def value(self, path: str, expected: Any, actual: Any) -> None:
        """Compare ``actual`` with ``expected`` at ``path`` (rules, else exact)."""
        matchers = _rules_of(self.rules, path)
        if not matchers:
            self._exact(path, expected, actual)
            return
        for matcher in matchers:
            self._matcher(path, matcher, expected, actual)

    def _exact(self, path: str, expected: Any, actual: Any) -> None:
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                self.fail(path, "equality", "an object", actual)
                return
            for key, item in expected.items():
                self.value(child(path, key), item, actual.get(key, _MISSING))
            return
        if isinstance(expected, list):
            if not isinstance(actual, list) or len(actual) != len(expected):
                self.fail(path, "equality", f"an array of {len(expected)}", actual)
                return
            for index, item in enumerate(expected):
                self.value(child(path, index), item, actual[index])
            return
        if actual is _MISSING or not _same_type(expected, actual) or expected != actual:
            self.fail(path, "equality", show(expected), actual)

    def _matcher(self, path: str, matcher: dict[str, Any], expected: Any, actual: Any) -> None:
        kind = str(matcher.get("match", "type"))
        if actual is _MISSING:
            self.fail(path, kind, type_name(expected), actual)
            return
        if kind == "regex":
            pattern = str(matcher.get("regex", ""))
            if not isinstance(actual, str) or re.search(pattern, actual) is None:
                self.fail(path, "regex", f"a string matching {pattern}", actual)
        elif kind == "integer":
            if isinstance(actual, bool) or not isinstance(actual, int):
                self.fail(path, "integer", "an integer", actual)
        elif kind in ("number", "decimal"):
            if isinstance(actual, bool) or not isinstance(actual, int | float):
                self.fail(path, kind, "a number", actual)
        elif kind in ("type", "equality") and ("min" in matcher or "max" in matcher):
            self._array(path, matcher, expected, actual)
        elif kind == "type":
            if not _same_type(expected, actual):
                self.fail(path, "type", type_name(expected), actual)
            else:
                self._shape(path, expected, actual, own=False)
        elif kind == "equality":
            self._exact(path, expected, actual)
        elif kind == "boolean":
            if not isinstance(actual, bool):
                self.fail(path, "boolean", "a boolean", actual)
        else:
            self.fail(path, kind, f"a matcher this verifier knows (not {kind!r})", actual)

    def _array(self, path: str, matcher: dict[str, Any], expected: Any, actual: Any) -> None:
        if not isinstance(actual, list):
            self.fail(path, "type", "an array", actual)
            return
        least = int(matcher.get("min", 0))
        most = matcher.get("max")
        if len(actual) < least:
            self.fail(path, f"min {least}", f"at least {least} items", actual)
        if most is not None and len(actual) > int(most):
            self.fail(path, f"max {most}", f"at most {most} items", actual)
        if isinstance(expected, list) and expected:
            example = expected[0]
            for index, item in enumerate(actual):
                self._shape(child(path, index), example, item)

    def _shape(self, path: str, example: Any, actual: Any, *, own: bool = True) -> None:
        """By type, cascading (Pact): same JSON type, then each field or item, unless a
        deeper path has its own rule."""
        if own and _rules_of(self.rules, path):
            self.value(path, example, actual)
            return
        if not _same_type(example, actual):
            self.fail(path, "type", type_name(example), actual)
        elif isinstance(example, dict):
            for key, item in example.items():
                self._shape(child(path, key), item, actual.get(key, _MISSING))
        elif isinstance(example, list) and example:
            for index, item in enumerate(actual):
                self._shape(child(path, index), example[0], item)


def compare(
    expected_status: int,
    expected_body: Any,
    rules: dict[str, Any],
    actual_status: int,
    actual_body: Any,
) -> list[Difference]:
    """Every difference of an actual answer from the expected one."""
    found = Comparison(rules)
    if expected_status != actual_status:
        found.differences.append(
            Difference("status", "equality", str(expected_status), f"got {actual_status}")
        )
    if expected_body is not None:
        found.value("$", expected_body, actual_body if actual_body is not None else _MISSING)
    return found.differences
