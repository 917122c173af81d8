"""Every SQL statement of the routing domain (reads only)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from orderflow.db.models import Fulfillment, Hub, Order, OrderItem, StockLevel


def active_hubs(session: Session) -> list[Hub]:
    return list(session.scalars(select(Hub).where(Hub.active.is_(True)).order_by(Hub.id)))


def available_stock(
    session: Session, hub_ids: Collection[str], variant_ids: Collection[str]
) -> dict[str, dict[str, int]]:
    """hub -> variant -> on_hand - reserved, for the given hubs and variants (positive only)."""
    if not hub_ids or not variant_ids:
        return {}
    rows = session.execute(
        select(StockLevel.hub_id, StockLevel.variant_id, StockLevel.on_hand - StockLevel.reserved)
        .where(
            StockLevel.hub_id.in_(sorted(hub_ids)),
            StockLevel.variant_id.in_(sorted(variant_ids)),
            StockLevel.on_hand > StockLevel.reserved,
        )
        .order_by(StockLevel.hub_id, StockLevel.variant_id)
    )
    stock: dict[str, dict[str, int]] = {}
    for hub_id, variant_id, available in rows:
        stock.setdefault(hub_id, {})[variant_id] = int(available)
    return stock


def fulfillments_since(session: Session, since: Mapping[str, datetime]) -> dict[str, int]:
    """hub -> fulfillments (not cancelled) created at the hub since its own instant."""
    if not since:
        return {}
    stmt = (
        select(Fulfillment.hub_id, func.count())
        .where(
            or_(
                *(
                    and_(Fulfillment.hub_id == hub_id, Fulfillment.created_at >= start)
                    for hub_id, start in sorted(since.items())
                )
            ),
            Fulfillment.status != "cancelled",
        )
        .group_by(Fulfillment.hub_id)
    )
    return {hub_id: int(n) for hub_id, n in session.execute(stmt)}


def get_order(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def order_fulfillments(session: Session, order_id: str) -> list[tuple[Fulfillment, str | None]]:
    """The order's fulfillments (oldest first) with their hub's name."""
    rows = session.execute(
        select(Fulfillment, Hub.name)
        .join(Hub, Hub.id == Fulfillment.hub_id, isouter=True)
        .where(Fulfillment.order_id == order_id)
        .order_by(Fulfillment.created_at, Fulfillment.id)
    )
    return [(f, name) for f, name in rows.tuples()]


def order_items(session: Session, order_id: str) -> list[OrderItem]:
    return list(
        session.scalars(
            select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)
        )
    )
