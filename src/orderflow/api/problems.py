"""RFC 9457 problem+json for every failure."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orderflow.api.limits import BodyTooLarge
from orderflow.errors import OrderflowError

log = structlog.get_logger("orderflow.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://orderflow.dev/problems/"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


def validation_errors(exc: RequestValidationError) -> tuple[bool, list[dict[str, Any]]]:
    """(is_bad_json, errors) from FastAPI's validation error."""
    bad_json = False
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":
            bad_json = True
        entry: dict[str, Any] = {
            "code": kind,
            "message": str(err.get("msg", "invalid value")),
            "field": _field_path(err.get("loc", ())) or None,
        }
        out.append(entry)
    return bad_json, out


def install(app: FastAPI) -> None:
    @app.exception_handler(OrderflowError)
    async def _orderflow_error(_request: Request, exc: OrderflowError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            errors=exc.errors,
            extra=exc.extra,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        bad_json, errors = validation_errors(exc)
        if bad_json:
            return problem(
                400,
                "malformed_json",
                "Malformed JSON",
                "the request body is not valid JSON; check quotes, commas and brackets",
                errors=errors,
            )
        return problem(
            422,
            "validation_failed",
            "Request validation failed",
            "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5]),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, BodyTooLarge):
            return problem(
                413,
                "payload_too_large",
                "Payload too large",
                f"request bodies are limited to {_request.app.state.settings.max_body_bytes} bytes",
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(
            exc.status_code,
            code,
            str(exc.detail),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path, error=repr(exc))
        return problem(
            500,
            "internal_error",
            "Internal error",
            "an unexpected error happened; it has been logged with the request id",
        )
