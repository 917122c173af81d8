"""After items or fulfillments changed: the order's derived status and consolidation again."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from orderflow.changes import repository as repo
from orderflow.fulfillment.service import fulfillment_service


def resync(session: Session, order_id: str, *, now: datetime) -> None:
    """Re-derive ``status`` / ``fulfillmentStatus`` from the fulfillments (fulfillment domain)
    ``consolidatedShipping`` (every live item ships in one parcel) and each sub-order's main
    parcel."""
    fulfillment_service.sync_order(session, order_id, now=now)
    units: dict[str, int] = defaultdict(int)
    per_sub: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in repo.items(session, order_id):
        if item.status == "active" and item.fulfillment_id is not None:
            units[item.fulfillment_id] += item.quantity
            per_sub[item.sub_order_id][item.fulfillment_id] += item.quantity
    for sub in repo.sub_orders(session, order_id):
        parcels = per_sub.get(sub.id)
        # The seed's SubOrder.fulfillmentId: the parcel that ships most of the vendor's units.
        main = max(sorted(parcels.items()), key=lambda kv: kv[1])[0] if parcels else None
        if main is not None and main != sub.fulfillment_id:
            repo.update_sub_order(session, sub.id, {"fulfillment_id": main, "updated_at": now})
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
