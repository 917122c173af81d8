"""Jobs: ``fulfillment.create`` tells the hubs, ``hubs.notify`` POSTs signed webhooks."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from orderflow.api.app import create_app
from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.fulfillment.service import fulfillment_service
from orderflow.fulfillment.tasks import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    create_fulfillments,
    give_up_hub_notification,
    notify_hub,
)
from orderflow.kit.clock import utcnow
from orderflow.kit.signing import verify
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError, TransientError
from orderflow.workers.registry import load_registry
from tests.conftest import ClientFactory, TokenFactory, make_settings
from tests.fulfillment import factories as f
from tests.fulfillment.receiver import Receiver, receiver  # noqa: F401  (fixture)
from tests.workers.conftest import clear_saq_tables

SECRET = "whsec_hub_0123456789abcdef"


@pytest.fixture
def market(db: Database, receiver: Receiver) -> f.Shop:  # noqa: F811
    return f.shop(db, webhook_url=receiver.url, webhook_secret=SECRET)


def announce(runtime: Runtime, db: Database, customer: TestClient, market: f.Shop) -> str:
    """A confirmed order whose hub was told (``fulfillment.create`` ran): its fulfillment."""
    order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
    create_fulfillments(runtime, order_id=order_id)
    return ful_id


class TestRegistry:
    def test_the_worker_knows_both_jobs_and_the_compensation(self) -> None:
        registry = load_registry()
        assert {"fulfillment.create", "hubs.notify"} <= set(registry.tasks)
        assert "hubs.notify" in registry.compensations


class TestFulfillmentCreate:
    def test_each_fulfillment_of_a_confirmed_order_is_announced_once(
        self, runtime: Runtime, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        create_fulfillments(runtime, order_id=order_id)
        create_fulfillments(runtime, order_id=order_id)
        jobs = f.jobs(db, "hubs.notify")
        assert [j.dedupe_key for j in jobs] == [f"hub-notify:{ful_id}:created"]
        assert jobs[0].payload["kwargs"] == {
            "order_id": order_id,
            "fulfillment_id": ful_id,
            "event": "created",
        }
        assert f.fulfillment(db, ful_id).hub_notified_at is not None

    def test_the_order_stops_waiting_on_the_fulfil_step(
        self, runtime: Runtime, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        order_id, _ = f.confirmed_order(db, customer, [(market.beer, 1)])
        with db.write() as session:
            from orderflow.db.models import Order

            order = session.get(Order, order_id)
            assert order is not None
            order.pipeline_step = "fulfil"
        create_fulfillments(runtime, order_id=order_id)
        assert f.order(db, order_id).pipeline_step == "done"

    def test_an_unpaid_order_is_not_announced(
        self, runtime: Runtime, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        order = f.place(customer, [(market.beer, 1)])
        create_fulfillments(runtime, order_id=order["id"])
        assert f.jobs(db, "hubs.notify") == []

    def test_a_cancelled_fulfillment_is_not_announced(
        self, runtime: Runtime, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        with db.write() as session:
            fulfillment_service.cancel_open(session, order_id=order_id, now=utcnow(), reason="x")
        create_fulfillments(runtime, order_id=order_id)
        assert f.jobs(db, "hubs.notify") == []
        assert f.fulfillment(db, ful_id).hub_notified_at is None


class TestHubWebhook:
    def test_the_hub_receives_the_fulfillment_signed_with_its_secret(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        notify_hub(runtime, fulfillment_id=ful_id, event="created")

        [request] = receiver.requests
        assert verify(SECRET, request.body, request.headers[SIGNATURE_HEADER.lower()])
        assert not verify("another-secret", request.body, request.headers["orderflow-signature"])
        assert request.headers[EVENT_HEADER.lower()] == "fulfillment.created"
        assert request.headers["content-type"] == "application/json"
        payload = json.loads(request.body)
        assert payload["event"] == "fulfillment.created"
        assert payload["fulfillment"]["id"] == ful_id
        assert payload["fulfillment"]["hubId"] == market.hub.id
        assert [(i["variantId"], i["quantity"]) for i in payload["fulfillment"]["items"]] == [
            (market.beer.id, 2)
        ]
        [record] = f.hub_notifications(db)
        assert (record.recipient_kind, record.recipient_id, record.channel) == (
            "hub",
            market.hub.id,
            "webhook",
        )
        assert (record.status, record.attempts, record.last_error) == ("sent", 1, None)
        assert record.sent_at is not None

    def test_a_5xx_answer_raises_for_a_retry_and_the_retry_sends_the_same_body(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        receiver.answers = [500]
        with pytest.raises(TransientError, match="HTTP 500"):
            notify_hub(runtime, fulfillment_id=ful_id, event="created")
        [record] = f.hub_notifications(db)
        assert (record.status, record.attempts) == ("pending", 1)
        assert record.last_error is not None and "500" in record.last_error

        notify_hub(runtime, fulfillment_id=ful_id, event="created")
        [record] = f.hub_notifications(db)
        assert (record.status, record.attempts, record.last_error) == ("sent", 2, None)
        first, second = receiver.requests
        assert json.loads(first.body) == json.loads(second.body)
        assert verify(SECRET, second.body, second.headers["orderflow-signature"])

    def test_a_delivered_notification_is_not_sent_twice(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        notify_hub(runtime, fulfillment_id=ful_id, event="created")
        notify_hub(runtime, fulfillment_id=ful_id, event="created")
        assert len(receiver.requests) == 1

    def test_a_slow_hub_times_out_and_is_retried(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        runtime.settings = runtime.settings.model_copy(update={"webhook_timeout_seconds": 0.2})
        receiver.delay = 0.5
        with pytest.raises(TransientError, match="unreachable"):
            notify_hub(runtime, fulfillment_id=ful_id, event="created")
        assert f.hub_notifications(db)[0].attempts == 1

    def test_after_the_last_attempt_the_notification_is_kept_as_failed(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        receiver.answers = [503, 503, 503]
        for _ in range(3):
            with pytest.raises(TransientError):
                notify_hub(runtime, fulfillment_id=ful_id, event="created")
        give_up_hub_notification(runtime, reason="HTTP 503", fulfillment_id=ful_id, event="created")
        [record] = f.hub_notifications(db)
        assert (record.status, record.attempts) == ("failed", 3)

    def test_a_hub_without_a_webhook_is_simply_marked_notified(
        self,
        runtime: Runtime,
        db: Database,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        plain = f.shop(db)
        order_id, ful_id = f.confirmed_order(db, customer, [(plain.beer, 1)])
        create_fulfillments(runtime, order_id=order_id)
        notify_hub(runtime, fulfillment_id=ful_id, event="created")
        assert f.fulfillment(db, ful_id).hub_notified_at is not None
        assert receiver.requests == []
        [record] = f.hub_notifications(db)
        assert (record.status, record.attempts) == ("skipped", 0)

    def test_a_hub_webhook_without_a_secret_fails_at_once(
        self,
        runtime: Runtime,
        db: Database,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        unsigned = f.shop(db, webhook_url=receiver.url)
        order_id, ful_id = f.confirmed_order(db, customer, [(unsigned.beer, 1)])
        create_fulfillments(runtime, order_id=order_id)
        with pytest.raises(PermanentError, match="secret"):
            notify_hub(runtime, fulfillment_id=ful_id, event="created")
        assert receiver.requests == []
        assert f.hub_notifications(db)[0].status == "failed"

    def test_a_cancellation_is_sent_to_the_hub_that_was_told(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        ful_id = announce(runtime, db, customer, market)
        order_id = f.fulfillment(db, ful_id).order_id
        with db.write() as session:
            fulfillment_service.cancel_open(
                session, order_id=order_id, now=utcnow(), reason="customer changed their mind"
            )
        keys = [j.dedupe_key for j in f.jobs(db, "hubs.notify")]
        assert keys == [f"hub-notify:{ful_id}:created", f"hub-notify:{ful_id}:cancelled"]
        notify_hub(runtime, fulfillment_id=ful_id, event="cancelled")
        [request] = receiver.requests
        payload = json.loads(request.body)
        assert payload["event"] == "fulfillment.cancelled"
        assert payload["fulfillment"]["status"] == "cancelled"
        assert verify(SECRET, request.body, request.headers["orderflow-signature"])


class TestEndToEnd:
    def test_place_pay_announce_and_deliver_through_the_real_pipeline(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        client_for: ClientFactory,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        order = f.place(customer, [(market.beer, 2)])
        done: set[str] = set()
        pipeline = ("orders.validate", "payments.process", "fulfillment.create", "hubs.notify")
        ran = f.run_jobs(runtime, *pipeline, done=done)
        assert ran == list(pipeline)
        [request] = receiver.requests
        announced = json.loads(request.body)["fulfillment"]
        assert verify(SECRET, request.body, request.headers["orderflow-signature"])

        hub = client_for("hub", "hub-staff-1", hub_id=market.hub.id)
        courier = client_for("courier", "courier-1")
        url = f"/v1/fulfillments/{announced['id']}/transitions"
        for client, body in [
            (hub, {"to": "processing"}),
            (hub, {"to": "packed"}),
            (hub, {"to": "picked_up", "courierId": "courier-1"}),
            (courier, {"to": "in_transit"}),
            (courier, {"to": "out_for_delivery"}),
            (courier, {"to": "delivered", "idVerified": True}),
        ]:
            assert client.post(url, json=body).status_code == 200
        seen = customer.get(f"/v1/orders/{order['id']}").json()
        assert (seen["status"], seen["fulfillmentStatus"]) == ("delivered", "fulfilled")
        assert market.stock(db, market.beer) == (8, 0)


class TestThroughTheWorker:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return make_settings(
            database_url,
            run_worker_in_process=True,
            job_backoff_base_ms=100,
            outbox_poll_ms=50,
            worker_sweep_seconds=1,
            worker_drain_seconds=2,
        )

    @pytest.mark.slow
    def test_a_paid_order_reaches_its_hub_even_after_a_500(
        self,
        runtime: Runtime,
        db: Database,
        market: f.Shop,
        make_token: TokenFactory,
        receiver: Receiver,  # noqa: F811
    ) -> None:
        if not runtime.settings.is_sqlite:
            clear_saq_tables(runtime.settings.database_url)
        receiver.answers = [500]
        app = create_app(runtime=runtime, background=True)
        token = make_token("customer", "cus_alice")
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as customer:
            order = f.place(customer, [(market.beer, 1)])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                records = f.hub_notifications(db)
                if records and records[0].status == "sent":
                    break
                time.sleep(0.05)
        [record] = f.hub_notifications(db)
        assert (record.status, record.attempts) == ("sent", 2)
        assert len(receiver.requests) == 2
        assert all(
            verify(SECRET, r.body, r.headers["orderflow-signature"]) for r in receiver.requests
        )
        assert f.order(db, order["id"]).status == "confirmed"
