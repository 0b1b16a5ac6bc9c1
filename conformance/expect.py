"""Structured conformance failures: which rule, what was expected, what the target did.

Tests never use bare status asserts; they call an :class:`Expect` bound to the test's rule,
which raises a :class:`ConformanceFailure` naming the rule, the expectation, the observation
and the request that showed it.
"""

from __future__ import annotations

from typing import Any

from conformance.client import Exchange

ENVELOPE_FIELDS = ("status_code", "error_type", "error_message", "error")


class ConformanceFailure(AssertionError):
    """The target does not follow a documented rule.

    Args:
        rule: the rule, naming its source (``"D13: DeleteSession takes exactly one id"``).
        expected: what the rule requires.
        observed: what the target did.
        exchange: the request/response that showed it, if any.
    """

    def __init__(
        self,
        rule: str,
        expected: str,
        observed: str,
        exchange: Exchange | None = None,
        *,
        decision: str | None = None,
    ) -> None:
        self.rule = rule
        self.expected = expected
        self.observed = observed
        self.exchange = exchange
        self.decision = decision
        head = f"[{rule}]"
        if decision:
            head = f"differs from moonkey-mock's decision {decision}: {head}"
        lines = [head, f"  expected: {expected}", f"  observed: {observed}"]
        if exchange is not None:
            lines.append(f"  request:  {exchange.summary()}")
            lines.append(f"  response: {exchange.answer()}")
        super().__init__("\n".join(lines))


def envelope_problems(status: int, body: Any) -> list[str]:
    """What is wrong with an error response's D9 envelope ([] when it is right)."""
    if not isinstance(body, dict):
        return [f"the body is not a JSON object: {str(body)[:200]!r}"]
    problems = [f"'{name}' is missing" for name in ENVELOPE_FIELDS if name not in body]
    if problems:
        return problems
    if body["status_code"] != status:
        problems.append(f"status_code {body['status_code']!r} != HTTP status {status}")
    for name in ("error_type", "error_message"):
        if not isinstance(body[name], str) or not body[name]:
            problems.append(f"'{name}' is not a non-empty string")
    nested = body["error"]
    wanted = {"code": body.get("error_type"), "message": body.get("error_message")}
    if not isinstance(nested, dict) or {k: nested.get(k) for k in wanted} != wanted:
        problems.append(f"'error' is not {{code: error_type, message: error_message}}: {nested!r}")
    return problems


class Expect:
    """Expectations of one rule; each failure raises :class:`ConformanceFailure`.

    Args:
        rule: the rule the test checks (its ``@pytest.mark.rule`` text).
        decision: the moonkey-mock decision the rule checks (its ``decision`` marker), when the
            target is not the fake: a failure then reads "differs from moonkey-mock's decision".
    """

    def __init__(self, rule: str, decision: str | None = None) -> None:
        self.rule = rule
        self.decision = decision

    def fail(self, expected: str, observed: str, exchange: Exchange | None = None) -> None:
        """Raise a failure of this rule."""
        raise ConformanceFailure(self.rule, expected, observed, exchange, decision=self.decision)

    def ok(self, exchange: Exchange, status: int = 200) -> dict[str, Any]:
        """``exchange`` answered ``status``; returns its JSON body."""
        if exchange.status != status:
            self.fail(f"HTTP {status}", f"HTTP {exchange.status}", exchange)
        return exchange.json

    def error(self, exchange: Exchange, status: int, code: str | None = None) -> dict[str, Any]:
        """An error ``status`` (and ``error_type`` ``code``) in a complete D9 envelope."""
        if exchange.status != status:
            wanted = f"HTTP {status}" + (f" {code}" if code else "")
            self.fail(wanted, f"HTTP {exchange.status}", exchange)
        self.envelope(exchange)
        if code is not None and exchange.json.get("error_type") != code:
            observed = f"error_type {exchange.json.get('error_type')!r}"
            self.fail(f"error_type {code!r}", observed, exchange)
        return exchange.json

    def envelope(self, exchange: Exchange) -> None:
        """The D9 error envelope is complete and consistent."""
        problems = envelope_problems(exchange.status, exchange.body)
        if problems:
            wanted = "the D9 envelope {status_code, error_type, error_message, error{code,message}}"
            self.fail(wanted, "; ".join(problems), exchange)

    def equal(
        self, what: str, expected: Any, observed: Any, exchange: Exchange | None = None
    ) -> None:
        """``observed`` equals ``expected``."""
        if observed != expected:
            self.fail(f"{what} = {expected!r}", f"{what} = {observed!r}", exchange)

    def true(
        self, condition: bool, expected: str, observed: str, exchange: Exchange | None = None
    ) -> None:
        """``condition`` holds."""
        if not condition:
            self.fail(expected, observed, exchange)

    def field(self, exchange: Exchange, *path: str | int) -> Any:
        """The value at ``path`` in the JSON body (a failure when it is absent)."""
        value: Any = exchange.body
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                where = ".".join(str(p) for p in path)
                self.fail(f"the response has '{where}'", f"'{where}' is absent", exchange)
        return value
