"""After items or fulfillments changed: the order's derived status and consolidation again."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from orderflow.changes import repository as repo
from orderflow.fulfillment.service import fulfillment_service


def resync(session: Session, order_id: str, *, now: datetime) -> None:
    """Re-derive ``status`` / ``fulfillmentStatus`` from the fulfillments (fulfillment domain)
    and ``consolidatedShipping`` (every live item ships in one parcel)."""
    fulfillment_service.sync_order(session, order_id, now=now)
    units: dict[str, int] = defaultdict(int)
    for item in repo.items(session, order_id):
        if item.status == "active" and item.fulfillment_id is not None:
            units[item.fulfillment_id] += item.quantity
    live = [
        f
        for f in repo.fulfillments(session, order_id)
        if f.status != "cancelled" and units.get(f.id, 0) > 0
    ]
    consolidated = len(live) == 1
    order = repo.lock_order(session, order_id)
    assert order is not None
    if consolidated != order.consolidated_shipping:
        repo.update_order(
            session, order_id, {"consolidated_shipping": consolidated, "updated_at": now}
        )
