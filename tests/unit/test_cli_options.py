"""The CLI's surface: help, --version, usage errors, one variable per option, start-up checks."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mock_server import __version__
from mock_server.cli import build_parser, main, settings
from mock_server.config import (
    DEFAULT_SECRET_KEY,
    ENV_PREFIX,
    HOSTS_REMEMBERED,
    MockConfig,
    env_warnings,
    exposure_warnings,
)
from tests.unit.test_cli import TIMEOUT, _env

ROOT = Path(__file__).resolve().parents[2]

# A valid, non-default value for every serve option, by MockConfig field.
SAMPLES: dict[str, tuple[str, Any]] = {
    "host": ("127.0.0.2", "127.0.0.2"),
    "port": ("9000", 9000),
    "secret_key": ("sk_test_other", "sk_test_other"),
    "public_token": ("pk_test_other", "pk_test_other"),
    "app_id": ("app_other", "app_other"),
    "random_seed": ("42", "42"),
    "signing_key_file": ("key.pem", "key.pem"),
    "strict": ("true", True),
    "threads": ("3", 3),
    "server": ("waitress", "waitress"),
    "default_redirect_url": ("http://localhost:9/cb", "http://localhost:9/cb"),
    "max_body_bytes": ("2048", 2048),
    "otp_max_attempts": ("7", 7),
    "control": ("false", False),
    "admin_token": ("s3cret", "s3cret"),
    "allow_remote_control": ("yes", True),
    "allowed_hosts": ("moonkey,mock", "moonkey,mock"),
    "allow_hostname": ("on", True),
    "max_held_calls": ("4", 4),
    "journal_size": ("12", 12),
    "outbox_size": ("13", 13),
    "seed_file": ("seed.yaml", "seed.yaml"),
    "store": ("sqlite:///state.db", "sqlite:///state.db"),
    "workers": ("2", 2),
    "max_connections": ("500", 500),
    "header_timeout": ("3", 3),
}
# Variables an option's sample needs beside its own (two workers need a shared store).
SAMPLE_CONTEXT: dict[str, dict[str, str]] = {"workers": {"MOONKEY_MOCK_STORE": "sqlite:///s.db"}}


def _serve_parser() -> argparse.ArgumentParser:
    args = build_parser().parse_args(["serve"])
    parser: argparse.ArgumentParser = args.parser
    return parser


def _serve_options() -> dict[str, str]:
    """Each serve option's long flag by its destination (--control stands for the pair)."""
    flags: dict[str, str] = {}
    for action in _serve_parser()._actions:
        if action.dest != "help" and action.option_strings:
            flags.setdefault(action.dest, action.option_strings[0])
    return flags


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args],
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


# --- help, version, usage --------------------------------------------------------------


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: moonkey-mock [-h] [--version] COMMAND")
    for command in ("serve", "wait", "conformance"):
        assert re.search(rf"^\s+{command}\s", out, flags=re.MULTILINE)


def test_version_is_the_package_metadata_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"moonkey-mock {__version__}\n"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'\nversion = "{__version__}"\n' in pyproject


def test_version_has_one_literal_in_the_package() -> None:
    literals = [
        path.relative_to(ROOT)
        for path in (ROOT / "mock_server").rglob("*.py")
        if re.search(r"__version__\s*=\s*\"\d+\.\d+", path.read_text())
    ]
    assert literals == []


@pytest.mark.parametrize(
    ("args", "usage", "message"),
    [
        (
            ["serve", "--prot", "9000"],
            "usage: moonkey-mock serve",
            "unrecognized arguments: --prot",
        ),
        (["serve", "--port", "eighty"], "usage: moonkey-mock serve", "invalid int value: 'eighty'"),
        (["wait"], "usage: moonkey-mock wait", "the following arguments are required: URL"),
        (["wait", "http://127.0.0.1:1", "--timeout", "x"], "usage: moonkey-mock wait", "invalid"),
        (["serf"], "usage: moonkey-mock [-h]", "invalid choice: 'serf'"),
    ],
)
def test_usage_errors_print_the_usage_of_their_command(
    capsys: pytest.CaptureFixture[str], args: list[str], usage: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert message in err


# --- one rule for every option's variable ----------------------------------------------


def test_every_config_field_is_a_serve_option_named_by_the_rule() -> None:
    options = _serve_options()
    assert set(options) == set(MockConfig.__dataclass_fields__)
    assert set(SAMPLES) == set(options)
    for dest, flag in options.items():
        if dest != "control":
            assert f"[{ENV_PREFIX}{flag[2:].replace('-', '_').upper()}]" in _help_of(flag)


def _help_of(flag: str) -> str:
    for action in _serve_parser()._actions:
        if flag in action.option_strings:
            return action.help or ""
    raise AssertionError(flag)


@pytest.mark.parametrize("dest", sorted(SAMPLES))
def test_every_option_is_read_from_its_variable(dest: str) -> None:
    flag = "--no-control" if dest == "control" else _serve_options()[dest]
    variable = ENV_PREFIX + flag.removeprefix("--no-")[2:].replace("-", "_").upper()
    variable = ENV_PREFIX + "CONTROL" if dest == "control" else variable
    raw, expected = SAMPLES[dest]
    config = settings({}, {variable: raw, **SAMPLE_CONTEXT.get(dest, {})})
    assert getattr(config, dest) == expected


def test_the_command_line_wins_over_the_variable() -> None:
    args = vars(build_parser().parse_args(["serve", "--port", "7000", "--seed", "cli.yaml"]))
    config = settings(args, {"MOONKEY_MOCK_PORT": "9000", "MOONKEY_MOCK_SEED": "env.yaml"})
    assert (config.port, config.seed_file) == (7000, "cli.yaml")


def test_seed_and_signing_key_follow_the_rule() -> None:
    config = settings({}, {"MOONKEY_MOCK_SEED": "s.yaml", "MOONKEY_MOCK_SIGNING_KEY": "k.pem"})
    assert (config.seed_file, config.signing_key_file) == ("s.yaml", "k.pem")


def test_old_file_variables_still_work_with_a_deprecation_warning() -> None:
    env = {"MOONKEY_MOCK_SEED_FILE": "s.yaml", "MOONKEY_MOCK_SIGNING_KEY_FILE": "k.pem"}
    config = settings({}, env)
    assert (config.seed_file, config.signing_key_file) == ("s.yaml", "k.pem")
    assert env_warnings(env) == [
        "MOONKEY_MOCK_SEED_FILE is deprecated, use MOONKEY_MOCK_SEED",
        "MOONKEY_MOCK_SIGNING_KEY_FILE is deprecated, use MOONKEY_MOCK_SIGNING_KEY",
    ]


def test_the_new_name_wins_over_the_deprecated_one() -> None:
    env = {"MOONKEY_MOCK_SEED_FILE": "old.yaml", "MOONKEY_MOCK_SEED": "new.yaml"}
    assert settings({}, env).seed_file == "new.yaml"


def test_unknown_variable_is_warned_about_with_a_suggestion() -> None:
    env = {"MOONKEY_MOCK_PROT": "9000", "MOONKEY_MOCK_XYZZY_QUUX": "1", "HOME": "/"}
    assert env_warnings(env) == [
        "MOONKEY_MOCK_PROT is not a moonkey-mock setting and is ignored "
        "(did you mean MOONKEY_MOCK_PORT?)",
        "MOONKEY_MOCK_XYZZY_QUUX is not a moonkey-mock setting and is ignored",
    ]


def test_known_variables_and_other_tools_variables_are_not_warned_about() -> None:
    env = {"MOONKEY_MOCK_PORT": "1", "MOONKEY_MOCK_URL": "u", "MOONKEY_MOCK_BIN": "b"}
    assert env_warnings(env) == []


def test_serve_prints_the_unknown_variable_warning(tmp_path: Path) -> None:
    # a missing seed file stops start-up after the warnings: nothing is bound
    result = _run("serve", MOONKEY_MOCK_PROT="1", MOONKEY_MOCK_SEED=str(tmp_path / "no.yaml"))
    assert result.returncode == 2
    assert "moonkey-mock: warning: MOONKEY_MOCK_PROT is not a moonkey-mock setting" in result.stderr


def test_readme_lists_every_option_with_its_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    for dest, flag in _serve_options().items():
        variable = ENV_PREFIX + ("CONTROL" if dest == "control" else flag[2:].upper())
        row = re.search(rf"^\| `{flag}`[^|]*\| `{variable.replace('-', '_')}` \|", readme, re.M)
        assert row, f"README's option table lacks {flag} / {variable}"


# --- start-up checks (issue 18, item 7) ------------------------------------------------


@pytest.mark.parametrize("token", ["", " ", "\t", " padded", "two\nlines"])
def test_blank_or_unsendable_admin_token_is_refused(token: str) -> None:
    message = "MOONKEY_MOCK_ADMIN_TOKEN: must be non-empty, printable, without surrounding spaces"
    with pytest.raises(ValueError, match=re.escape(message)):
        MockConfig(admin_token=token)


def test_serve_with_empty_admin_token_exits_2_without_serving() -> None:
    result = _run("serve", "--port", "0", "--admin-token", "")
    assert result.returncode == 2
    assert "MOONKEY_MOCK_ADMIN_TOKEN: must be non-empty" in result.stderr
    assert "listening" not in result.stdout


def test_whitespace_admin_token_variable_is_an_error() -> None:
    result = _run("serve", "--port", "0", MOONKEY_MOCK_ADMIN_TOKEN="   ")
    assert result.returncode == 2
    assert "MOONKEY_MOCK_ADMIN_TOKEN: must be non-empty" in result.stderr


def test_remote_control_without_admin_token_is_refused() -> None:
    with pytest.raises(ValueError, match=r"--control on 0\.0\.0\.0 without --admin-token"):
        exposure_warnings(MockConfig(host="0.0.0.0", control=True))


def test_remote_control_is_allowed_with_a_token_or_when_forced() -> None:
    secret = "sk_test_private"
    tokened = MockConfig(host="0.0.0.0", control=True, admin_token="t", secret_key=secret)
    forced = MockConfig(host="0.0.0.0", control=True, allow_remote_control=True, secret_key=secret)
    assert exposure_warnings(tokened) == []
    assert exposure_warnings(forced) == []


def test_non_loopback_bind_with_the_default_secret_key_warns() -> None:
    (warning,) = exposure_warnings(MockConfig(host="0.0.0.0"))
    assert warning.startswith("bound to 0.0.0.0 with the published default secret key")
    assert "anyone who can reach this address can call the API" in warning
    assert DEFAULT_SECRET_KEY[:16] in warning


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_binds_need_no_warning(host: str) -> None:
    assert exposure_warnings(MockConfig(host=host, control=True)) == []


def test_serve_refuses_remote_control_before_binding() -> None:
    result = _run("serve", "--host", "192.0.2.1", "--port", "0", "--control")
    assert result.returncode == 2
    assert "--control on 192.0.2.1 without --admin-token" in result.stderr
    assert "--allow-remote-control" in result.stderr
    assert "cannot start" not in result.stderr  # refused before any bind


def test_serve_prints_the_default_key_warning() -> None:
    # 192.0.2.1 (TEST-NET-1) is not on this machine: the warning, then a clean bind failure
    result = _run("serve", "--host", "192.0.2.1", "--port", "0", "--allow-remote-control")
    assert result.returncode == 2
    assert "warning: bound to 192.0.2.1 with the published default secret key" in result.stderr
    assert "cannot start" in result.stderr


def test_install_hints_name_a_checkout_or_a_git_url_not_pypi() -> None:
    from conformance.command import MISSING

    assert "pip install -e '.[conformance]'" in MISSING
    assert "moonkey-mock[conformance] @ git+https://" in MISSING
    readme = (ROOT / "README.md").read_text()
    assert "pip install moonkey-mock\n" not in readme
    assert "pip install -e path/to/moonkey-mock" in readme
    assert "pip install 'moonkey-mock @ git+https://" in readme


def test_host_verdicts_are_remembered_within_a_bound() -> None:
    config = MockConfig(host="127.0.0.1", allowed_hosts="moonkey")
    hosts = [f"evil{n}.example:80" for n in range(HOSTS_REMEMBERED + 50)]
    assert not any(config.host_allowed(h) for h in hosts)
    assert all(config.host_allowed(h) for h in ["moonkey:8080", "127.0.0.1:80", "localhost"] * 2)
    assert not config.host_allowed("127.example:80")  # asked again, past the bound: still judged
    assert not config.host_allowed("127.example:80")
    assert len(config._hosts_seen) == HOSTS_REMEMBERED
