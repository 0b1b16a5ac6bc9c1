"""Every conformance rule cites where anyone can read it (issue 19).

A rule's ``@pytest.mark.rule(text, source=...)`` names a public documentation URL or a
``docs/decisions.md`` entry; its text names no line numbers of documents outside the repository.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import conformance
from conformance import sources

SUITE = Path(conformance.__file__).resolve().parent
RULE_FILES = sorted(SUITE.glob("test_*.py"))
LINE_REFERENCE = re.compile(r"\bL\d+\b|§")


def _rule_markers(path: Path) -> list[ast.Call]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.mark.rule":
            found.append(node)
    return found


def _source(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg != "source":
            continue
        value = keyword.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, ast.Attribute) and ast.unparse(value.value) == "sources":
            return str(getattr(sources, value.attr))
    return None


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_rule_cites_a_public_source(path: Path) -> None:
    markers = _rule_markers(path)
    assert markers or path.name == "test_schema.py", f"{path.name} has no rule"
    for call in markers:
        text = ast.unparse(call.args[0]) if call.args else "<no text>"
        source = _source(call)
        assert source is not None, f"{path.name}: rule {text} has no source="
        assert sources.is_citable(source), f"{path.name}: {source!r} is not a public address"
        assert not LINE_REFERENCE.search(text), f"{path.name}: {text} cites line numbers"


def test_decision_anchors_exist() -> None:
    """The docs/decisions.md anchors the rules cite are headings of that file."""
    headings = Path(__file__).resolve().parents[2].joinpath("docs", "decisions.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("# ").lower()).replace(" ", "-")
        for line in headings.splitlines()
        if line.startswith("## ")
    }
    cited = [getattr(sources, n) for n in dir(sources) if n.isupper()]
    for source in cited:
        if isinstance(source, str) and source.startswith("docs/decisions.md#"):
            assert source.split("#", 1)[1] in anchors, source


def test_shipped_schemathesis_config_is_current() -> None:
    """``schemathesis.toml`` (plain ``st run``) matches the spec's business-rule 400s."""
    from conformance import st_config

    shipped = Path(__file__).resolve().parents[2].joinpath("schemathesis.toml").read_text()
    assert shipped == st_config.render(), (
        "regenerate: python -m conformance.st_config > schemathesis.toml"
    )
    assert "CreateEmbeddableMagicLink" in st_config.semantic_400_operations()
    assert "CreateUser" not in st_config.semantic_400_operations()  # schema rejections only
