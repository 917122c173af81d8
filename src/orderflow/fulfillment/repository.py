"""Every SQL statement of the fulfillment domain.

Status changes are conditional UPDATEs (``WHERE status = :from``) whose rowcount is checked, so
two racing steps on one fulfillment cannot both win. Fulfillments of one order are touched in
id order (the PostgreSQL lock order).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, tuple_, update
from sqlalchemy.orm import Session

from orderflow.db.models import Fulfillment, Hub, Notification, Order, OrderItem
from orderflow.fulfillment.state import FulfillmentView


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


@dataclass(frozen=True)
class ItemRow:
    id: str
    fulfillment_id: str | None
    sub_order_id: str
    variant_id: str
    hub_id: str | None
    sku: str
    title: str
    quantity: int
    returned_quantity: int
    age_restricted: bool
    status: str


@dataclass(frozen=True)
class OrderRow:
    id: str
    display_id: str
    status: str
    delivery_type: str
    shipping_address: dict[str, Any]
    estimated_delivery_at: datetime | None


# ------------------------------------------------------------------ fulfillments


def get(session: Session, fulfillment_id: str, *, lock: bool = False) -> Fulfillment | None:
    query = select(Fulfillment).where(Fulfillment.id == fulfillment_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def of_order(session: Session, order_id: str, *, lock: bool = False) -> list[Fulfillment]:
    query = select(Fulfillment).where(Fulfillment.order_id == order_id).order_by(Fulfillment.id)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def move(
    session: Session,
    fulfillment_id: str,
    *,
    sources: Collection[str],
    values: dict[str, Any],
) -> bool:
    """Set ``values`` if the fulfillment is still in one of ``sources``; False otherwise."""
    stmt = (
        update(Fulfillment)
        .where(Fulfillment.id == fulfillment_id, Fulfillment.status.in_(list(sources)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def mark_stock_consumed(session: Session, fulfillment_id: str, *, now: datetime) -> bool:
    """Flip ``stock_consumed`` once: True only for the caller that flipped it."""
    stmt = (
        update(Fulfillment)
        .where(Fulfillment.id == fulfillment_id, Fulfillment.stock_consumed.is_(False))
        .values(stock_consumed=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def set_values(session: Session, fulfillment_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Fulfillment)
        .where(Fulfillment.id == fulfillment_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def mark_hub_notified(session: Session, fulfillment_id: str, *, now: datetime) -> bool:
    """Stamp ``hub_notified_at`` once, unless the fulfillment was cancelled meanwhile."""
    stmt = (
        update(Fulfillment)
        .where(
            Fulfillment.id == fulfillment_id,
            Fulfillment.hub_notified_at.is_(None),
            Fulfillment.status != "cancelled",
        )
        .values(hub_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def hub_queue(
    session: Session,
    hub_id: str,
    *,
    statuses: Collection[str],
    after: tuple[int, datetime, str] | None,
    limit: int,
    far_future: datetime,
) -> list[Fulfillment]:
    """The hub's fulfillments of confirmed orders, by priority rank, promised time, id."""
    promised = func.coalesce(Fulfillment.promised_at, far_future)
    query = (
        select(Fulfillment)
        .join(Order, Order.id == Fulfillment.order_id)
        .where(
            Fulfillment.hub_id == hub_id,
            Fulfillment.status.in_(list(statuses)),
            Order.status != "pending",
        )
    )
    if after is not None:
        query = query.where(tuple_(Fulfillment.priority_rank, promised, Fulfillment.id) > after)
    query = query.order_by(Fulfillment.priority_rank, promised, Fulfillment.id).limit(limit)
    return list(session.scalars(query))


# ------------------------------------------------------------------ items


def _item_row(item: OrderItem) -> ItemRow:
    return ItemRow(
        id=item.id,
        fulfillment_id=item.fulfillment_id,
        sub_order_id=item.sub_order_id,
        variant_id=item.variant_id,
        hub_id=item.hub_id,
        sku=item.sku,
        title=item.title,
        quantity=item.quantity,
        returned_quantity=item.returned_quantity,
        age_restricted=item.age_restricted,
        status=item.status,
    )


def items_of(session: Session, fulfillment_ids: Collection[str]) -> list[ItemRow]:
    """Every item (active or cancelled) shipped by these fulfillments, in id order."""
    if not fulfillment_ids:
        return []
    rows = session.scalars(
        select(OrderItem)
        .where(OrderItem.fulfillment_id.in_(list(fulfillment_ids)))
        .order_by(OrderItem.id)
        .execution_options(populate_existing=True)
    )
    return [_item_row(item) for item in rows]


def cancel_items(
    session: Session, item_ids: Collection[str], *, now: datetime
) -> list[tuple[str, int]]:
    """Mark active items cancelled; ``(item_id, quantity)`` of those this call cancelled."""
    cancelled: list[tuple[str, int]] = []
    for item_id in sorted(item_ids):
        result = session.execute(
            update(OrderItem)
            .where(OrderItem.id == item_id, OrderItem.status == "active")
            .values(status="cancelled", updated_at=now)
            .returning(OrderItem.quantity)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if result is not None:
            cancelled.append((item_id, int(result)))
    return cancelled


def views_of_order(session: Session, order_id: str) -> list[FulfillmentView]:
    """What derivation needs: each fulfillment's state and its active units."""
    units = {
        row.fulfillment_id: (int(row.quantity or 0), int(row.returned or 0))
        for row in session.execute(
            select(
                OrderItem.fulfillment_id,
                func.sum(OrderItem.quantity).label("quantity"),
                func.sum(OrderItem.returned_quantity).label("returned"),
            )
            .where(OrderItem.order_id == order_id, OrderItem.status == "active")
            .group_by(OrderItem.fulfillment_id)
        )
    }
    views = []
    for fulfillment_id, status in session.execute(
        select(Fulfillment.id, Fulfillment.status)
        .where(Fulfillment.order_id == order_id)
        .order_by(Fulfillment.id)
    ):
        quantity, returned = units.get(fulfillment_id, (0, 0))
        views.append(FulfillmentView(status, quantity=quantity, returned_quantity=returned))
    return views


# ------------------------------------------------------------------ orders and hubs


def get_order(session: Session, order_id: str) -> OrderRow | None:
    row = session.execute(
        select(
            Order.id,
            Order.display_id,
            Order.status,
            Order.delivery_type,
            Order.shipping_address,
            Order.estimated_delivery_at,
        ).where(Order.id == order_id)
    ).one_or_none()
    if row is None:
        return None
    return OrderRow(
        id=row.id,
        display_id=row.display_id,
        status=row.status,
        delivery_type=row.delivery_type,
        shipping_address=dict(row.shipping_address or {}),
        estimated_delivery_at=row.estimated_delivery_at,
    )


def get_orders(session: Session, order_ids: Collection[str]) -> dict[str, OrderRow]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(
            Order.id,
            Order.display_id,
            Order.status,
            Order.delivery_type,
            Order.shipping_address,
            Order.estimated_delivery_at,
        ).where(Order.id.in_(list(order_ids)))
    )
    return {
        row.id: OrderRow(
            id=row.id,
            display_id=row.display_id,
            status=row.status,
            delivery_type=row.delivery_type,
            shipping_address=dict(row.shipping_address or {}),
            estimated_delivery_at=row.estimated_delivery_at,
        )
        for row in rows
    }


def order_statuses(session: Session, order_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(Order.id, Order.status, Order.fulfillment_status).where(
            Order.id.in_(list(order_ids))
        )
    )
    return {row.id: (row.status, row.fulfillment_status) for row in rows}


def set_order_estimated_delivery(
    session: Session, order_id: str, estimated_delivery_at: datetime, *, now: datetime
) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(estimated_delivery_at=estimated_delivery_at, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def finish_pipeline(session: Session, order_id: str, *, now: datetime) -> None:
    """The order no longer waits on ``fulfillment.create`` (the reconciler stops re-kicking)."""
    session.execute(
        update(Order)
        .where(Order.id == order_id, Order.pipeline_step == "fulfil")
        .values(pipeline_step="done", pipeline_updated_at=now)
        .execution_options(synchronize_session=False)
    )


def get_hub(session: Session, hub_id: str) -> Hub | None:
    return session.get(Hub, hub_id)


# ------------------------------------------------------------------ hub notifications


def get_notification(session: Session, dedupe_key: str) -> Notification | None:
    return session.scalar(
        select(Notification)
        .where(Notification.dedupe_key == dedupe_key)
        .execution_options(populate_existing=True)
    )


def add_notification(session: Session, notification: Notification) -> None:
    session.add(notification)
    session.flush()


def update_notification(session: Session, notification_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def estimated_deliveries(session: Session, order_id: str) -> Sequence[datetime]:
    """The estimated deliveries of the order's live fulfillments."""
    return [
        at
        for at in session.scalars(
            select(Fulfillment.estimated_delivery_at).where(
                Fulfillment.order_id == order_id,
                Fulfillment.status.not_in(["cancelled", "returned_to_hub"]),
                Fulfillment.estimated_delivery_at.is_not(None),
            )
        )
        if at is not None
    ]
