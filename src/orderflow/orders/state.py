"""Order statuses and the order transition table (pure).

An order's ``status`` moves forward with its fulfillments (derived by fulfillment/state.py), so
the table allows the forward jumps that derivation can produce (``confirmed`` straight to
``packed`` when every fulfillment is packed at once). ``cancelled`` is reachable only from the
stages the seed's ``canCancelOrder`` accepts; ``refunded`` only after money was taken and the
goods came back (returns, or a delivery refused at the door).
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    PACKED = "packed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class FulfillmentStatus(StrEnum):
    NOT_FULFILLED = "not_fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    CANCELLED = "cancelled"


S = OrderStatus

# The seed's canCancelOrder: everything except out_for_delivery, delivered, cancelled, refunded.
CANCELLABLE: frozenset[OrderStatus] = frozenset({S.PENDING, S.CONFIRMED, S.PROCESSING, S.PACKED})
TERMINAL: frozenset[OrderStatus] = frozenset({S.CANCELLED, S.REFUNDED})

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PROCESSING, S.PACKED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.CANCELLED}),
    S.PROCESSING: frozenset({S.PACKED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.CANCELLED}),
    S.PACKED: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.CANCELLED}),
    # A delivery refused at the door (failed ID check) comes back and is refunded.
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.REFUNDED}),
    # Only a return of everything refunds a delivered order.
    S.DELIVERED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# The tracking event each status change emits (api.md names).
STATUS_EVENTS: dict[OrderStatus, str] = {
    S.CONFIRMED: "order.confirmed",
    S.PROCESSING: "order.processing",
    S.PACKED: "order.packed",
    S.OUT_FOR_DELIVERY: "order.out_for_delivery",
    S.DELIVERED: "order.delivered",
    S.CANCELLED: "order.cancelled",
    S.REFUNDED: "order.refunded",
}


def allowed_from(status: OrderStatus | str) -> frozenset[OrderStatus]:
    """The statuses an order in ``status`` may move to (empty for terminal ones)."""
    return TRANSITIONS[OrderStatus(status)]


def can_transition(current: OrderStatus | str, to: OrderStatus | str) -> bool:
    return OrderStatus(to) in TRANSITIONS[OrderStatus(current)]


def is_cancellable(status: OrderStatus | str) -> bool:
    return OrderStatus(status) in CANCELLABLE


def is_terminal(status: OrderStatus | str) -> bool:
    return OrderStatus(status) in TERMINAL
