"""``GET /metrics``: Prometheus text format (scraped, so no auth; expose it on a private port)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from orderflow.metrics import CONTENT_TYPE, render

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
def metrics() -> Response:
    """Counters, gauges and histograms of this process."""
    return Response(render(), media_type=CONTENT_TYPE)
