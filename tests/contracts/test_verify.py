"""``contract verify`` and ``contract diff`` against a fresh fake and against broken ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.control_client import MockControl
from conformance.server import MockServer
from contracts.compare import compare
from contracts.replay_command import main
from mock_server import MockConfig, create_app

DATA = Path(__file__).parent / "data"
RECORDED = DATA / "recorded.json"


@pytest.fixture
def fake() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _verify(server: MockServer, *extra: str, file: Path = RECORDED, key: str | None = None) -> int:
    return main(
        [
            "verify",
            str(file),
            "--target",
            server.url,
            "--api-key",
            key or server.config.secret_key,
            *extra,
        ]
    )


def _edited(tmp_path: Path, edit: Any) -> Path:
    document = json.loads(RECORDED.read_text(encoding="utf-8"))
    edit(document["interactions"])
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def test_a_fresh_fake_keeps_the_recorded_contract(
    fake: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.html"
    assert _verify(fake, "--junitxml", str(junit), "--report", str(report)) == 0
    out = capsys.readouterr().out
    assert "3 of 3 interactions hold" in out
    assert junit.read_text(encoding="utf-8").count("<testcase") == 3
    assert "→ 401 invalid_session" in report.read_text(encoding="utf-8")
    assert MockControl(fake.url).users()["users"] == []  # the set-up's users are deleted


def _dropping(field: str) -> Any:
    """A WSGI middleware: the deployment's JSON answers lose ``session.<field>``."""

    def wrap(app: Any) -> Any:
        def edited(environ: dict[str, Any], start_response: Any) -> Any:
            caught: dict[str, Any] = {}

            def keep(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                caught["status"], caught["headers"] = status, headers
                return lambda _data: None

            raw = b"".join(app(environ, keep))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("session"), dict):
                body["session"].pop(field, None)
                raw = json.dumps(body).encode()
            headers = [(k, v) for k, v in caught["headers"] if k.lower() != "content-length"]
            start_response(caught["status"], [*headers, ("Content-Length", str(len(raw)))])
            return [raw]

        return edited

    return wrap


def test_a_dropped_documented_field_fails_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = create_app(MockConfig.from_env())
    broken.wsgi_app = _dropping("device_info")(broken.wsgi_app)  # type: ignore[method-assign]
    report = tmp_path / "report.md"
    with MockServer(app=broken) as server:
        assert _verify(server, "--report", str(report)) == 1
    out = capsys.readouterr().out
    line = "$.session.device_info: expected an object (the contract's type rule), missing"
    assert line in out
    assert line in report.read_text(encoding="utf-8")


def test_a_changed_error_type_fails_with_expected_and_got(
    fake: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def other_error(interactions: list[dict[str, Any]]) -> None:
        interactions[1]["response"]["body"]["content"]["error_type"] = "session_expired"

    assert _verify(fake, file=_edited(tmp_path, other_error)) == 1
    out = capsys.readouterr().out
    assert '$.error_type: expected "session_expired", got "invalid_session"' in out


def test_a_wrong_key_is_a_setup_error_in_one_line(
    fake: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(fake, key="sk_test_notTheKey000000000000000000000000000000000") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "refused the secret key" in err[0]


def test_an_unreachable_target_is_a_setup_error(capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer() as server:
        url = server.url
    code = main(["verify", str(RECORDED), "--target", url, "--api-key", "sk_test_x"])
    assert code == 2
    assert "unreachable" in capsys.readouterr().err


def test_diff_shows_the_fake_and_the_target(
    fake: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def other_error(interactions: list[dict[str, Any]]) -> None:
        interactions[1]["response"]["body"]["content"]["error_type"] = "session_expired"

    edited = _edited(tmp_path, other_error)
    key = fake.config.secret_key
    assert main(["diff", str(RECORDED), "--target", fake.url, "--api-key", key]) == 0
    assert main(["diff", str(edited), "--target", fake.url, "--api-key", key]) == 1
    out = capsys.readouterr().out
    assert out.count("interaction  ") >= 2
    assert '$.error_type: expected "session_expired", got "invalid_session"' in out


@pytest.mark.parametrize(
    ("rules", "expected", "actual", "line"),
    [
        ({}, {"a": 1}, {"a": 2}, "$.a: expected 1, got 2"),
        ({}, {"a": 1}, {"a": 1, "extra": True}, None),
        ({"$.a": {"matchers": [{"match": "integer"}]}}, {"a": 1}, {"a": 1.5}, "$.a: expected an"),
        ({"$.a": {"matchers": [{"match": "number"}]}}, {"a": 1}, {"a": "1"}, "$.a: expected a"),
        (
            {"$.a": {"matchers": [{"match": "regex", "regex": "^x_[a-z]+$"}]}},
            {"a": "x_b"},
            {"a": "y_b"},
            "$.a: expected a string matching ^x_[a-z]+$",
        ),
        (
            {"$.a": {"matchers": [{"match": "type", "min": 1}]}},
            {"a": [{"k": "v"}]},
            {"a": [{"k": "w"}, {"k": 3}]},
            "$.a[1].k: expected a string (the contract's type rule), got 3",
        ),
        (
            {"$.a": {"matchers": [{"match": "type", "min": 2}]}},
            {"a": [1, 2]},
            {"a": [1]},
            "$.a: expected at least 2 items",
        ),
        (
            {"$.a": {"matchers": [{"match": "type"}]}},
            {"a": True},
            {"a": "yes"},
            "$.a: expected a boolean",
        ),
    ],
)
def test_rules(rules: Any, expected: Any, actual: Any, line: str | None) -> None:
    found = [d.line() for d in compare(200, expected, rules, 200, actual)]
    if line is None:
        assert found == []
    else:
        assert found
        assert found[0].startswith(line), found
