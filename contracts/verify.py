"""Replaying a Pact v4 contract's interactions against a target and comparing the answers.

For each ``Synchronous/HTTP`` interaction: make its provider states (:mod:`contracts.setup`),
inject the values they provide where the request's provider-state generators say (path, query,
headers, body paths such as ``$.a.b`` or ``$.a[0]``), send it with the target's secret key,
compare the answer with the contract's rules (:mod:`contracts.compare`) and delete what the
set-up made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from contracts.compare import Difference, compare
from contracts.setup import HTTP_TIMEOUT, SetupError, StateMaker, Target

_EXPRESSION = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]")


class ContractError(ValueError):
    """The file is not a contract this verifier reads."""


@dataclass
class Result:
    """What became of one interaction."""

    description: str
    differences: list[Difference] = field(default_factory=list)
    error: str | None = None  # a set-up error: the interaction could not be checked
    status: int | None = None

    @property
    def holds(self) -> bool:
        """Whether the answer kept the contract."""
        return self.error is None and not self.differences

    def first(self) -> str:
        """The first differing path (or the set-up error), for one-line tables."""
        if self.error:
            return f"set-up error: {self.error}"
        return self.differences[0].line() if self.differences else ""


def load(path: str | Path) -> dict[str, Any]:
    """A contract file's JSON, checked to be a Pact document with interactions."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ContractError(f"{path}: cannot read a JSON contract ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise ContractError(f"{path}: not a Pact contract (no interactions list)")
    return document


def _steps(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise ContractError(f"a generator path must start with $: {path!r}")
    steps: list[str | int] = []
    rest = path[1:]
    while rest:
        found = _STEP.match(rest)
        if found is None:
            raise ContractError(f"a generator path this verifier cannot follow: {path!r}")
        name, index, quoted = found.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        rest = rest[found.end() :]
    return steps


def put(document: Any, path: str, value: Any) -> Any:
    """``document`` with ``value`` at the JSON path ``path`` (``$`` replaces the whole)."""
    steps = _steps(path)
    if not steps:
        return value
    here = document
    for step in steps[:-1]:
        here = here[step]
    here[steps[-1]] = value
    return document


def fill(expression: str, values: dict[str, Any]) -> str:
    """``expression`` with each ``${key}`` replaced by the set-up's value."""

    def one(found: re.Match[str]) -> str:
        key = found.group(1)
        if key not in values:
            raise SetupError(f"no provider state of the interaction provides {key!r}")
        return str(values[key])

    return _EXPRESSION.sub(one, expression)


def _generated(rule: Any, values: dict[str, Any]) -> str | None:
    if isinstance(rule, dict) and rule.get("type") == "ProviderState":
        return fill(str(rule.get("expression", "")), values)
    return None


def _body_of(part: dict[str, Any]) -> Any:
    body = part.get("body")
    if isinstance(body, dict) and "content" in body and "contentType" in body:
        return body["content"]
    return body


def build_request(request: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The request to send: method, path, query, headers and body with generators applied."""
    generators = request.get("generators") or {}
    path = str(request.get("path", "/"))
    path_rule = generators.get("path")
    made = _generated(path_rule, values)
    if made is not None:
        path = made
    query: dict[str, Any] = {}
    for key, value in (request.get("query") or {}).items():
        query[key] = value[0] if isinstance(value, list) and len(value) == 1 else value
    for key, rule in (generators.get("query") or {}).items():
        made = _generated(rule, values)
        if made is not None:
            query[key.removeprefix("$.")] = made
    headers = {
        str(k): str(v[0] if isinstance(v, list) and v else v)
        for k, v in (request.get("headers") or {}).items()
    }
    for key, rule in (generators.get("header") or {}).items():
        made = _generated(rule, values)
        if made is not None:
            headers[key.removeprefix("$.")] = made
    body = json.loads(json.dumps(_body_of(request)))
    for key, rule in (generators.get("body") or {}).items():
        made = _generated(rule, values)
        if made is not None:
            try:
                body = put(body, key, made)
            except (KeyError, IndexError, TypeError) as error:
                raise ContractError(f"the body has no place {key!r} for its generator") from error
    return {
        "method": str(request.get("method", "GET")).upper(),
        "path": path,
        "query": query,
        "headers": headers,
        "body": body,
    }


def _states(interaction: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = interaction.get("providerStates")
    if found is None and interaction.get("providerState"):
        found = [{"name": interaction["providerState"]}]
    pairs = []
    for item in found or []:
        if isinstance(item, dict) and item.get("name"):
            params = item.get("params") if isinstance(item.get("params"), dict) else {}
            pairs.append((str(item["name"]), dict(params or {})))
    return pairs


def send(target: Target, sent: dict[str, Any]) -> requests.Response:
    """Send a built request with the target's secret key (unless the contract sets one)."""
    headers = {"Authorization": f"Bearer {target.api_key}", **sent["headers"]}
    has_body = sent["body"] is not None
    try:
        return target.http.request(
            sent["method"],
            target.url + sent["path"],
            params=sent["query"] or None,
            data=json.dumps(sent["body"]).encode() if has_body else None,
            headers={**({"Content-Type": "application/json"} if has_body else {}), **headers},
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise SetupError(f"{target.url} is unreachable: {type(error).__name__}") from error


def _run_addresses(value: Any, maker: StateMaker) -> Any:
    """Each email address of the contract becomes the run's own (the one its states made).

    The states of an interaction are made for fresh addresses standing for the contract's, so a
    verifier never meets a user an earlier run left; the request sends, and the answer is
    expected to show, the same ones.
    """
    if isinstance(value, str) and "@" in value and " " not in value:
        return maker.address_for(value)
    if isinstance(value, dict):
        return {k: _run_addresses(v, maker) for k, v in value.items()}
    if isinstance(value, list):
        return [_run_addresses(v, maker) for v in value]
    return value


def check(target: Target, interaction: dict[str, Any]) -> Result:
    """Replay one interaction; a set-up error is kept in the result, not raised."""
    result = Result(str(interaction.get("description", "an interaction")))
    maker = StateMaker(target)
    try:
        values: dict[str, Any] = {}
        for name, params in _states(interaction):
            values.update(maker.make(name, params))
        sent = build_request(dict(interaction.get("request") or {}), values)
        sent["query"] = _run_addresses(sent["query"], maker)
        sent["body"] = _run_addresses(sent["body"], maker)
        answer = send(target, sent)
        result.status = answer.status_code
        try:
            actual = answer.json() if answer.content else None
        except ValueError:
            actual = answer.text
        response = dict(interaction.get("response") or {})
        rules = (response.get("matchingRules") or {}).get("body") or {}
        result.differences = compare(
            int(response.get("status", 200)),
            _run_addresses(_body_of(response), maker),
            rules,
            answer.status_code,
            actual,
        )
    except (SetupError, ContractError) as error:
        result.error = str(error)
    finally:
        try:
            maker.cleanup()
        except SetupError as error:
            result.error = result.error or f"clean-up: {error}"
    return result


def verify(path: str | Path, target: Target) -> list[Result]:
    """Replay every HTTP interaction of the contract at ``path`` against ``target``."""
    document = load(path)
    results = []
    for interaction in document["interactions"]:
        if not isinstance(interaction, dict):
            continue
        if interaction.get("type", "Synchronous/HTTP") != "Synchronous/HTTP":
            continue
        results.append(check(target, interaction))
    return results


def preflight(target: Target) -> None:
    """A set-up error when the target is unreachable or refuses the key (one call)."""
    answer = target.call("GET", "/v1/auth/sessions/list", user_id="user_contract_preflight")
    try:
        data = answer.json()
    except ValueError:
        data = {}
    if answer.status_code == 401:
        kind = data.get("error_type") if isinstance(data, dict) else None
        raise SetupError(f"{target.url} refused the secret key (401 {kind or 'unauthorized'})")
