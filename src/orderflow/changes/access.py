"""Who may change an order, checked on the locked order row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes import repository as repo
from orderflow.changes.errors import SubOrderNotFound
from orderflow.db.models import Order, SubOrder
from orderflow.orders.errors import OrderNotFound


def locked_order(session: Session, order_id: str, *, principal: Principal) -> Order:
    """The order, row-locked, if ``principal`` may change it (its customer, or an admin).

    Someone else's order is a 404, as for reads: existence is not leaked.
    """
    order = repo.lock_order(session, order_id)
    if order is None or not (principal.is_admin or order.customer_id == principal.sub):
        raise OrderNotFound(f"there is no order {order_id}")
    return order


def locked_sub_order(
    session: Session, order_id: str, sub_order_id: str, *, principal: Principal
) -> tuple[Order, SubOrder]:
    """The order (row-locked) and one of its sub-orders, if ``principal`` is its vendor or an
    admin. Another vendor's sub-order is a 404."""
    order = repo.lock_order(session, order_id)
    if order is None:
        raise OrderNotFound(f"there is no order {order_id}")
    sub = next((s for s in repo.sub_orders(session, order_id) if s.id == sub_order_id), None)
    allowed = sub is not None and (principal.is_admin or sub.vendor_id == principal.vendor_id)
    if sub is None or not allowed:
        if not principal.is_admin and not any(
            s.vendor_id == principal.vendor_id for s in repo.sub_orders(session, order_id)
        ):
            raise OrderNotFound(f"there is no order {order_id}")
        raise SubOrderNotFound(f"order {order_id} has no sub-order {sub_order_id} of yours")
    return order, sub
