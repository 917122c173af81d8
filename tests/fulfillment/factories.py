"""Orders with fulfillments for fulfillment tests, placed through the real placement.

``shop(db)`` builds one open hub near the default address with a vendor selling an
age-restricted beer and a soda (not restricted), stocked. ``place(client, shop, ...)`` POSTs an
order; ``confirm(db, order_id)`` moves it to ``confirmed`` as the payments job does after a
successful charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from orderflow.db.models import (
    Fulfillment,
    Hub,
    Notification,
    Order,
    OutboxMessage,
    TrackingEvent,
    Variant,
    Vendor,
)
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow
from orderflow.orders.service import order_service
from orderflow.runtime import Runtime
from tests.factories import create_hub, create_variant, create_vendor, get_stock, set_stock
from tests.orders.factories import line, order_payload, place_order


@dataclass
class Shop:
    hub: Hub
    vendor: Vendor
    beer: Variant  # age-restricted, 12.99
    soda: Variant  # not age-restricted, 2.50

    def stock(self, db: Database, variant: Variant) -> tuple[int, int]:
        """(on_hand, reserved) of ``variant`` at the shop's hub."""
        return get_stock(db, self.hub.id, variant.id)


def shop(db: Database, *, stock: int = 10, **hub_overrides: Any) -> Shop:
    hub = create_hub(db, **hub_overrides)
    vendor = create_vendor(db, type="brand")
    beer = create_variant(db, vendor_id=vendor.id, price_amount=1299, title="Pale Ale 6-pack")
    soda = create_variant(
        db,
        vendor_id=vendor.id,
        price_amount=250,
        title="Lemon soda",
        age_restricted=False,
        category="soft_drinks",
    )
    set_stock(db, hub.id, beer.id, stock)
    set_stock(db, hub.id, soda.id, stock)
    return Shop(hub, vendor, beer, soda)


def place(
    customer: TestClient,
    lines: list[tuple[Variant, int]],
    **overrides: Any,
) -> dict[str, Any]:
    payload = order_payload(*(line(variant, qty) for variant, qty in lines), **overrides)
    return place_order(customer, payload)


def confirm(db: Database, order_id: str) -> None:
    """What payments does once the charge succeeded (the order becomes ``confirmed``)."""
    with db.write() as session:
        order_service.transition(
            session,
            order_id,
            to="confirmed",
            event="order.confirmed",
            now=utcnow(),
            title="Order confirmed",
        )


def confirmed_order(
    db: Database, customer: TestClient, lines: list[tuple[Variant, int]], **overrides: Any
) -> tuple[str, str]:
    """Place and confirm an order shipped by one fulfillment: ``(order_id, fulfillment_id)``."""
    order = place(customer, lines, **overrides)
    confirm(db, order["id"])
    assert len(order["fulfillments"]) == 1, order["fulfillments"]
    return order["id"], order["fulfillments"][0]["id"]


def fulfillment(db: Database, fulfillment_id: str) -> Fulfillment:
    with db.read() as session:
        row = session.get(Fulfillment, fulfillment_id)
        assert row is not None
        session.expunge(row)
        return row


def order(db: Database, order_id: str) -> Order:
    with db.read() as session:
        row = session.get(Order, order_id)
        assert row is not None
        session.expunge(row)
        return row


def events(db: Database, order_id: str) -> list[TrackingEvent]:
    with db.read() as session:
        rows = list(
            session.scalars(
                select(TrackingEvent)
                .where(TrackingEvent.order_id == order_id)
                .order_by(TrackingEvent.sequence)
            )
        )
        session.expunge_all()
        return rows


def event_names(db: Database, order_id: str) -> list[str]:
    return [e.event for e in events(db, order_id)]


def jobs(db: Database, function: str) -> list[OutboxMessage]:
    """Outbox job rows for ``function``, oldest first."""
    with db.read() as session:
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "job", OutboxMessage.topic == function)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        )
        session.expunge_all()
        return rows


def hub_notifications(db: Database) -> list[Notification]:
    with db.read() as session:
        rows = list(
            session.scalars(
                select(Notification)
                .where(Notification.recipient_kind == "hub")
                .order_by(Notification.created_at, Notification.id)
            )
        )
        session.expunge_all()
        return rows


def run_jobs(runtime: Runtime, *functions: str, done: set[str]) -> list[str]:
    """Run, as the worker would, the outbox jobs named ``functions`` not in ``done`` (outbox
    ids), until none is left; returns the names of the jobs run, in order."""
    from orderflow.workers.registry import load_registry

    tasks = load_registry().tasks
    ran: list[str] = []
    while True:
        with runtime.db.read() as session:
            rows = [
                (row.id, row.topic, dict(row.payload.get("kwargs", {})))
                for row in session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == "job", OutboxMessage.topic.in_(functions))
                    .order_by(OutboxMessage.created_at, OutboxMessage.id)
                )
                if row.id not in done
            ]
        if not rows:
            return ran
        for outbox_id, topic, kwargs in rows:
            done.add(outbox_id)
            tasks[topic](runtime, **kwargs)
            ran.append(topic)
