"""Hook specifications of the conformance suite (implement them in your ``conftest.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.target import Target


@pytest.hookspec(firstresult=True)
def pytest_moonkey_read_code(to: str, kind: str, target: Target) -> str | None:
    """Return the newest code or token the target sent to ``to``, or None if there is none yet.

    The suite calls this when a test needs what a real deployment delivers by email or SMS:
    ``kind`` is ``"otp"`` (return the passcode) or ``"magic_link"`` (return the magic-link
    token). It is called repeatedly until a value different from the previous one for ``to``
    appears, so return the newest message. Example reading a test inbox::

        def pytest_moonkey_read_code(to, kind, target):
            message = my_inbox.latest(to)
            return extract_code(message) if message else None

    Args:
        to: the email address or E.164 phone number the target sent to.
        kind: ``"otp"`` or ``"magic_link"``.
        target: the :class:`~conformance.target.Target` under test.
    """
