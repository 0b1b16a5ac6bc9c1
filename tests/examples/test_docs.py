"""The docs' code is the tested code: the quickstart file verbatim, the README snippet runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK_APP = ROOT / "examples" / "flask_app"
QUICKSTART = FLASK_APP / "test_quickstart.py"


def python_blocks(markdown: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text."""
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def test_plugin_doc_shows_the_quickstart_file_verbatim() -> None:
    doc = (ROOT / "docs" / "plugin.md").read_text()
    assert QUICKSTART.read_text() in python_blocks(doc)


def test_quickstart_is_a_complete_test_in_under_30_lines() -> None:
    assert len(QUICKSTART.read_text().splitlines()) < 30


def test_readme_snippet_passes_against_the_flask_example(pytester: pytest.Pytester) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use it in your app's tests", 1)[1]
    pytester.makepyfile(test_readme=python_blocks(section)[0])
    pytester.syspathinsert(FLASK_APP)
    pytester.runpytest("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)
