"""Tracking events: the per-order sequence and the rows that every status change appends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from orderflow.db.models import Order, TrackingEvent
from orderflow.kit.clock import isoformat
from orderflow.kit.ids import new_id
from orderflow.workers.outbox import add_publish


def order_channel(order_id: str) -> str:
    return f"order:{order_id}"


def next_sequence(session: Session, order_id: str) -> int:
    """Allocate the order's next event sequence; the UPDATE also locks the order row."""
    seq = session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(event_sequence=Order.event_sequence + 1)
        .returning(Order.event_sequence)
    ).scalar_one()
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
) -> dict[str, Any]:
    """Append one tracking event and its push (outbox) in the caller's transaction.

    Returns the wire payload ``{orderId, timestamp, event, data, sequence}``.
    """
    sequence = next_sequence(session, order_id)
    event_id = new_id("evt")
    session.execute(
        insert(TrackingEvent).values(
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
    return payload


def list_events(session: Session, order_id: str, *, after: int = 0) -> list[TrackingEvent]:
    return list(
        session.scalars(
            select(TrackingEvent)
            .where(TrackingEvent.order_id == order_id, TrackingEvent.sequence > after)
            .order_by(TrackingEvent.sequence)
        )
    )
