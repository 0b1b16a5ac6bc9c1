"""API errors and the one envelope renderer (decisions D9).

Code raises an :class:`ApiError` subclass; the routing layer renders it. Class names follow the
``error_type`` they carry (``invalid_session`` -> :class:`InvalidSession`).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """An error the API answers with; subclasses fix status, code and default message."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    message: ClassVar[str] = "Internal server error"

    def __init__(
        self, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        self.detail = message or self.message
        self.headers = headers or {}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        """The D9 envelope for this error."""
        return envelope(self.status, self.code, self.detail)


class Custom(ApiError):
    """An error whose status and code are chosen at run time (injected faults)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, headers=headers)
        self.status_value = status
        self.code_value = code

    def body(self) -> dict[str, Any]:
        """The D9 envelope with the run-time status and code."""
        return envelope(self.status_value, self.code_value, self.detail)


def envelope(status: int, code: str, message: str) -> dict[str, Any]:
    """The flat reference fields plus the seed's nested ``error`` object (D9)."""
    return {
        "status_code": status,
        "error_type": code,
        "error_message": message,
        "error": {"code": code, "message": message},
    }


def status_of(error: ApiError) -> int:
    """The HTTP status of ``error`` (run-time for :class:`Custom`)."""
    return error.status_value if isinstance(error, Custom) else error.status


# --- 400 -------------------------------------------------------------------------------


class ValidationError(ApiError):
    status, code, message = 400, "validation_error", "The request is not valid"


class InvalidJson(ApiError):
    status, code, message = 400, "invalid_json", "The request body is not valid JSON"


class InvalidOtp(ApiError):
    status, code, message = 400, "invalid_otp", "The passcode is not valid"


class OtpExpired(ApiError):
    status, code, message = 400, "otp_expired", "The passcode has expired; send a new one"


class SessionUserMismatch(ApiError):
    status, code = 400, "session_user_mismatch"
    message = "The session belongs to a different user"


class InvalidMagicToken(ApiError):
    status, code = 400, "invalid_magic_token"
    message = "The magic link token is missing, invalid, expired or already used"


class MissingRedirectUrl(ApiError):
    status, code = 400, "missing_redirect_url"
    message = "No redirect URL was given and the app has no default redirect URL"


class UserHasNoEmail(ApiError):
    status, code = 400, "user_has_no_email"
    message = "The user has no email address; a magic link needs one"


class InvalidRequestOriginToken(ApiError):
    status, code = 400, "invalid_request_origin_token"
    message = "The request_origin_token is not valid for this email_id"


class InvalidOauthToken(ApiError):
    status, code = 400, "invalid_oauth_token"
    message = "The OAuth token is invalid, expired or already used"


class InvalidCursor(ApiError):
    status, code, message = 400, "invalid_cursor", "starting_after is not a user of this app"


class InvalidFilter(ApiError):
    status, code, message = 400, "invalid_filter", "The filter is not valid"


# --- 401 -------------------------------------------------------------------------------


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"
    message = "Missing or invalid API key: send 'Authorization: Bearer sk_test_...'"


class PublicTokenNotAllowed(ApiError):
    status, code = 401, "public_token_not_allowed"
    message = "A public token cannot be used here; use the app's secret API key"


class InvalidSession(ApiError):
    status, code, message = 401, "invalid_session", "Session not found or has expired"


class InvalidPublicToken(ApiError):
    status, code, message = 401, "invalid_public_token", "The public_token is not valid"


# --- 404 / 405 / 409 / 413 / 415 ------------------------------------------------------


class NotFound(ApiError):
    status, code, message = 404, "not_found", "No such endpoint"


class UserNotFound(ApiError):
    status, code, message = 404, "user_not_found", "User not found"


class SessionNotFound(ApiError):
    status, code, message = 404, "session_not_found", "Session not found"


class MethodNotFound(ApiError):
    status, code, message = 404, "method_not_found", "No such email or phone number method"


class AppNotFound(ApiError):
    status, code, message = 404, "app_not_found", "App not found"


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "Method not allowed for this endpoint"


class DuplicateEmail(ApiError):
    status, code, message = 409, "duplicate_email", "A user with this email already exists"


class DuplicatePhoneNumber(ApiError):
    status, code = 409, "duplicate_phone_number"
    message = "A user with this phone number already exists"


class RequestTooLarge(ApiError):
    status, code, message = 413, "request_too_large", "The request body is too large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "Send the body as JSON with 'Content-Type: application/json'"


# --- 429 / 5xx -------------------------------------------------------------------------


class TooManyAttempts(ApiError):
    status, code = 429, "too_many_attempts"
    message = "Too many wrong passcodes; send a new one"


class RateLimited(ApiError):
    status, code, message = 429, "rate_limited", "Too many requests"


class InternalError(ApiError):
    status, code, message = 500, "internal_error", "Internal server error"


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "Service unavailable"


def all_error_classes() -> list[type[ApiError]]:
    """Every concrete fixed-code error class (for the spec cross-check test)."""
    found: list[type[ApiError]] = []
    stack: list[type[ApiError]] = [ApiError]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub is not Custom:
                found.append(sub)
    return found
