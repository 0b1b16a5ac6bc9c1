"""Real-target hygiene: a deployment that is not the test fake exposes no test door (issue 25).

Deselected on the in-process fake (the suite's own test double). Against any ``--target`` these
fail when the moonkey-mock control plane answers (``GET /_mock/health`` or ``/_mock/state``
returns 200: whoever reaches it can read and change every key, token and code), or when the
fake's default keys or the published example key are accepted. Checking a served moonkey-mock on
purpose? Deselect them: ``-m "not hygiene"``.
"""

from __future__ import annotations

import pytest
import requests

from conformance import hygiene, sources
from conformance.client import ApiClient
from conformance.expect import Expect
from conformance.target import Target

PROBE = "/v1/auth/sessions/list"
PUBLIC_PROBE = "/v1/auth/oauth/google/begin"
TIMEOUT = 10

pytestmark = pytest.mark.hygiene


@pytest.fixture(autouse=True)
def _not_the_fake(target: Target) -> None:
    if target.in_process:
        pytest.skip("hygiene: the in-process fake is the suite's own test double")


@pytest.mark.rule(
    "Hygiene: the test control plane /_mock/ is not exposed", source=sources.SUITE_SETUP
)
def test_control_plane_not_exposed(target: Target, expect: Expect) -> None:
    """``GET /_mock/health`` and ``/_mock/state`` (no admin token) must not answer 200."""
    for path in hygiene.CONTROL_PATHS:
        answer = requests.get(f"{target.base_url}{path}", timeout=TIMEOUT)
        expect.true(
            answer.status_code != 200,
            f"GET {path} refused or absent (a production deployment has no test control plane)",
            f"HTTP 200: the /_mock/ control plane is exposed at {target.base_url}{path}; "
            "anyone reaching it can read and change keys, tokens and codes "
            "(serve with --no-control)",
        )


@pytest.mark.rule(
    "Hygiene: the fake's default keys and the published test key are refused",
    source=sources.AUTHENTICATION,
)
def test_default_and_published_keys_refused(target: Target, api: ApiClient, expect: Expect) -> None:
    """Each known secret key as Bearer → 401; the fake's default public token → 401 too."""
    for key in hygiene.SECRET_KEYS:
        params = {"user_id": "user_hygieneProbe"}
        answer = api.call("GET", PROBE, params=params, key=key, auth_label="known key")
        expect.true(
            answer.status == 401,
            f"the key {key[:16]}... refused with 401",
            f"HTTP {answer.status}: a published or moonkey-mock default secret key is accepted; "
            "give the deployment its own key (moonkey-mock: --secret-key)",
            answer,
        )
    public = requests.get(
        f"{target.base_url}{PUBLIC_PROBE}",
        params={"public_token": hygiene.FAKE_DEFAULT_PUBLIC_TOKEN},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    expect.true(
        public.status_code == 401,
        "moonkey-mock's default public token refused with 401",
        f"HTTP {public.status_code}: the default public token is accepted "
        "(moonkey-mock: --public-token)",
    )
