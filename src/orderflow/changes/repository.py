"""SQL of the changes domain: the order row lock, the order's rows, returns and versions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from orderflow.db.models import (
    Fulfillment,
    Hub,
    Order,
    OrderItem,
    OrderVersion,
    Payment,
    Refund,
    Return,
    ReturnItem,
    SubOrder,
    Variant,
    Vendor,
)


def lock_order(session: Session, order_id: str) -> Order | None:
    """The order row, locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``;
    SQLite has one writer). Every changes flow takes this lock first, so a cancel, a change
    set, a return and a hub transition on one order run one after the other."""
    return session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


_Part = TypeVar("_Part", OrderItem, SubOrder, Fulfillment)


def _parts(session: Session, model: type[_Part], order_id: str) -> list[_Part]:
    """The order's rows of ``model``, fresh from the database (the order row is locked)."""
    return list(
        session.scalars(
            select(model)
            .where(model.order_id == order_id)
            .order_by(model.id)
            .execution_options(populate_existing=True)
        )
    )


def items(session: Session, order_id: str) -> list[OrderItem]:
    return _parts(session, OrderItem, order_id)


def sub_orders(session: Session, order_id: str) -> list[SubOrder]:
    return _parts(session, SubOrder, order_id)


def fulfillments(session: Session, order_id: str) -> list[Fulfillment]:
    return _parts(session, Fulfillment, order_id)


def payments(session: Session, order_id: str) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.created_at, Payment.id)
            .execution_options(populate_existing=True)
        )
    )


def refunds_at(session: Session, order_id: str, *, kind: str, at: datetime) -> list[Refund]:
    """The order's refunds of ``kind`` recorded by the flow that ran at ``at``."""
    return list(
        session.scalars(
            select(Refund)
            .where(
                Refund.order_id == order_id,
                Refund.reason_kind == kind,
                Refund.created_at == at,
                Refund.status != "failed",
            )
            .order_by(Refund.id)
        )
    )


def mark_cancelled_by(session: Session, order_id: str, *, by: str) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(cancelled_by=by)
        .execution_options(synchronize_session=False)
    )


def update_order(session: Session, order_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def update_sub_order(session: Session, sub_order_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(SubOrder)
        .where(SubOrder.id == sub_order_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def insert_sub_orders(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SubOrder), list(rows))


def cancel_items(session: Session, item_ids: Collection[str], *, now: datetime) -> None:
    if item_ids:
        session.execute(
            update(OrderItem)
            .where(OrderItem.id.in_(sorted(item_ids)))
            .values(status="cancelled", updated_at=now)
            .execution_options(synchronize_session=False)
        )


def set_item_quantity(session: Session, item_id: str, quantity: int, *, now: datetime) -> None:
    session.execute(
        update(OrderItem)
        .where(OrderItem.id == item_id)
        .values(quantity=quantity, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def add_returned(session: Session, item_id: str, quantity: int, *, now: datetime) -> bool:
    """``returned_quantity += quantity`` unless that would pass the item's quantity."""
    result = session.execute(
        update(OrderItem)
        .where(
            OrderItem.id == item_id,
            OrderItem.returned_quantity + quantity <= OrderItem.quantity,
        )
        .values(returned_quantity=OrderItem.returned_quantity + quantity, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def insert_return(
    session: Session, row: dict[str, Any], item_rows: Sequence[dict[str, Any]]
) -> None:
    session.execute(insert(Return).values(**row))
    session.execute(insert(ReturnItem), list(item_rows))


def return_items(session: Session, return_id: str) -> list[ReturnItem]:
    return list(
        session.scalars(
            select(ReturnItem).where(ReturnItem.return_id == return_id).order_by(ReturnItem.id)
        )
    )


def insert_version(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(OrderVersion).values(**row))


def versions(session: Session, order_id: str) -> list[OrderVersion]:
    return list(
        session.scalars(
            select(OrderVersion)
            .where(OrderVersion.order_id == order_id)
            .order_by(OrderVersion.version)
        )
    )


def max_version(session: Session, order_id: str) -> int:
    value = session.scalar(
        select(func.max(OrderVersion.version)).where(OrderVersion.order_id == order_id)
    )
    return int(value or 0)


def catalog(session: Session, variant_ids: Collection[str]) -> list[tuple[Variant, Vendor]]:
    if not variant_ids:
        return []
    rows = session.execute(
        select(Variant, Vendor)
        .join(Vendor, Vendor.id == Variant.vendor_id)
        .where(Variant.id.in_(sorted(variant_ids)))
    )
    return [(variant, vendor) for variant, vendor in rows.tuples()]


def hubs(session: Session, hub_ids: Collection[str]) -> dict[str, Hub]:
    if not hub_ids:
        return {}
    return {h.id: h for h in session.scalars(select(Hub).where(Hub.id.in_(sorted(hub_ids))))}


def insert_items(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(OrderItem), list(rows))


def insert_fulfillments(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Fulfillment), list(rows))


def update_fulfillment(session: Session, fulfillment_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Fulfillment)
        .where(Fulfillment.id == fulfillment_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def move_item(
    session: Session,
    item_id: str,
    *,
    quantity: int,
    fulfillment_id: str,
    hub_id: str,
    now: datetime,
) -> None:
    session.execute(
        update(OrderItem)
        .where(OrderItem.id == item_id)
        .values(quantity=quantity, fulfillment_id=fulfillment_id, hub_id=hub_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
