"""openapi.yaml is valid, complete, consistent with the error classes and with the handlers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from mock_server import MockConfig, create_app, idp
from mock_server.control.document import control_spec
from mock_server.errors import all_error_classes
from mock_server.pipeline import collect_handlers
from mock_server.spec import Spec, SpecError, default_spec_path, load_spec
from tests.helpers import data_path

MINI = data_path("mini_openapi.yaml")
# Errors the routing layer answers for any path (the spec shows them in shared examples only).
GENERIC = {"not_found", "method_not_allowed"}


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _error_examples(spec: Spec | None = None) -> list[dict[str, Any]]:
    """Every example error body in the document (schemas are dicts too: skip them)."""
    found = _walk((spec or load_spec()).document)
    return [n for n in found if isinstance(n.get("status_code"), int) and "error_type" in n]


def _variant(tmp_path: Path, change: Any) -> str:
    """A copy of the mini spec with ``change(document)`` applied."""
    document = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


# --- the real document -----------------------------------------------------------------


def test_spec_passes_openapi_spec_validator() -> None:
    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    validate(document, cls=OpenAPIV31SpecValidator)


def test_spec_load_finds_the_25_operations_and_the_node_sdk_alias() -> None:
    operations = load_spec().operations
    assert operations["InviteUserByMagicLinkNodeSdk"].path == "/v1/auth/magic_links/invite"
    by_tag: dict[str, set[str]] = {}
    for op in operations.values():
        by_tag.setdefault(op.tag, set()).add(op.operation_id)
    assert by_tag["sessions"] == {
        "VerifySession",
        "ListSessions",
        "DeleteSession",
        "GetJWKs",
        "GetJWKsByApp",
    }
    assert by_tag["otps"] == {
        "CreateEmailOtp",
        "CreateSmsOtp",
        "LoginOrCreateUserByEmailOtp",
        "LoginOrCreateUserBySms",
        "VerifyOtp",
    }
    assert by_tag["users"] >= {"CreateUser", "GetUser", "DeleteUser", "SearchUsers"}
    assert by_tag["users"] - {"DeleteUserWallet", "DeleteUserWebAuthnCredential"} == {
        "CreateUser",
        "GetUser",
        "DeleteUser",
        "SearchUsers",
        "UpdateUser",
        "DeleteUserEmail",
        "DeleteUserPhoneNumber",
        "DeleteUserPhoneNumberSingular",
        "DeleteUserTOTP",
    }
    assert by_tag["totps"] == {
        "CreateTOTP",
        "VerifyTOTP",
        "GetTOTPRecoveryCodes",
        "VerifyTOTPRecovery",
    }
    assert by_tag["passwords"] == {
        "VerifyPassword",
        "UpdatePasswordBySession",
        "PasswordStrengthCheck",
    }
    assert by_tag["wallets"] == {
        "BeginWalletRegistration",
        "VerifyWallet",
        "GetWalletRegistrationNonce",
        "VerifySiweWalletRegistration",
        "DeleteUserWallet",
    }
    assert len(by_tag["magic_links"]) == 6
    assert len(by_tag["oauth"]) == 6
    assert by_tag["webauthn"] == {
        "BeginWebAuthnRegistration",
        "CreateWebAuthnRegistration",
        "BeginWebAuthnAuthentication",
        "VerifyWebAuthnAuthentication",
        "DeleteUserWebAuthnCredential",
    }


@pytest.mark.parametrize("document", ["api", "control"])
def test_spec_every_error_class_is_documented_with_its_status(document: str) -> None:
    spec = load_spec() if document == "api" else control_spec()
    statuses = {s for op in spec.operations.values() for s in op.statuses}
    examples = {(node["status_code"], node["error_type"]) for node in _error_examples(spec)}
    classes = [cls for cls in all_error_classes() if cls.document == document]
    assert classes
    for cls in classes:
        assert (cls.status, cls.code) in examples, f"{cls.__name__}: no example {cls.code}"
        if cls.code not in GENERIC:
            assert cls.status in statuses, f"{cls.__name__}: no operation documents {cls.status}"


def test_spec_identity_provider_errors_are_listed_on_its_module() -> None:
    classes = [cls for cls in all_error_classes() if cls.document == "idp"]
    assert classes
    assert {cls.document for cls in all_error_classes()} == {"api", "control", "idp"}
    for cls in classes:
        assert f"``{cls.code}``" in (idp.__doc__ or ""), f"{cls.__name__} is not listed"


def test_spec_error_examples_are_consistent_envelopes() -> None:
    examples = _error_examples()
    assert len(examples) > 20
    for node in examples:
        assert node["error"] == {"code": node["error_type"], "message": node["error_message"]}


def test_spec_every_operation_documents_what_the_pipeline_can_answer() -> None:
    for op in load_spec().operations.values():
        expected = {200, 500} if op.operation_id.startswith("Begin") else {200, 400, 401, 500}
        if op.body_pointer is not None:
            expected |= {400, 413, 415}
        missing = expected - op.statuses
        assert not missing, f"{op.operation_id} does not document {sorted(missing)}"


def test_spec_handler_names_map_to_operation_ids() -> None:
    spec = load_spec()
    for op_id, handler in collect_handlers(spec).items():
        op = spec.operations[op_id]
        assert handler.__name__ == op.handler_name
        assert handler.__module__ == f"mock_server.handlers.{op.tag}"


@pytest.mark.parametrize(
    ("operation_id", "handler"),
    [
        ("VerifySession", "verify_session"),
        ("GetJWKs", "get_jwks"),
        ("GetJWKsByApp", "get_jwks_by_app"),
        ("CreateSmsOtp", "create_sms_otp"),
        ("LoginOrCreateUserBySms", "login_or_create_user_by_sms"),
        ("VerifyOtp", "verify_otp"),
        ("BeginGoogleOAuth", "begin_google_oauth"),
        ("VerifyOAuthToken", "verify_oauth_token"),
    ],
)
def test_spec_handler_name_of_operation_id(operation_id: str, handler: str) -> None:
    assert load_spec().operations[operation_id].handler_name == handler


# --- the loader on small documents -----------------------------------------------------


def test_spec_mini_document_loads() -> None:
    spec = load_spec(str(MINI))
    assert set(spec.operations) == {"PingMini", "GetUser"}
    ping = spec.operations["PingMini"]
    assert (ping.method, ping.tag, ping.body_required) == ("POST", "sessions", True)
    assert ping.statuses == frozenset({200})
    assert spec.operations["GetUser"].flask_rule == "/v1/auth/users/<user_id>"


def test_spec_operation_without_handler_fails_collect_handlers() -> None:
    with pytest.raises(SpecError, match=r"operation PingMini has no handler sessions\.ping_mini"):
        collect_handlers(load_spec(str(MINI)))


def test_spec_operation_without_handler_fails_start_up(config: MockConfig) -> None:
    with pytest.raises(SpecError, match="has no handler"):
        create_app(config, spec_path=str(MINI))


def test_spec_nullable_is_rejected(tmp_path: Path) -> None:
    def nullable(doc: Any) -> None:
        doc["components"]["schemas"]["PingRequest"]["properties"]["note"]["nullable"] = True

    with pytest.raises(SpecError, match="unsupported construct 'nullable'"):
        load_spec(_variant(tmp_path, nullable))


def test_spec_property_named_nullable_is_allowed(tmp_path: Path) -> None:
    def named(doc: Any) -> None:
        doc["components"]["schemas"]["PingRequest"]["properties"]["nullable"] = {"type": "string"}

    assert "PingMini" in load_spec(_variant(tmp_path, named)).operations


def test_spec_discriminator_is_rejected(tmp_path: Path) -> None:
    def discriminator(doc: Any) -> None:
        doc["components"]["schemas"]["Pong"]["discriminator"] = {"propertyName": "pong"}

    with pytest.raises(SpecError, match="unsupported construct 'discriminator'"):
        load_spec(_variant(tmp_path, discriminator))


def test_spec_openapi_30_is_rejected(tmp_path: Path) -> None:
    def old(doc: Any) -> None:
        doc["openapi"] = "3.0.3"

    with pytest.raises(SpecError, match=r"not an OpenAPI 3\.1 document"):
        load_spec(_variant(tmp_path, old))


def test_spec_non_json_request_body_is_rejected(tmp_path: Path) -> None:
    def form(doc: Any) -> None:
        body = doc["paths"]["/v1/auth/sessions/ping"]["post"]["requestBody"]
        body["content"] = {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}

    with pytest.raises(SpecError, match="request bodies must be application/json only"):
        load_spec(_variant(tmp_path, form))


def test_spec_missing_operation_id_is_rejected(tmp_path: Path) -> None:
    def anonymous(doc: Any) -> None:
        del doc["paths"]["/v1/auth/sessions/ping"]["post"]["operationId"]

    with pytest.raises(SpecError, match="has no operationId"):
        load_spec(_variant(tmp_path, anonymous))


def test_spec_duplicate_operation_id_is_rejected(tmp_path: Path) -> None:
    def duplicate(doc: Any) -> None:
        doc["paths"]["/v1/auth/users/{user_id}"]["get"]["operationId"] = "PingMini"

    with pytest.raises(SpecError, match="duplicate operationId PingMini"):
        load_spec(_variant(tmp_path, duplicate))
