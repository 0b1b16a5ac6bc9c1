"""Keys a production MoonKey must refuse: the fake's defaults and the published examples.

The fake's default keys are those of ``mock_server/config.py`` (copied: the suite talks HTTP and
does not import the fake; a unit test keeps the copies equal). The published test key is the
example secret key of the published authentication page (https://docs.streambird.io/api-reference/authentication).
"""

from __future__ import annotations

FAKE_DEFAULT_SECRET_KEY = "sk_test_" + "moonkeymockDefaultSecretKey0123456789abcdefABCDE"[:48]
FAKE_DEFAULT_PUBLIC_TOKEN = "pk_test_" + "moonkeymockDefaultPublicToken0123456789abcdefABC"[:48]
PUBLISHED_TEST_SECRET_KEYS = ("sk_test_pRqweh3wvWmJAAVYv7Z0T5iPLzFM4ql0muoyQcjOxGeN3p1r",)
SECRET_KEYS = (FAKE_DEFAULT_SECRET_KEY, *PUBLISHED_TEST_SECRET_KEYS)
CONTROL_PATHS = ("/_mock/health", "/_mock/state")
