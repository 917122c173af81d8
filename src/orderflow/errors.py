"""The error hierarchy. One handler (api/problems.py) renders these as RFC 9457 problems."""

from __future__ import annotations

from typing import Any


class OrderflowError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra or {}
        super().__init__(self.detail)


class RetryableConflict(Exception):
    """Mixin: the unit of work lost a race; re-running it on fresh data may succeed.

    ``Database.run_write`` re-runs the whole transaction a few times before letting the error
    through (then it is answered like any other error of its class).
    """


class NotFound(OrderflowError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(OrderflowError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(OrderflowError):
    status = 422
    code = "invalid"
    title = "Invalid request"


class Unauthorized(OrderflowError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(OrderflowError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class BadRequest(OrderflowError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class ServiceUnavailable(OrderflowError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"
