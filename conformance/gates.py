"""Probes that tell whether a target serves an optional area of the API (issue 26).

A rule module whose area a deployment may lack calls its probe once and skips with the
reason it returns (docs/decisions.md M18).
"""

from __future__ import annotations

from conformance.client import ApiClient

CREATE_WALLET = "/v1/wallets/create"


def missing_managed_wallets(api: ApiClient) -> str | None:
    """Why the target has no managed wallets (CreateWallet's path is unknown there), or None.

    The probe names a user that does not exist: a deployment with managed wallets answers 404
    ``user_not_found`` (or another error of the operation), one without answers its unknown-path
    404 or a 405.
    """
    probe = api.post(
        CREATE_WALLET, {"user_id": "user_conformanceProbe0000000000", "wallet_type": "ETH"}
    )
    if probe.status in (404, 405) and probe.json.get("error_type") != "user_not_found":
        return (
            "managed wallets: the deployment does not serve POST /v1/wallets/create "
            f"(HTTP {probe.status} {probe.json.get('error_type')!r}, not user_not_found)"
        )
    return None
