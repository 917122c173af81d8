"""Server-sent events ``/v1/orders/{orderId}/stream`` against a real (in-process) server."""

from __future__ import annotations

from typing import Any

import httpx

from orderflow.db.session import Database
from tests.conftest import TokenFactory
from tests.tracking.conftest import LiveServer, emit
from tests.tracking.sse import frames, read


def stream_url(server: LiveServer, order_id: str) -> str:
    return f"{server.base_url}/v1/orders/{order_id}/stream"


class TestWhoMayListen:
    def test_no_token_is_a_401_problem(
        self, live_server: LiveServer, order: dict[str, Any]
    ) -> None:
        response = httpx.get(stream_url(live_server, order["id"]), timeout=5)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_someone_elses_order_is_a_404_problem(
        self, live_server: LiveServer, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        token = make_token("customer", "cus_mallory")
        response = httpx.get(
            stream_url(live_server, order["id"]), params={"token": token}, timeout=5
        )
        assert response.status_code == 404
        assert response.json()["status"] == 404


class TestStreaming:
    def test_replays_then_streams_live_events_with_the_sequence_as_id(
        self,
        live_server: LiveServer,
        order: dict[str, Any],
        db: Database,
        make_token: TokenFactory,
    ) -> None:
        headers = {"Authorization": f"Bearer {make_token('customer', 'cus_alice')}"}
        with httpx.stream(
            "GET", stream_url(live_server, order["id"]), headers=headers, timeout=10
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = frames(response)
            (first,) = read(stream, 1)
            emit(db, order["id"], lat=41.9, lng=-87.6)
            (second,) = read(stream, 1)
        assert first[0] == "1" and first[1]["event"] == "order.placed"
        assert second[0] == "2" and second[1]["data"] == {"lat": 41.9, "lng": -87.6}
        assert second[1]["orderId"] == order["id"]

    def test_last_event_id_resumes_with_exactly_the_missed_events(
        self,
        live_server: LiveServer,
        order: dict[str, Any],
        db: Database,
        make_token: TokenFactory,
    ) -> None:
        for i in range(3):
            emit(db, order["id"], lat=41.0 + i, lng=-87.0)
        headers = {
            "Authorization": f"Bearer {make_token('customer', 'cus_alice')}",
            "Last-Event-ID": "2",
        }
        with httpx.stream(
            "GET", stream_url(live_server, order["id"]), headers=headers, timeout=10
        ) as response:
            stream = frames(response)
            got = read(stream, 2)
            emit(db, order["id"], lat=45.0, lng=-87.0)
            got += read(stream, 1)
        assert [event_id for event_id, _ in got] == ["3", "4", "5"]
        assert [body["sequence"] for _, body in got] == [3, 4, 5]
