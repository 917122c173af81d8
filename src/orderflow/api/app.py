"""The FastAPI application factory and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from orderflow import __version__
from orderflow.api import health, metrics, openapi, problems
from orderflow.api.limits import BodySizeLimit
from orderflow.api.router import v1
from orderflow.config import Settings, get_settings
from orderflow.logging import RequestContext, configure_logging
from orderflow.runtime import Runtime, build_runtime
from orderflow.tracking import page as tracking_page
from orderflow.workers.lifecycle import start_pipeline

# Background work started by the lifespan (outbox dispatcher, in-process worker, pub/sub
# listener): each entry starts something and returns the coroutine function that stops it.
StartHook = Callable[[FastAPI, Runtime], Awaitable[Callable[[], Awaitable[None]] | None]]
# The pipeline: job queue, outbox dispatcher, reconciler, and the saq worker when
# settings.run_worker_in_process (workers/lifecycle.py).
START_HOOKS: list[StartHook] = [start_pipeline]


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    background: bool = True,
) -> FastAPI:
    """Build the app. ``background=False`` runs no dispatcher/worker (tests drive them)."""
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or build_runtime(settings)
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops: list[Callable[[], Awaitable[None]]] = []
        if background:
            for hook in START_HOOKS:
                stop = await hook(app, runtime)
                if stop is not None:
                    stops.append(stop)
        try:
            yield
        finally:
            for stop in reversed(stops):
                await stop()

    app = FastAPI(
        title="orderflow",
        version=__version__,
        description="Order lifecycle for multi-vendor marketplaces of age-restricted goods.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    problems.install(app)
    openapi.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Outermost of ours: the request id is bound before anything else runs or logs.
    app.add_middleware(RequestContext)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(v1)
    app.include_router(tracking_page.router)  # /track/{orderId}: the customer page, outside /v1
    return app
