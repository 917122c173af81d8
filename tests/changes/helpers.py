"""A small marketplace and the pipeline steps changes tests drive by hand.

``market(db)``: two hubs (downtown Chicago and a northern one), a brand and a distributor, a
beer, a wine and a soda, stocked at the downtown hub. ``place`` POSTs an order as the customer;
``pay`` runs the pipeline jobs (validate, charge, vendor transfers); ``step`` moves a
fulfillment as its hub would; ``money`` and ``stock`` read the state back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orderflow.auth.principal import Principal
from orderflow.db.models import (
    Fulfillment,
    Hub,
    LedgerEntry,
    Order,
    OrderItem,
    Payment,
    Refund,
    Reservation,
    StockLevel,
    Transfer,
    TransferReversal,
    Variant,
    Vendor,
)
from orderflow.db.session import Database
from orderflow.fulfillment.service import fulfillment_service
from orderflow.kit.clock import utcnow
from orderflow.orders.tasks import validate_placed_order
from orderflow.payments.tasks import process_payment
from orderflow.runtime import Runtime
from tests.factories import create_hub, create_variant, create_vendor, set_stock
from tests.orders.factories import line, order_payload, place_order

ADMIN = Principal(sub="admin-1", role="admin")


@dataclass
class Market:
    hub: Hub
    north: Hub
    brand: Vendor
    distributor: Vendor
    beer: Variant  # brand, 12.99
    soda: Variant  # brand, 2.50, not age-restricted
    wine: Variant  # distributor, 24.50


def market(db: Database, *, stock: int = 10) -> Market:
    hub = create_hub(db)
    north = create_hub(db, lat=42.0451, lng=-87.6877)  # Evanston, ~19 km north
    brand = create_vendor(db, type="brand")
    distributor = create_vendor(db, type="distributor")
    beer = create_variant(db, vendor_id=brand.id, price_amount=1299, title="Pale Ale")
    soda = create_variant(
        db, vendor_id=brand.id, price_amount=250, title="Soda", age_restricted=False
    )
    wine = create_variant(db, vendor_id=distributor.id, price_amount=2450, title="Rioja")
    for variant in (beer, soda, wine):
        set_stock(db, hub.id, variant.id, stock)
    return Market(hub, north, brand, distributor, beer, soda, wine)


def place(customer: TestClient, *lines: tuple[Variant, int], **overrides: Any) -> dict[str, Any]:
    items = [
        line(v, q, vendor_type="distributor" if v.title == "Rioja" else "brand") for v, q in lines
    ]
    return place_order(customer, order_payload(*items, **overrides))


def pay(runtime: Runtime, order_id: str) -> None:
    """The pipeline after placement: re-check, charge (confirm), pay the vendors."""
    validate_placed_order(runtime, order_id=order_id)
    process_payment(runtime, order_id=order_id)


def step(runtime: Runtime, fulfillment_id: str, *to: str) -> None:
    """Move a fulfillment through ``to`` steps, as its hub and courier would."""
    for target in to:
        with runtime.db.write() as session:
            fulfillment_service.transition(
                session,
                fulfillment_id,
                to=target,
                principal=ADMIN,
                now=utcnow(),
                settings=runtime.settings,
                courier_id="courier-1" if target == "picked_up" else None,
                id_verified=True if target == "delivered" else None,
            )


def order_row(db: Database, order_id: str) -> Order:
    with db.read() as s:
        row = s.get(Order, order_id)
        assert row is not None
        s.expunge(row)
        return row


def fulfillments(db: Database, order_id: str) -> list[Fulfillment]:
    with db.read() as s:
        rows = list(s.scalars(select(Fulfillment).where(Fulfillment.order_id == order_id)))
        s.expunge_all()
        return rows


def stock(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    """(hub, variant) -> (on_hand, reserved) for every stock row."""
    with db.read() as s:
        return {
            (r.hub_id, r.variant_id): (r.on_hand, r.reserved) for r in s.scalars(select(StockLevel))
        }


def held_units(db: Database) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                    Reservation.status == "held"
                )
            )
            or 0
        )


def open_units(db: Database) -> int:
    """Units of live items in parcels that have not consumed their stock yet."""
    with db.read() as s:
        rows = s.execute(
            select(OrderItem.quantity)
            .join(Fulfillment, Fulfillment.id == OrderItem.fulfillment_id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(
                OrderItem.status == "active",
                Fulfillment.stock_consumed.is_(False),
                Fulfillment.status != "cancelled",
                Order.status != "cancelled",
            )
        )
        return sum(q for (q,) in rows)


@dataclass
class Money:
    captured: int
    refunded: int
    transferred: dict[str, int]  # vendor id -> amount
    reversed: dict[str, int]
    refunds: list[Refund]
    ledger_sum: int


def money(db: Database, order_id: str) -> Money:
    with db.read() as s:
        pays = list(s.scalars(select(Payment).where(Payment.order_id == order_id)))
        transfers = list(s.scalars(select(Transfer).where(Transfer.order_id == order_id)))
        reversals = list(
            s.scalars(
                select(TransferReversal)
                .join(Transfer, Transfer.id == TransferReversal.transfer_id)
                .where(Transfer.order_id == order_id, TransferReversal.status == "succeeded")
            )
        )
        refunds = list(
            s.scalars(select(Refund).where(Refund.order_id == order_id, Refund.status != "failed"))
        )
        ledger_sum = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.order_id == order_id
            )
        )
        vendor_of = {t.id: t.vendor_id for t in transfers}
        transferred: dict[str, int] = {}
        for t in transfers:
            transferred[t.vendor_id] = transferred.get(t.vendor_id, 0) + t.amount
        reversed_: dict[str, int] = {}
        for r in reversals:
            vendor = vendor_of[r.transfer_id]
            reversed_[vendor] = reversed_.get(vendor, 0) + r.amount
        s.expunge_all()
        return Money(
            captured=sum(p.captured_amount for p in pays),
            refunded=sum(p.refunded_amount for p in pays),
            transferred=transferred,
            reversed=reversed_,
            refunds=refunds,
            ledger_sum=int(ledger_sum or 0),
        )


def run_jobs(runtime: Runtime, *functions: str) -> int:
    """Run the outbox jobs named ``functions`` (as the worker would after commit); returns how
    many ran. Each job runs once per outbox row."""
    from orderflow.db.models import OutboxMessage
    from orderflow.workers.registry import load_registry

    tasks = load_registry().tasks

    with runtime.db.read() as s:
        rows = [
            (r.topic, dict(r.payload.get("kwargs", {})))
            for r in s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "job", OutboxMessage.topic.in_(functions))
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        ]
    for topic, kwargs in rows:
        tasks[topic](runtime, **kwargs)
    return len(rows)
