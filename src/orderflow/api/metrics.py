"""``GET /metrics``: Prometheus text format (scraped, so no auth; expose it on a private port)."""

from __future__ import annotations

import structlog
from fastapi import APIRouter
from fastapi.responses import Response

from orderflow.api.deps import RuntimeDep
from orderflow.metrics import CONTENT_TYPE, QUEUE_DEPTH, render

router = APIRouter(tags=["operations"])
log = structlog.get_logger("orderflow.metrics")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Counters, gauges and histograms of this process (queue depth read at scrape time)."""
    if runtime.queue is not None:
        try:
            QUEUE_DEPTH.set(await runtime.queue.count("queued"))
        except Exception as exc:  # a scrape must answer even when the queue does not
            log.warning("queue_depth_unavailable", error=repr(exc))
    return Response(render(), media_type=CONTENT_TYPE)
