"""Tracking events: the per-order sequence and the rows that every status change appends.

``append_event`` is the one writer of tracking events. In the caller's transaction it also
writes the event's side effects: the push (outbox ``publish``), the analytics record and, for
the events customers hear about, their notifications (outbox jobs ``notifications.deliver``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, literal, select, union_all, update
from sqlalchemy.orm import Session

from orderflow.db.models import Fulfillment, Order, SubOrder, TrackingEvent
from orderflow.kit.clock import as_utc, isoformat
from orderflow.kit.ids import new_id
from orderflow.orders.cache import order_cache
from orderflow.tracking.facts import OrderFacts
from orderflow.workers.outbox import add_publish


def order_channel(order_id: str) -> str:
    return f"order:{order_id}"


# Core tables (not the ORM bulk path) for the two statements every status change runs.
_TRACKING_EVENTS = cast(Table, TrackingEvent.__table__)
_ORDERS = cast(Table, Order.__table__)
_NEXT_SEQUENCE = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("sequence_order_id", type_=_ORDERS.c.id.type))
    # updated_at kept as is: the column's onupdate would stamp wall-clock time, not the
    # caller's ``now`` (the status writer sets updated_at itself).
    .values(event_sequence=_ORDERS.c.event_sequence + 1, updated_at=_ORDERS.c.updated_at)
    .returning(_ORDERS.c.event_sequence)
)


def next_sequence(session: Session, order_id: str) -> int:
    """Allocate the order's next event sequence; the UPDATE also locks the order row."""
    seq = session.execute(_NEXT_SEQUENCE, {"sequence_order_id": order_id}).scalar_one()
    return int(seq)


def append_event(
    session: Session,
    *,
    order_id: str,
    event: str,
    title: str,
    description: str,
    data: dict[str, Any],
    now: datetime,
    fulfillment_id: str | None = None,
    facts: OrderFacts | None = None,
) -> dict[str, Any]:
    """Append one tracking event and its side effects in the caller's transaction.

    ``facts``: the order's facts when the caller already has them (placement), saving the loads.

    Returns the wire payload ``{orderId, timestamp, event, data, sequence}`` (plus ``id``,
    ``title``, ``description``).
    """
    # Imported here: these domains import tracking.facts, and orders imports this module.
    from orderflow.analytics.service import analytics_service
    from orderflow.notifications.service import notification_service

    sequence = next_sequence(session, order_id)
    # Every event is a change to the order document: drop its cached copies after commit.
    order_cache.drop_after_commit(session, order_id)
    event_id = new_id("evt")
    session.execute(
        insert(_TRACKING_EVENTS).values(
            id=event_id,
            order_id=order_id,
            sequence=sequence,
            event=event,
            title=title,
            description=description,
            data=data,
            fulfillment_id=fulfillment_id,
            created_at=now,
        )
    )
    payload = {
        "id": event_id,
        "orderId": order_id,
        "timestamp": isoformat(now),
        "event": event,
        "data": data,
        "sequence": sequence,
        "title": title,
        "description": description,
    }
    add_publish(session, order_channel(order_id), payload, order_id=order_id)
    facts = facts or load_facts(session, order_id)
    analytics_service.record(session, facts=facts, event=event, sequence=sequence, now=now)
    notification_service.enqueue(
        session, facts=facts, event=event, sequence=sequence, data=data, now=now
    )
    return payload


def load_facts(session: Session, order_id: str) -> OrderFacts:
    order = session.execute(
        select(
            Order.display_id,
            Order.customer_id,
            Order.status,
            Order.delivery_type,
            Order.total_amount,
            Order.refunded_amount,
            Order.currency,
            Order.created_at,
            Order.estimated_delivery_at,
        ).where(Order.id == order_id)
    ).one()
    # Vendors and hubs in one round trip: ("v", vendor_id) and ("h", hub_id) rows.
    parties = session.execute(
        union_all(
            select(literal("v").label("kind"), SubOrder.vendor_id.label("ref")).where(
                SubOrder.order_id == order_id
            ),
            select(literal("h").label("kind"), Fulfillment.hub_id.label("ref")).where(
                Fulfillment.order_id == order_id
            ),
        )
    ).all()
    vendor_ids = {row.ref for row in parties if row.kind == "v"}
    hub_ids = {row.ref for row in parties if row.kind == "h"}
    return OrderFacts(
        order_id=order_id,
        display_id=order.display_id,
        customer_id=order.customer_id,
        status=order.status,
        delivery_type=order.delivery_type,
        total_amount=order.total_amount,
        refunded_amount=order.refunded_amount,
        currency=order.currency,
        placed_at=as_utc(order.created_at),
        estimated_delivery_at=(
            as_utc(order.estimated_delivery_at) if order.estimated_delivery_at else None
        ),
        vendor_ids=tuple(sorted(vendor_ids)),
        hub_ids=tuple(sorted(hub_ids)),
    )


def list_events(
    session: Session, order_id: str, *, after: int = 0, upto: int | None = None
) -> list[TrackingEvent]:
    query = select(TrackingEvent).where(
        TrackingEvent.order_id == order_id, TrackingEvent.sequence > after
    )
    if upto is not None:
        query = query.where(TrackingEvent.sequence <= upto)
    return list(session.scalars(query.order_by(TrackingEvent.sequence)))


def latest_sequence(session: Session, order_id: str) -> int:
    return int(session.scalar(select(Order.event_sequence).where(Order.id == order_id)) or 0)


def last_location(session: Session, order_id: str) -> TrackingEvent | None:
    return session.scalar(
        select(TrackingEvent)
        .where(TrackingEvent.order_id == order_id, TrackingEvent.event == "order.location")
        .order_by(TrackingEvent.sequence.desc())
        .limit(1)
    )
