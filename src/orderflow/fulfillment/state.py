"""The fulfillment lifecycle and the order statuses derived from it (pure).

One fulfillment is one parcel from one hub. Its steps are strict, one at a time::

    pending -> processing -> packed -> picked_up -> in_transit -> out_for_delivery -> delivered

No step may be skipped: each one is a scan a hub or courier really makes, and each one emits the
customer-facing tracking event of the same name. Besides the main line:

- ``cancelled``: from every state before the door (pending .. in_transit). A parcel already
  picked up is driven back to the hub and restocked.
- ``returned_to_hub``: from ``out_for_delivery`` when the courier could not verify the
  recipient's age (``delivered`` with ``idVerified: false``); the goods go back on the shelf.
- ``returned``: from ``delivered`` once every unit came back (the returns flow).

``derive`` computes the order's ``status`` and ``fulfillmentStatus`` from its fulfillments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from orderflow.orders.state import FulfillmentStatus, OrderStatus


class FulfillmentState(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PACKED = "packed"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED_TO_HUB = "returned_to_hub"
    RETURNED = "returned"


F = FulfillmentState

# The main line, in order; a state's index is its progress.
LIFECYCLE: tuple[FulfillmentState, ...] = (
    F.PENDING,
    F.PROCESSING,
    F.PACKED,
    F.PICKED_UP,
    F.IN_TRANSIT,
    F.OUT_FOR_DELIVERY,
    F.DELIVERED,
)

TRANSITIONS: dict[FulfillmentState, tuple[FulfillmentState, ...]] = {
    F.PENDING: (F.PROCESSING, F.CANCELLED),
    F.PROCESSING: (F.PACKED, F.CANCELLED),
    F.PACKED: (F.PICKED_UP, F.CANCELLED),
    F.PICKED_UP: (F.IN_TRANSIT, F.CANCELLED),
    F.IN_TRANSIT: (F.OUT_FOR_DELIVERY, F.CANCELLED),
    F.OUT_FOR_DELIVERY: (F.DELIVERED, F.RETURNED_TO_HUB),
    F.DELIVERED: (F.RETURNED,),
    F.CANCELLED: (),
    F.RETURNED_TO_HUB: (),
    F.RETURNED: (),
}

# The steps the transitions endpoint accepts as ``to`` (cancel, returns and the ID refusal have
# their own entry points).
STEPS: tuple[FulfillmentState, ...] = LIFECYCLE[1:]

CANCELLABLE: frozenset[FulfillmentState] = frozenset(
    s for s, targets in TRANSITIONS.items() if F.CANCELLED in targets
)
# Stock has left the shelf (consumed at ``packed``).
STOCK_CONSUMED: frozenset[FulfillmentState] = frozenset(LIFECYCLE[2:])
# The parcel has left the hub.
LEFT_HUB: frozenset[FulfillmentState] = frozenset(LIFECYCLE[3:])
# A courier is carrying it: it may report its position.
ON_THE_ROAD: frozenset[FulfillmentState] = frozenset(
    {F.PICKED_UP, F.IN_TRANSIT, F.OUT_FOR_DELIVERY}
)
# Came back: every unit counts as returned.
CAME_BACK: frozenset[FulfillmentState] = frozenset({F.RETURNED_TO_HUB, F.RETURNED})
# Reached the customer at some point.
REACHED_CUSTOMER: frozenset[FulfillmentState] = frozenset({F.DELIVERED, F.RETURNED})

# The tracking event each main-line step appends (api.md names).
STEP_EVENTS: dict[FulfillmentState, str] = {s: f"order.{s.value}" for s in STEPS}


def allowed_next(state: FulfillmentState | str) -> tuple[str, ...]:
    """The states a fulfillment in ``state`` may move to (empty when it is final)."""
    return tuple(s.value for s in TRANSITIONS[FulfillmentState(state)])


def can_transition(current: FulfillmentState | str, to: FulfillmentState | str) -> bool:
    return FulfillmentState(to) in TRANSITIONS[FulfillmentState(current)]


def progress(state: FulfillmentState | str) -> int:
    """How far along the main line (``cancelled`` is -1; the comebacks count as delivered)."""
    s = FulfillmentState(state)
    if s is F.CANCELLED:
        return -1
    if s in CAME_BACK:
        return LIFECYCLE.index(F.DELIVERED)
    return LIFECYCLE.index(s)


@dataclass(frozen=True)
class FulfillmentView:
    """What derivation needs of one fulfillment: its state and its live units.

    ``quantity`` / ``returned_quantity`` sum the fulfillment's active items.
    """

    state: FulfillmentState | str
    quantity: int = 1
    returned_quantity: int = 0


S = OrderStatus
FS = FulfillmentStatus

# Order statuses derivation may produce, in lifecycle order; derivation never moves back.
_ORDER_PROGRESS: tuple[OrderStatus, ...] = (
    S.CONFIRMED,
    S.PROCESSING,
    S.PACKED,
    S.OUT_FOR_DELIVERY,
    S.DELIVERED,
)


def derive(
    fulfillments: Sequence[FulfillmentView], *, current_status: OrderStatus | str
) -> tuple[OrderStatus, FulfillmentStatus]:
    """The order's ``(status, fulfillmentStatus)`` given its fulfillments.

    Order status (cancelled fulfillments are ignored while any other is live):
    ``processing`` once any is processing or further; ``packed`` once every one is packed or
    further; ``out_for_delivery`` once any is at (or past) the door; ``delivered`` once every
    one is settled (delivered, returned, or refused at the door) and at least one reached the
    customer. It never moves back from ``current_status``; a ``pending`` order (not paid yet)
    and a ``cancelled`` / ``refunded`` one keep their status: those change only through the
    order's own transitions, with their events.

    Fulfillment status: ``cancelled`` when every fulfillment is cancelled; ``returned`` /
    ``partially_returned`` when all / some live units came back (item returns, refused
    deliveries); else ``fulfilled`` when all are delivered, ``shipped`` when all have left the
    hub, ``partially_shipped`` when some have, ``fulfilled`` when all are packed,
    ``partially_fulfilled`` when some are, ``not_fulfilled`` otherwise.
    """
    current = OrderStatus(current_status)
    states = [FulfillmentState(f.state) for f in fulfillments]
    live = [f for f in fulfillments if FulfillmentState(f.state) is not F.CANCELLED]
    if states and not live:
        return current, FS.CANCELLED
    return _order_status(live, current), _fulfillment_status(live)


def _order_status(live: Sequence[FulfillmentView], current: OrderStatus) -> OrderStatus:
    if current not in _ORDER_PROGRESS or not live:
        return current
    steps = [progress(f.state) for f in live]
    states = [FulfillmentState(f.state) for f in live]
    door = LIFECYCLE.index(F.OUT_FOR_DELIVERY)
    settled = all(s in REACHED_CUSTOMER or s is F.RETURNED_TO_HUB for s in states)
    if settled and any(s in REACHED_CUSTOMER for s in states):
        derived = S.DELIVERED
    elif max(steps) >= door:
        derived = S.OUT_FOR_DELIVERY
    elif min(steps) >= LIFECYCLE.index(F.PACKED):
        derived = S.PACKED
    elif max(steps) >= LIFECYCLE.index(F.PROCESSING):
        derived = S.PROCESSING
    else:
        derived = S.CONFIRMED
    return max(current, derived, key=_ORDER_PROGRESS.index)


def _fulfillment_status(live: Sequence[FulfillmentView]) -> FulfillmentStatus:
    if not live:
        return FS.NOT_FULFILLED
    states = [FulfillmentState(f.state) for f in live]
    units = sum(f.quantity for f in live)
    returned = sum(
        f.quantity if FulfillmentState(f.state) in CAME_BACK else f.returned_quantity for f in live
    )
    if returned > 0:
        return FS.RETURNED if returned >= units else FS.PARTIALLY_RETURNED
    if all(s is F.DELIVERED for s in states):
        return FS.FULFILLED
    left = [s in LEFT_HUB for s in states]
    if all(left):
        return FS.SHIPPED
    if any(left):
        return FS.PARTIALLY_SHIPPED
    packed = [s in STOCK_CONSUMED for s in states]
    if all(packed):
        return FS.FULFILLED
    if any(packed):
        return FS.PARTIALLY_FULFILLED
    return FS.NOT_FULFILLED
