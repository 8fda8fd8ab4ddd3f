"""Domain exceptions. Each carries its HTTP status and stable code; `envelope.error_response` is the one mapping."""

from __future__ import annotations

from typing import Any


class LibraryError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message = "Bad request"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, errors: list[dict[str, Any]] | None = None
    ):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.errors = errors

    def headers(self) -> dict[str, str] | None:
        """HTTP headers the answer carries besides the envelope."""
        return None


class Unauthorized(LibraryError):
    status, code, message = 401, "UNAUTHORIZED", "Authentication required"


class Forbidden(LibraryError):
    status, code, message = 403, "FORBIDDEN", "You do not have permission to do this"


class NotFound(LibraryError):
    status, code, message = 404, "NOT_FOUND", "Not found"


class Conflict(LibraryError):
    status, code, message = 409, "CONFLICT", "Conflict with the current state"


class ValidationFailed(LibraryError):
    status, code, message = 422, "VALIDATION_ERROR", "Validation failed"


class TooManyRequests(LibraryError):
    status, code, message = 429, "TOO_MANY_REQUESTS", "Too many attempts; try again later"

    def __init__(self, message: str | None = None, *, code: str | None = None, retry_after_seconds: int):
        super().__init__(message, code=code)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        # Clients and SDKs back off on Retry-After without parsing the message.
        return {"Retry-After": str(self.retry_after_seconds)}
