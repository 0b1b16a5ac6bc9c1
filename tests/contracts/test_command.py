"""``moonkey-mock contract record``: a running fake's journal over HTTP, written as a contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.fake import MoonkeyMockServer
from mock_server.cli import main


@pytest.fixture
def fake() -> Iterator[MoonkeyMockServer]:
    server = MoonkeyMockServer.in_process()
    try:
        yield server
    finally:
        server.close()


def test_record_writes_the_journal_of_a_running_fake(
    fake: MoonkeyMockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = fake.control.create_app(name="recorded")
    key = str(app.get("secret_key") or app["secret_keys"][0])
    headers = {"Authorization": f"Bearer {key}"}
    api = fake.url + "/v1/auth"
    requests.post(
        f"{api}/otps/email/login_or_create",
        json={"email": "a@example.com"},
        headers=headers,
        timeout=10,
    ).raise_for_status()
    code = fake.control.for_app(app["app_id"]).latest_code("a@example.com")
    verified = requests.post(
        f"{api}/otps/verify",
        json={"email": "a@example.com", "code": code},
        headers=headers,
        timeout=10,
    ).json()
    token = verified["session_token"]
    requests.post(
        f"{api}/sessions/verify", json={"session_token": token}, headers=headers, timeout=10
    ).raise_for_status()
    out = tmp_path / "c.json"
    argv = [
        "contract",
        "record",
        "--url",
        fake.url,
        "--app-id",
        app["app_id"],
        "--consumer",
        "cli",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "wrote 3 interactions" in capsys.readouterr().out
    raw = out.read_text()
    for secret in (key, str(app["public_token"]), code, token, verified["session_jwt"]):
        assert secret not in raw
    descriptions = {i["description"] for i in json.loads(raw)["interactions"]}
    assert descriptions == {
        "send an email OTP to a new user → 200",
        "verify an OTP → 200",
        "verify a live session → 200",
    }


def test_record_exits_2_with_one_line_when_nothing_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "contract",
        "record",
        "--url",
        "http://127.0.0.1:9",
        "--consumer",
        "c",
        "--out",
        str(tmp_path / "c.json"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no fake answers at http://127.0.0.1:9" in err
    assert not (tmp_path / "c.json").exists()


def test_record_exits_2_when_the_control_api_refuses_and_works_with_its_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mock_server import MockConfig

    config = MockConfig.from_env(strict=True, control=True, admin_token="the-admin-token")
    server = MoonkeyMockServer.in_process(config)
    out = tmp_path / "c.json"
    argv = ["contract", "record", "--url", server.url, "--consumer", "c", "--out", str(out)]
    try:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0
        assert "answered 401: pass the fake's --admin-token with --api-key" in err
        assert not out.exists()
        assert main([*argv, "--api-key", "the-admin-token"]) == 0
    finally:
        server.close()
    assert json.loads(out.read_text())["interactions"] == []
