"""The suite's copies of the fake's default keys are the fake's (the suite does not import it)."""

from __future__ import annotations

from conformance import hygiene
from mock_server import config


def test_hygiene_knows_the_fakes_default_keys() -> None:
    assert hygiene.FAKE_DEFAULT_SECRET_KEY == config.DEFAULT_SECRET_KEY
    assert hygiene.FAKE_DEFAULT_PUBLIC_TOKEN == config.DEFAULT_PUBLIC_TOKEN
