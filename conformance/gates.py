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


BEGIN_WALLET_IMPORT = "/v1/wallets/import/begin"


def missing_wallet_import(api: ApiClient) -> str | None:
    """Why the target has no wallet import (BeginWalletImport's path is unknown there), or None.

    BeginWalletImport names no record, so a deployment that serves it never answers 404 or 405
    to a well-formed body (docs/decisions.md M77); the probe's key pair is for an address of
    zeros and is never used.
    """
    probe = api.post(
        BEGIN_WALLET_IMPORT,
        {
            "public_address": "0x" + "00" * 20,
            "wallet_type": "ethereum",
            "encryption_type": "HPKE",
            "entropy_type": "private_key",
        },
    )
    if probe.status in (404, 405):
        return (
            "wallet import: the deployment does not serve POST /v1/wallets/import/begin "
            f"(HTTP {probe.status} {probe.json.get('error_type')!r})"
        )
    return None


def missing_wallet_signing(api: ApiClient) -> str | None:
    """Why the target cannot sign with managed wallets, or None (docs/decisions.md M33).

    No managed wallets: :func:`missing_managed_wallets`'s reason. Otherwise the probe asks
    WalletSignMessage of a wallet that does not exist: a deployment that signs answers 404
    ``wallet_not_found`` (or another error of the operation), one without answers its
    unknown-path 404 or a 405.
    """
    reason = missing_managed_wallets(api)
    if reason is not None:
        return reason.replace("managed wallets", "wallet signing (out of managed wallets)", 1)
    probe = api.post(f"/v1/wallets/{PROBE_WALLET}/sign_message", {"message": "probe"})
    if probe.status in (404, 405) and probe.json.get("error_type") != "wallet_not_found":
        return (
            "wallet signing: the deployment does not serve POST /v1/wallets/{wallet_id}/"
            f"sign_message (HTTP {probe.status} {probe.json.get('error_type')!r}, "
            "not wallet_not_found)"
        )
    return None


PROBE_WALLET = "wallet_conformanceProbe000000000"
