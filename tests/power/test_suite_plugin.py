"""The ``moonkey_conformance`` plugin seen from a downstream project (pytester).

Its fixtures (``moonkey_target``, ``moonkey_schema``: base URL and key already set) work without
the suite's conftest; the suite takes codes from a user's hook and names a missing control.
(``schemathesis.pytest.from_fixture`` itself fails under pytest 9 - it reads the removed
``Node._nodeid`` - so the schema is used directly here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import conformance

SUITE = str(Path(conformance.__file__).resolve().parent)
ARGS = ("-p", "no:cacheprovider", "-q")


def test_suite_plugin_fixtures_downstream(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_target_is_the_in_process_fake(moonkey_target):
            assert moonkey_target.in_process and moonkey_target.has("clock")


        def test_schema_is_bound_to_the_target(moonkey_schema, moonkey_target):
            key = {"Authorization": f"Bearer {moonkey_target.api_key}"}
            case = moonkey_schema["/v1/auth/jwks/default"]["GET"].Case(headers=key)
            assert case.call_and_validate().status_code == 200
        """
    )
    pytester.runpytest(*ARGS).assert_outcomes(passed=2)


def test_suite_reads_codes_through_the_hook_and_names_missing_controls(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake without its control API: codes come from the user's hook, controls are skipped."""
    used = pytester.path / "hook-used"
    pytester.makepyfile(
        moonkey_codes=f"""
        from pathlib import Path


        def pytest_moonkey_read_code(to, kind, target):
            Path({str(used)!r}).write_text(to)
            messages = target.server.state.outbox.messages(to=to, kind=kind)
            return messages[0].code if messages else None
        """
    )
    pytester.syspathinsert()
    monkeypatch.setenv("MOONKEY_MOCK_CONTROL", "false")
    wanted = "test_verify_otp_with_session_expires_in or test_error_envelope_on_injected_fault"
    result = pytester.runpytest(SUITE, *ARGS, "-p", "moonkey_codes", "-k", wanted, "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs the 'faults' control (/_mock/faults)*"])
    assert used.exists()
