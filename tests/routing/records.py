"""Stored orders with fulfillments, written straight into the database for routing tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderflow.db.models import Fulfillment, Order, OrderItem, SubOrder
from orderflow.db.session import Database


def add_fulfillments(
    db: Database, hub_id: str, variant_id: str, vendor_id: str, created: list[datetime], **kw: Any
) -> str:
    """An order with one fulfillment per ``created`` instant at ``hub_id``; returns its id."""
    n = len(created)
    order_id = f"ord_{hub_id}_{created[0].timestamp():.0f}_{n}"
    with db.write() as session:
        session.add(
            Order(
                id=order_id,
                display_id=f"OF-{abs(hash(order_id)) % 10**8:08d}",
                customer_id="cus_alice",
                delivery_type="standard",
                shipping_address={"postalCode": "60606"},
                billing_address={"postalCode": "60606"},
                payment_method_id="pm_card_visa",
                consolidated_shipping=n == 1,
                delivery_fee_amount=599 * n,
                routing={"consolidated": n == 1, "hubIds": [hub_id], "reason": "test"},
            )
        )
        session.flush()
        session.add(
            SubOrder(
                id=f"so_{order_id}", order_id=order_id, vendor_id=vendor_id, vendor_type="brand"
            )
        )
        session.flush()
        for i, at in enumerate(created):
            fid = f"ful_{order_id}_{i}"
            session.add(
                Fulfillment(
                    id=fid,
                    order_id=order_id,
                    hub_id=hub_id,
                    created_at=at,
                    delivery_fee_amount=599,
                    cost_amount=2099,
                    distance_km=1.5,
                    routing={"hubId": hub_id, "score": 4.2, "breakdown": {"total": 4.2}},
                    **kw,
                )
            )
            session.flush()
            session.add(
                OrderItem(
                    id=f"item_{fid}",
                    order_id=order_id,
                    sub_order_id=f"so_{order_id}",
                    fulfillment_id=fid,
                    line_id=f"line_{i}",
                    variant_id=variant_id,
                    vendor_id=vendor_id,
                    vendor_type="brand",
                    hub_id=hub_id,
                    sku="SKU",
                    title="Product",
                    quantity=2,
                    unit_price_amount=1299,
                )
            )
    return order_id
