"""When an order, a sub-order or an item may be cancelled, modified or returned (pure).

The seed's ``canCancelOrder`` refuses ``out_for_delivery``, ``delivered``, ``cancelled`` and
``refunded``; the same rule applied to one vendor's sub-order looks at the fulfillments that
ship its items. Item changes stop once an affected fulfillment is packed; an address change
stops once any parcel is out for delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from orderflow.fulfillment import state as fulfillment_state
from orderflow.orders.state import OrderStatus

S = OrderStatus

NOT_CANCELLABLE_REASONS: dict[str, str] = {
    S.OUT_FOR_DELIVERY: "the order is already out for delivery",
    S.DELIVERED: "the order has been delivered; return its items instead",
    S.CANCELLED: "the order is already cancelled",
    S.REFUNDED: "the order has already been refunded",
}

# Fulfillment states (fulfillment/state.py) in which items may still be added, removed or
# re-counted: nothing has been packed yet.
ITEMS_EDITABLE_FULFILLMENT = frozenset({"pending", "processing"})
# Fulfillment states in which the goods have not reached the customer's door yet (a parcel on
# its way is driven back and restocked when cancelled: fulfillment/state.py).
BEFORE_DOOR_FULFILLMENT = frozenset(s.value for s in fulfillment_state.CANCELLABLE)
# Fulfillment states that no longer hold anything for the order.
CLOSED_FULFILLMENT = frozenset({"cancelled"})

ORDER_EDITABLE = frozenset({S.PENDING, S.CONFIRMED, S.PROCESSING, S.PACKED})


def cancel_refusal(status: str) -> str | None:
    """Why an order in ``status`` cannot be cancelled, or None when it can."""
    return NOT_CANCELLABLE_REASONS.get(OrderStatus(status))


def sub_order_cancel_refusal(
    sub_order_status: str, fulfillment_statuses: Iterable[str]
) -> str | None:
    """Why one vendor's sub-order cannot be cancelled, or None when it can.

    The sub-order follows the seed rule by its own status and by the fulfillments that ship
    its items: once any of them is at the door (or past it), it is too late.
    """
    own = NOT_CANCELLABLE_REASONS.get(OrderStatus(sub_order_status))
    if own is not None:
        return own.replace("the order", "this sub-order")
    for status in fulfillment_statuses:
        if status in CLOSED_FULFILLMENT:
            continue
        if status not in BEFORE_DOOR_FULFILLMENT:
            return f"a parcel of this sub-order is already {status.replace('_', ' ')}"
    return None


def order_edit_refusal(status: str) -> str | None:
    """Why no modification at all is possible for an order in ``status``."""
    if OrderStatus(status) in ORDER_EDITABLE:
        return None
    return {
        S.OUT_FOR_DELIVERY: "the order is already out for delivery",
        S.DELIVERED: "the order has been delivered; return its items instead",
        S.CANCELLED: "the order is cancelled",
        S.REFUNDED: "the order has been refunded",
    }[OrderStatus(status)]


def item_edit_refusal(fulfillment_status: str | None) -> str | None:
    """Why an item shipped by a fulfillment in ``fulfillment_status`` cannot change."""
    if fulfillment_status is None or fulfillment_status in ITEMS_EDITABLE_FULFILLMENT:
        return None
    return f"its fulfillment is already {fulfillment_status.replace('_', ' ')}"


def address_edit_refusal(fulfillment_status: str) -> str | None:
    """Why the address cannot change while a fulfillment is in ``fulfillment_status``."""
    if fulfillment_status in BEFORE_DOOR_FULFILLMENT or fulfillment_status in CLOSED_FULFILLMENT:
        return None
    return f"a parcel is already {fulfillment_status.replace('_', ' ')}"


def return_window_refusal(
    delivered_at: datetime | None, *, now: datetime, window_days: int
) -> str | None:
    """Why delivered goods can no longer be returned, or None while the window is open."""
    if delivered_at is None:
        return "these items have not been delivered yet"
    closes = delivered_at + timedelta(days=window_days)
    if now > closes:
        return f"the {window_days}-day return window closed on {closes.date().isoformat()}"
    return None


def payment_refusal(payment_status: str, *, charge_started: bool) -> str | None:
    """Why the amounts of an order cannot change now, or None.

    Before any charge (no payment row yet) the charge will simply be for the new total; after
    capture the difference is refunded or charged. In between the amount is with the gateway:
    an authorization cannot be partly released, and a charge in flight has its amount fixed.
    """
    if payment_status in ("captured", "partially_refunded"):
        return None
    if payment_status == "pending" and not charge_started:
        return None
    if payment_status in ("pending", "requires_action"):
        return "its payment is being processed; try again in a moment"
    if payment_status == "authorized":
        return "its payment is authorized but not captured; cancel the whole order instead"
    return f"its payment is {payment_status}"
