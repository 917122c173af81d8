"""GET /metrics (Prometheus text), request ids and structured request logs."""

from __future__ import annotations

import json
from io import StringIO

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from orderflow.api.metrics import metrics as metrics_endpoint
from orderflow.config import Settings
from orderflow.logging import configure_logging
from orderflow.metrics import ORDERS_PLACED
from orderflow.runtime import Runtime
from orderflow.workers.lifecycle import connect_queue
from orderflow.workers.queue import enqueue_once

EXPECTED = {
    "orders_placed",
    "orders_failed",
    "pipeline_step_seconds",
    "queue_depth",
    "failed_jobs",
    "cache_hits",
    "cache_misses",
    "websocket_clients",
    "http_request_seconds",
}


def families(client: TestClient) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(response.text)
    }


class TestMetricsEndpoint:
    def test_exports_every_orderflow_metric_in_prometheus_text(self, anonymous: TestClient) -> None:
        assert set(families(anonymous)) >= EXPECTED

    def test_counters_move_when_the_code_counts(self, anonymous: TestClient) -> None:
        def placed() -> float:
            return next(
                v for n, _, v in families(anonymous)["orders_placed"] if n.endswith("_total")
            )

        before = placed()
        ORDERS_PLACED.inc()

        assert placed() == before + 1

    def test_requests_are_timed_by_route_template_not_raw_path(self, admin: TestClient) -> None:
        admin.get("/v1/vendors/ven_missing_1")
        admin.get("/v1/vendors/ven_missing_2")

        samples = families(admin)["http_request_seconds"]
        routes = {labels.get("route") for _, labels, _ in samples}
        assert "/v1/vendors/{vendorId}" in routes
        assert not any(r and "ven_missing" in r for r in routes)


class TestRequestIds:
    def test_a_well_formed_request_id_is_echoed(self, anonymous: TestClient) -> None:
        response = anonymous.get("/healthz", headers={"X-Request-ID": "abc-123"})

        assert response.headers["x-request-id"] == "abc-123"

    def test_a_missing_or_malformed_request_id_is_replaced(self, anonymous: TestClient) -> None:
        made_up = anonymous.get("/healthz").headers["x-request-id"]
        replaced = anonymous.get("/healthz", headers={"X-Request-ID": "bad id!" * 30})

        assert made_up.startswith("req_")
        assert replaced.headers["x-request-id"].startswith("req_")

    def test_problems_carry_the_request_id_too(self, anonymous: TestClient) -> None:
        response = anonymous.get("/v1/nothing-here", headers={"X-Request-ID": "r-404"})

        assert response.status_code == 404
        assert response.headers["x-request-id"] == "r-404"


class TestRequestLogs:
    def test_each_request_logs_one_json_line_with_its_ids(
        self, anonymous: TestClient, settings: Settings
    ) -> None:
        out = StringIO()
        configure_logging(settings.model_copy(update={"log_json": True}), stream=out)

        anonymous.get("/v1/orders/ord_123/events", headers={"X-Request-ID": "trace-1"})

        lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
        access = [line for line in lines if line.get("event") == "request"]
        assert len(access) == 1
        assert access[0]["request_id"] == "trace-1"
        assert access[0]["order_id"] == "ord_123"
        assert access[0]["status"] == 401
        assert access[0]["level"] == "info"


class TestQueueDepth:
    async def test_is_read_from_the_queue_at_scrape_time(self, runtime: Runtime) -> None:
        disconnect = await connect_queue(runtime)
        try:
            for n in range(3):
                await enqueue_once(
                    runtime.queue, runtime.settings, "test.noop", key=f"depth:{n}", kwargs={}
                )

            response = await metrics_endpoint(runtime)
        finally:
            await disconnect()

        body = bytes(response.body).decode()
        depth = next(
            s.value
            for f in text_string_to_metric_families(body)
            if f.name == "queue_depth"
            for s in f.samples
        )
        assert depth == 3
