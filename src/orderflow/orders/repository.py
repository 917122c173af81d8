"""Every SQL statement of the orders domain.

Placement is the hot path: catalog and hubs in one query each, then one multi-row Core INSERT
per table. Reads load an order's children with one query per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.db.models import (
    Fulfillment,
    Hub,
    Order,
    OrderItem,
    Payment,
    SubOrder,
    TrackingEvent,
    Variant,
    Vendor,
)


@dataclass(frozen=True)
class CatalogRow:
    variant: Variant
    vendor_type: str
    stripe_account_id: str | None
    platform_fee_bps: int | None


@dataclass
class OrderBundle:
    """An order and its children, as loaded (or as just inserted)."""

    order: Order
    items: list[OrderItem]
    sub_orders: list[SubOrder]
    fulfillments: list[Fulfillment]
    payment: Payment | None = None


def load_catalog(session: Session, variant_ids: Iterable[str]) -> list[CatalogRow]:
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    rows = session.execute(
        select(Variant, Vendor.type, Vendor.stripe_account_id, Vendor.platform_fee_bps)
        .join(Vendor, Vendor.id == Variant.vendor_id)
        .where(Variant.id.in_(ids))
    ).all()
    return [
        CatalogRow(v, vendor_type, account, fee_bps) for v, vendor_type, account, fee_bps in rows
    ]


def load_active_hubs(session: Session) -> list[Hub]:
    return list(session.scalars(select(Hub).where(Hub.active.is_(True)).order_by(Hub.id)))


def insert_order(
    session: Session,
    *,
    order: dict[str, Any],
    sub_orders: Sequence[dict[str, Any]],
    fulfillments: Sequence[dict[str, Any]],
    items: Sequence[dict[str, Any]],
) -> None:
    """Four multi-row INSERTs, parents first (Core tables: no ORM bulk-insert path)."""
    session.execute(_INSERT_ORDER, [order])
    session.execute(_INSERT_SUB_ORDER, list(sub_orders))
    if fulfillments:
        session.execute(_INSERT_FULFILLMENT, list(fulfillments))
    session.execute(_INSERT_ORDER_ITEM, list(items))


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_INSERT_ORDER = insert(_table(Order))
_INSERT_SUB_ORDER = insert(_table(SubOrder))
_INSERT_FULFILLMENT = insert(_table(Fulfillment))
_INSERT_ORDER_ITEM = insert(_table(OrderItem))


def get_order(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def order_status(session: Session, order_id: str) -> str | None:
    return session.scalar(select(Order.status).where(Order.id == order_id))


def load_bundle(session: Session, order: Order) -> OrderBundle:
    return load_bundles(session, [order])[0]


def load_bundles(session: Session, orders: Sequence[Order]) -> list[OrderBundle]:
    """The children of ``orders``: one query per table, whatever the number of orders."""
    if not orders:
        return []
    ids = [o.id for o in orders]
    bundles = {o.id: OrderBundle(o, [], [], []) for o in orders}
    for item in session.scalars(
        select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)
    ):
        bundles[item.order_id].items.append(item)
    for sub in session.scalars(
        select(SubOrder).where(SubOrder.order_id.in_(ids)).order_by(SubOrder.id)
    ):
        bundles[sub.order_id].sub_orders.append(sub)
    for fulfillment in session.scalars(
        select(Fulfillment).where(Fulfillment.order_id.in_(ids)).order_by(Fulfillment.id)
    ):
        bundles[fulfillment.order_id].fulfillments.append(fulfillment)
    for payment in session.scalars(
        select(Payment)
        .where(Payment.order_id.in_(ids), Payment.kind == "initial")
        .order_by(Payment.created_at)
    ):
        bundles[payment.order_id].payment = payment  # the latest wins
    return [bundles[o.id] for o in orders]


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause of the orders ``principal`` may see."""
    if principal.role == "admin":
        return Order.id.is_not(None)
    if principal.role == "customer":
        return Order.customer_id == principal.sub
    if principal.role == "vendor":
        return exists().where(
            SubOrder.order_id == Order.id, SubOrder.vendor_id == principal.vendor_id
        )
    if principal.role == "hub":
        return exists().where(
            Fulfillment.order_id == Order.id, Fulfillment.hub_id == principal.hub_id
        )
    if principal.role == "courier":
        return exists().where(
            Fulfillment.order_id == Order.id, Fulfillment.courier_id == principal.sub
        )
    return Order.id.is_(None)


def get_visible_order(session: Session, order_id: str, principal: Principal) -> Order | None:
    return session.scalar(select(Order).where(Order.id == order_id, visible_to(principal)))


def list_orders(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    customer_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Order]:
    query = select(Order).where(visible_to(principal))
    if status is not None:
        query = query.where(Order.status == status)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if after is not None:
        created_at, ident = after
        query = query.where(
            or_(
                Order.created_at < created_at,
                and_(Order.created_at == created_at, Order.id < ident),
            )
        )
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    return list(session.scalars(query))


def update_status(
    session: Session,
    order_id: str,
    *,
    sources: Iterable[str],
    values: dict[str, Any],
) -> bool:
    """Set ``values`` if the order's status is still one of ``sources`` (compare-and-set)."""
    result = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(sorted(set(sources))))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def follow_order_status(session: Session, order_id: str, *, status: str, now: datetime) -> None:
    """Sub-orders follow the order's status, except those already cancelled on their own."""
    session.execute(
        update(SubOrder)
        .where(SubOrder.order_id == order_id, SubOrder.status != "cancelled")
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def set_pipeline_step(session: Session, order_id: str, *, step: str, now: datetime) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(pipeline_step=step, pipeline_updated_at=now)
        .execution_options(synchronize_session=False)
    )


def active_item_variants(session: Session, order_id: str) -> list[str]:
    return sorted(
        set(
            session.scalars(
                select(OrderItem.variant_id).where(
                    OrderItem.order_id == order_id, OrderItem.status == "active"
                )
            )
        )
    )


def list_events(session: Session, order_id: str) -> list[TrackingEvent]:
    return list(
        session.scalars(
            select(TrackingEvent)
            .where(TrackingEvent.order_id == order_id)
            .order_by(TrackingEvent.sequence)
        )
    )
