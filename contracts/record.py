"""Journal entries to a Pact Specification v4 contract: one interaction per kind of call.

Two calls are the same interaction when they share operation, outcome (status and
``error_type``), request shape (keys and value types) and the kinds of the states they need;
the first one seen is written. Calls a fault answered (``injected``) or that got no answer are
the test's own weather, not the provider's behaviour, and are left out (docs/decisions.md K2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from contracts import states
from contracts.describe import describe
from contracts.shapes import request_shape, rule, shape
from contracts.tracker import Tracker

JSON = "application/json"


def version() -> str:
    """moonkey-mock's version (written in the contract's metadata)."""
    try:
        return metadata.version("moonkey-mock")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "0"


def interactions(
    entries: Iterable[dict[str, Any]], outbox: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The interactions of one app's journal (oldest first), repeated calls collapsed."""
    tracker = Tracker(list(outbox))
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: int(e.get("seq", 0))):
        traced = tracker.step(entry)
        if entry.get("injected") or not entry.get("status"):
            continue
        key = _key(entry, traced.body, traced.query, traced.kinds())
        if key not in found:
            found[key] = _interaction(entry, traced, key)
    return list(found.values())


def _key(entry: dict[str, Any], body: Any, query: dict[str, str], kinds: list[str]) -> str:
    parts = [
        entry["operation_id"],
        entry["method"],
        entry["status"],
        entry.get("error_type", ""),
        repr(request_shape(body)),
        sorted(query),
        kinds,
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def _interaction(entry: dict[str, Any], traced: Any, key: str) -> dict[str, Any]:
    request: dict[str, Any] = {"method": entry["method"], "path": traced.path}
    if traced.query:
        request["query"] = {k: [v] for k, v in traced.query.items()}
    if traced.body is not None:
        request["headers"] = {"Content-Type": [JSON]}
        request["body"] = {"content": traced.body, "contentType": JSON, "encoded": False}
    if traced.generators:
        request["generators"] = traced.generators
    if traced.request_rules:
        request["matchingRules"] = {"body": traced.request_rules}
    response: dict[str, Any] = {"status": entry["status"]}
    answer = entry.get("response")
    comments: list[str] = []
    if isinstance(answer, dict) and answer.get("truncated") is True and "preview" in answer:
        comments.append("the answer was over the journal's 4 KiB: its body is not recorded")
    elif answer is not None:
        example, rules = shape(answer)
        response["headers"] = {"Content-Type": [JSON]}
        response["body"] = {"content": example, "contentType": JSON, "encoded": False}
        response["matchingRules"] = {"header": {"Content-Type": _json_type()}}
        if rules:
            response["matchingRules"]["body"] = rules
    interaction: dict[str, Any] = {
        "type": "Synchronous/HTTP",
        "key": key,
        "description": describe(
            entry["operation_id"], traced.notes, entry["status"], entry.get("error_type", "")
        ),
        "pending": False,
        "providerStates": traced.states,
        "request": request,
        "response": response,
        "comments": {"operationId": entry["operation_id"]},
    }
    if comments:
        interaction["comments"]["text"] = comments
    return interaction


def _json_type() -> dict[str, Any]:
    return rule(match="regex", regex=r"^application/json(;.*)?$")


def contract(consumer: str, found: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The Pact v4 document: interactions merged by key, descriptions made unique."""
    merged: dict[str, dict[str, Any]] = {}
    for interaction in found:
        merged.setdefault(str(interaction["key"]), interaction)
    ordered = sorted(merged.values(), key=lambda i: (str(i["description"]), str(i["key"])))
    first: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for interaction in ordered:
        text = str(interaction["description"])
        if text in first:
            text = _variant(first[text], interaction, text, taken)
        first.setdefault(text, interaction)
        taken.add(text)
        interaction["description"] = text
    return {
        "consumer": {"name": consumer},
        "provider": {"name": states.PROVIDER},
        "interactions": ordered,
        "metadata": {
            "pactSpecification": {"version": states.PACT_SPECIFICATION},
            "moonkeyMock": {"version": version()},
        },
    }


def _variant(first: dict[str, Any], other: dict[str, Any], text: str, taken: set[str]) -> str:
    """A description that tells ``other`` from ``first``: the fields or states it adds."""
    extra = sorted(set(_fields(other)) - set(_fields(first)))
    missing = sorted(set(_fields(first)) - set(_fields(other)))
    given = [s["name"] for s in other["providerStates"] if s not in first["providerStates"]]
    hint = (
        "with " + ", ".join(extra)
        if extra
        else "without " + ", ".join(missing)
        if missing
        else "given " + "; ".join(given)
        if given
        else ""
    )
    candidate = f"{text} ({hint})" if hint else text
    number = 2
    while candidate in taken or candidate == text:
        candidate = f"{text} (variant {number})"
        number += 1
    return candidate


def _fields(interaction: dict[str, Any]) -> list[str]:
    content = interaction["request"].get("body", {}).get("content")
    query = list(interaction["request"].get("query", {}))
    return (list(content) if isinstance(content, dict) else []) + query


def write(path: str | Path, document: dict[str, Any]) -> None:
    """Write the contract as indented JSON (a stable order, so a re-record diffs cleanly)."""
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")
