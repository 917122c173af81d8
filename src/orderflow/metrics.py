"""Prometheus metrics of the process, exported at ``GET /metrics``.

One registry of our own (not prometheus_client's global one), so that building several apps in
one process (tests) never registers a metric twice. Callers use the objects directly:
``ORDERS_PLACED.inc()``, ``PIPELINE_STEP_SECONDS.labels(step="payments.process").observe(s)``,
``QUEUE_DEPTH.set(n)``, ``CACHE_HITS.labels(cache="order").inc()``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

ORDERS_PLACED = Counter(
    "orders_placed", "Orders accepted (stock reserved, status pending)", registry=REGISTRY
)
ORDERS_FAILED = Counter(
    "orders_failed",
    "Orders that failed after placement (payment declined, validation, pipeline error)",
    ["reason"],
    registry=REGISTRY,
)
PIPELINE_STEP_SECONDS = Histogram(
    "pipeline_step_seconds",
    "Duration of one pipeline job (orders.validate, payments.process, fulfillment.create, ...)",
    ["step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("queue_depth", "Jobs waiting in the queue", registry=REGISTRY)
FAILED_JOBS = Gauge("failed_jobs", "Jobs in the dead-letter view (failed)", registry=REGISTRY)
CACHE_HITS = Counter(
    "cache_hits", "Cache reads answered by the cache", ["cache"], registry=REGISTRY
)
CACHE_MISSES = Counter(
    "cache_misses", "Cache reads that went to the database", ["cache"], registry=REGISTRY
)
WEBSOCKET_CLIENTS = Gauge(
    "websocket_clients", "Tracking WebSocket/SSE clients connected", registry=REGISTRY
)
HTTP_REQUEST_SECONDS = Histogram(
    "http_request_seconds",
    "HTTP request duration by method, route template and status code",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)

# Bounded label values for ORDERS_FAILED (free text would explode the series count).
FAILURE_REASONS = ("payment_declined", "validation", "pipeline_error", "other")


def order_failed(reason: str) -> None:
    ORDERS_FAILED.labels(reason=reason if reason in FAILURE_REASONS else "other").inc()


def render() -> bytes:
    """The registry in the Prometheus text exposition format."""
    return generate_latest(REGISTRY)
