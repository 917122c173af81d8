"""WebSocket ``/v1/orders/{orderId}/ws``: who may watch, replay, live events, resume."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from orderflow.db.session import Database
from orderflow.runtime import Runtime
from orderflow.tracking.fanout import EXTRAS_KEY
from orderflow.workers.dispatcher import OutboxDispatcher
from tests.conftest import TokenFactory
from tests.orders.factories import Marketplace
from tests.tracking.conftest import emit


def ws_path(order_id: str, token: str | None = None, after: int | str | None = None) -> str:
    query = []
    if token is not None:
        query.append(f"token={token}")
    if after is not None:
        query.append(f"after={after}")
    return f"/v1/orders/{order_id}/ws" + ("?" + "&".join(query) if query else "")


def close_code(client: TestClient, path: str) -> int:
    with client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return int(closed.value.code)


@pytest.fixture
def live(app: FastAPI) -> Any:
    with TestClient(app) as client:
        yield client


def dispatch(client: TestClient, runtime: Runtime) -> None:
    """Run one outbox pass on the app's event loop (what the dispatcher does after commit)."""
    client.portal.call(OutboxDispatcher(runtime).dispatch_once)  # type: ignore[union-attr]


def wait_until_subscribed(runtime: Runtime, order_id: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        fanout = runtime.extras.get(EXTRAS_KEY)
        if fanout is not None and fanout.subscriber_count(order_id):
            return
        time.sleep(0.005)
    raise AssertionError("the socket never subscribed")


class TestWhoMayWatch:
    def test_a_missing_token_closes_with_4401(
        self, live: TestClient, order: dict[str, Any]
    ) -> None:
        assert close_code(live, ws_path(order["id"])) == 4401

    def test_a_bad_token_closes_with_4401(self, live: TestClient, order: dict[str, Any]) -> None:
        assert close_code(live, ws_path(order["id"], "not-a-jwt")) == 4401

    def test_another_customers_order_closes_with_4404(
        self, live: TestClient, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        token = make_token("customer", "cus_mallory")
        assert close_code(live, ws_path(order["id"], token)) == 4404

    def test_an_unknown_order_closes_with_4404(
        self, live: TestClient, make_token: TokenFactory, order: dict[str, Any]
    ) -> None:
        assert close_code(live, ws_path("ord_nope", make_token("admin", "a"))) == 4404

    def test_a_resume_point_that_is_not_a_sequence_closes_with_4400(
        self, live: TestClient, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        token = make_token("customer", "cus_alice")
        assert close_code(live, ws_path(order["id"], token, "yesterday")) == 4400

    def test_a_hub_sees_orders_with_a_fulfillment_at_its_hub_only(
        self,
        live: TestClient,
        order: dict[str, Any],
        shop: Marketplace,
        make_token: TokenFactory,
    ) -> None:
        own = make_token("hub", "h", hub_id=shop.hub.id)
        other = make_token("hub", "h", hub_id="hub_elsewhere")
        with live.websocket_connect(ws_path(order["id"], own)) as ws:
            assert ws.receive_json()["event"] == "order.placed"
        assert close_code(live, ws_path(order["id"], other)) == 4404

    def test_a_vendor_with_a_sub_order_and_the_admin_may_watch(
        self,
        live: TestClient,
        order: dict[str, Any],
        shop: Marketplace,
        make_token: TokenFactory,
    ) -> None:
        for token in (
            make_token("vendor", "v", vendor_id=shop.brand.id),
            make_token("admin", "a"),
        ):
            with live.websocket_connect(ws_path(order["id"], token)) as ws:
                assert ws.receive_json()["sequence"] == 1
        stranger = make_token("vendor", "v", vendor_id="ven_stranger")
        assert close_code(live, ws_path(order["id"], stranger)) == 4404


class TestReplayAndLive:
    def test_the_history_is_replayed_with_the_wire_payload(
        self, live: TestClient, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        with live.websocket_connect(
            ws_path(order["id"], make_token("customer", "cus_alice"))
        ) as ws:
            message = ws.receive_json()
        assert {"orderId", "timestamp", "event", "data", "sequence"} <= set(message)
        assert message["orderId"] == order["id"]
        assert message["event"] == "order.placed"
        assert message["sequence"] == 1
        assert message["timestamp"].endswith("Z")

    def test_live_events_follow_the_replay_in_order(
        self,
        live: TestClient,
        order: dict[str, Any],
        db: Database,
        runtime: Runtime,
        make_token: TokenFactory,
    ) -> None:
        token = make_token("customer", "cus_alice")
        with live.websocket_connect(ws_path(order["id"], token)) as ws:
            assert ws.receive_json()["sequence"] == 1
            emit(db, order["id"], lat=41.88, lng=-87.63)
            emit(db, order["id"], lat=41.89, lng=-87.64)
            dispatch(live, runtime)
            second, third = ws.receive_json(), ws.receive_json()
        assert (second["sequence"], third["sequence"]) == (2, 3)
        assert third["data"] == {"lat": 41.89, "lng": -87.64}

    def test_reconnecting_with_after_receives_exactly_the_missed_events(
        self,
        live: TestClient,
        order: dict[str, Any],
        db: Database,
        make_token: TokenFactory,
    ) -> None:
        for i in range(4):
            emit(db, order["id"], lat=41.0 + i, lng=-87.0)
        token = make_token("customer", "cus_alice")
        with live.websocket_connect(ws_path(order["id"], token, after=2)) as ws:
            got = [ws.receive_json()["sequence"] for _ in range(3)]
        assert got == [3, 4, 5]

    def test_events_produced_while_connecting_arrive_once_without_a_gap(
        self,
        live: TestClient,
        order: dict[str, Any],
        db: Database,
        runtime: Runtime,
        make_token: TokenFactory,
    ) -> None:
        produced = 30
        token = make_token("customer", "cus_alice")

        def produce() -> None:
            for i in range(produced):
                emit(db, order["id"], lat=41.0 + i / 100, lng=-87.0)
                if i % 5 == 0:
                    dispatch(live, runtime)

        producer = threading.Thread(target=produce)
        producer.start()
        with live.websocket_connect(ws_path(order["id"], token)) as ws:
            producer.join()
            dispatch(live, runtime)
            got = [ws.receive_json()["sequence"] for _ in range(produced + 1)]
        assert got == list(range(1, produced + 2))

    def test_a_resume_point_beyond_the_latest_event_means_from_now_on(
        self,
        live: TestClient,
        order: dict[str, Any],
        db: Database,
        runtime: Runtime,
        make_token: TokenFactory,
    ) -> None:
        token = make_token("customer", "cus_alice")
        with live.websocket_connect(ws_path(order["id"], token, after=10_000)) as ws:
            wait_until_subscribed(runtime, order["id"])
            emit(db, order["id"], lat=41.0, lng=-87.0)
            dispatch(live, runtime)
            assert ws.receive_json()["sequence"] == 2
