"""Notifications on tracking events: written with the event, delivered by e-mail and webhook."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from orderflow.db.models import Notification, OutboxMessage
from orderflow.db.session import Database
from orderflow.notifications.errors import DeliveryFailed
from orderflow.notifications.tasks import deliver_notification, give_up_notification
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError
from tests.notifications.conftest import WEBHOOK_SECRET, Inbox, Receiver
from tests.orders.factories import Marketplace, marketplace, order_payload, place_order
from tests.tracking.conftest import emit


@pytest.fixture
def shop(db: Database) -> Marketplace:
    return marketplace(db)


def set_target(customer: TestClient, receiver: Receiver, **overrides: Any) -> None:
    body = {
        "email": "alice@example.com",
        "webhookUrl": receiver.url,
        "webhookSecret": WEBHOOK_SECRET,
        "emailEnabled": True,
        "webhookEnabled": True,
    }
    body.update(overrides)
    response = customer.put("/v1/customers/cus_alice/notification-target", json=body)
    assert response.status_code == 200, response.text


def notifications(db: Database, order_id: str) -> list[Notification]:
    with db.read() as session:
        rows = list(
            session.scalars(
                select(Notification)
                .where(Notification.order_id == order_id)
                .order_by(Notification.created_at, Notification.channel)
            )
        )
        session.expunge_all()  # keep the loaded values readable after the read ends
        return rows


def by_channel(db: Database, order_id: str, event: str) -> dict[str, Notification]:
    return {n.channel: n for n in notifications(db, order_id) if n.event == event}


class TestWrittenWithTheEvent:
    def test_placing_an_order_writes_one_notification_per_channel_and_its_job(
        self, customer: TestClient, shop: Marketplace, receiver: Receiver, db: Database
    ) -> None:
        set_target(customer, receiver)
        order = place_order(customer, order_payload(*shop.lines()))
        placed = by_channel(db, order["id"], "order.placed")
        assert set(placed) == {"email", "webhook"}
        with db.read() as session:
            keys = set(
                session.scalars(
                    select(OutboxMessage.dedupe_key).where(
                        OutboxMessage.topic == "notifications.deliver"
                    )
                )
            )
        assert keys == {f"notify:{n.id}" for n in placed.values()}

    def test_a_channel_switched_off_gets_nothing(
        self, customer: TestClient, shop: Marketplace, receiver: Receiver, db: Database
    ) -> None:
        set_target(customer, receiver, emailEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        assert set(by_channel(db, order["id"], "order.placed")) == {"webhook"}

    def test_a_customer_without_a_target_gets_nothing(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        assert notifications(db, order["id"]) == []

    def test_events_customers_do_not_hear_about_write_no_notification(
        self, customer: TestClient, shop: Marketplace, receiver: Receiver, db: Database
    ) -> None:
        set_target(customer, receiver)
        order = place_order(customer, order_payload(*shop.lines()))
        emit(db, order["id"], "order.location", lat=41.9, lng=-87.6)
        emit(db, order["id"], "order.packed")
        assert {n.event for n in notifications(db, order["id"])} == {"order.placed"}

    def test_out_for_delivery_carries_the_eta_and_cancelled_the_refund(
        self, customer: TestClient, shop: Marketplace, receiver: Receiver, db: Database
    ) -> None:
        set_target(customer, receiver, webhookEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        emit(db, order["id"], "order.out_for_delivery", eta="2026-12-05T18:30:00Z")
        emit(db, order["id"], "order.cancelled", reason="ID check failed", refundAmount="38.47")
        out = by_channel(db, order["id"], "order.out_for_delivery")["email"]
        cancelled = by_channel(db, order["id"], "order.cancelled")["email"]
        assert "18:30" in out.body["text"]
        assert out.body["payload"]["data"]["eta"] == "2026-12-05T18:30:00Z"
        assert "$38.47" in cancelled.body["text"]
        assert "ID check failed" in cancelled.body["text"]


class TestEmail:
    def test_the_job_sends_the_email_over_smtp_once(
        self,
        customer: TestClient,
        shop: Marketplace,
        receiver: Receiver,
        db: Database,
        runtime: Runtime,
        inbox: Inbox,
    ) -> None:
        set_target(customer, receiver, webhookEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        note = by_channel(db, order["id"], "order.placed")["email"]
        deliver_notification(runtime, notification_id=note.id)
        deliver_notification(runtime, notification_id=note.id)  # a redelivered job
        assert len(inbox.messages) == 1
        mail = inbox.messages[0]
        assert mail["To"] == "alice@example.com"
        assert mail["Subject"] == f"We received your order {order['displayId']}"
        assert order["displayId"] in mail.get_payload()
        sent = by_channel(db, order["id"], "order.placed")["email"]
        assert sent.status == "sent" and sent.sent_at is not None

    def test_an_unreachable_smtp_server_fails_the_attempt_for_a_retry(
        self,
        customer: TestClient,
        shop: Marketplace,
        receiver: Receiver,
        db: Database,
        runtime: Runtime,
    ) -> None:
        set_target(customer, receiver, webhookEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        note = by_channel(db, order["id"], "order.placed")["email"]
        runtime.settings.smtp_port = 1  # nothing listens there
        with pytest.raises(DeliveryFailed):
            deliver_notification(runtime, notification_id=note.id)
        failed = by_channel(db, order["id"], "order.placed")["email"]
        assert failed.status == "pending"
        assert failed.attempts == 1 and "SMTP" in (failed.last_error or "")


class TestWebhook:
    def test_the_job_posts_a_signed_webhook(
        self,
        customer: TestClient,
        shop: Marketplace,
        receiver: Receiver,
        db: Database,
        runtime: Runtime,
    ) -> None:
        set_target(customer, receiver, emailEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        note = by_channel(db, order["id"], "order.placed")["webhook"]
        deliver_notification(runtime, notification_id=note.id)
        (delivery,) = receiver.deliveries
        assert delivery.genuine
        assert delivery.body["event"] == "order.placed"
        assert delivery.body["orderId"] == order["id"]
        assert delivery.body["id"] == note.id
        assert by_channel(db, order["id"], "order.placed")["webhook"].status == "sent"

    def test_a_5xx_answer_is_retried_later(
        self,
        customer: TestClient,
        shop: Marketplace,
        receiver: Receiver,
        db: Database,
        runtime: Runtime,
    ) -> None:
        set_target(customer, receiver, emailEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        note = by_channel(db, order["id"], "order.placed")["webhook"]
        receiver.status = 503
        with pytest.raises(DeliveryFailed):
            deliver_notification(runtime, notification_id=note.id)
        receiver.status = 200
        deliver_notification(runtime, notification_id=note.id)
        assert [d.genuine for d in receiver.deliveries] == [True, True]
        after = by_channel(db, order["id"], "order.placed")["webhook"]
        assert after.status == "sent" and after.attempts == 2

    def test_a_receiver_that_refuses_for_good_fails_the_job_at_once(
        self,
        customer: TestClient,
        shop: Marketplace,
        receiver: Receiver,
        db: Database,
        runtime: Runtime,
    ) -> None:
        set_target(customer, receiver, emailEnabled=False)
        order = place_order(customer, order_payload(*shop.lines()))
        note = by_channel(db, order["id"], "order.placed")["webhook"]
        receiver.status = 410
        with pytest.raises(PermanentError):
            deliver_notification(runtime, notification_id=note.id)
        give_up_notification(runtime, reason="HTTP 410", notification_id=note.id)
        failed = by_channel(db, order["id"], "order.placed")["webhook"]
        assert failed.status == "failed" and failed.last_error == "HTTP 410"
        deliver_notification(runtime, notification_id=note.id)  # no-op once failed
        assert len(receiver.deliveries) == 1
