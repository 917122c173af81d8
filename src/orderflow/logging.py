"""Structured logs: JSON lines (``settings.log_json``) or coloured console, via structlog.

Every line carries ``request_id`` inside an HTTP request (``X-Request-ID`` is accepted from the
caller when well-formed, otherwise made up, and echoed on the response) and ``order_id`` where
one is known (order paths, or ``bind_order_id`` in jobs). Standard-library loggers go through
the same renderer, so uvicorn, SQLAlchemy and our own ``logging.getLogger`` lines match.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import IO, Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderflow.config import Settings
from orderflow.kit.ids import new_id
from orderflow.metrics import HTTP_REQUEST_SECONDS

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ORDER_PATH = re.compile(r"^/(?:v1/orders|track)/([A-Za-z0-9_.:-]{1,64})(?:/|$)")

log = structlog.get_logger("orderflow.http")


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we installed, so reconfiguring replaces only ours."""


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())


def bind_order_id(order_id: str) -> None:
    """Tag the following log lines of this request / job with the order."""
    structlog.contextvars.bind_contextvars(order_id=order_id)


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.bind_contextvars(request_id=request_id)


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when well-formed, otherwise a new one."""
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1").strip()
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return new_id("req")


def route_template(scope: Scope) -> str:
    """The matched route as a template (``/v1/orders/{orderId}``): bounded metric labels.

    Nested routers report the innermost route's path without their prefixes; the prefix is
    the part of the real path in front of what the route's pattern matches.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(template, str):
        return "unmatched"
    path = str(scope.get("path", ""))
    if isinstance(pattern, re.Pattern):
        for start in range(len(path) + 1):
            if path[start:].startswith("/") and pattern.fullmatch(path[start:]):
                return path[:start] + template
    return template


class RequestContext:
    """ASGI middleware: request id in, out and in every log line; one access log line and the
    ``http_request_seconds`` histogram per request (by route template, not raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(list(scope.get("headers") or []))
        structlog.contextvars.clear_contextvars()
        bind_request_id(request_id)
        order = _ORDER_PATH.match(scope.get("path", ""))
        if order:
            bind_order_id(order.group(1))
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            method = str(scope.get("method", ""))
            HTTP_REQUEST_SECONDS.labels(method=method, route=template, status=str(status)).observe(
                elapsed
            )
            log.info(
                "request",
                method=method,
                path=scope.get("path"),
                route=template,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
