"""What the side effects of a tracking event need to know about its order (loaded once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The order status an event announces; other events (location, modified ...) keep the
# order's current status.
EVENT_STATUS: dict[str, str] = {
    "order.placed": "pending",
    "order.confirmed": "confirmed",
    "order.processing": "processing",
    "order.packed": "packed",
    "order.out_for_delivery": "out_for_delivery",
    "order.delivered": "delivered",
    "order.cancelled": "cancelled",
    "order.refunded": "refunded",
}


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    display_id: str
    customer_id: str
    status: str
    delivery_type: str
    total_amount: int
    refunded_amount: int
    currency: str
    placed_at: datetime
    estimated_delivery_at: datetime | None
    vendor_ids: tuple[str, ...]
    hub_ids: tuple[str, ...]

    def status_after(self, event: str) -> str:
        return EVENT_STATUS.get(event, self.status)
