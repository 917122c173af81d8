"""Orders for payment tests, inserted directly (split by payments.splits, stock held).

``create_order(db, lines=[(vendor, unit_price, qty), ...], delivery_fee=599)`` builds a pending
order at pipeline step ``pay`` with one sub-order per vendor and its stock reserved at one hub.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from orderflow.db.models import Order, OrderItem, SubOrder, Vendor
from orderflow.db.session import Database
from orderflow.inventory.service import Hold, inventory_service
from orderflow.kit.clock import utcnow
from orderflow.payments.splits import SplitInput, compute_splits, fee_bps_for
from tests.factories import address, create_hub, create_variant, create_vendor, set_stock

_seq = itertools.count(1)


@dataclass
class PlacedOrder:
    id: str
    total_amount: int
    hub_id: str
    variant_ids: list[str]
    sub_order_ids: dict[str, str]  # vendor id -> sub-order id


def brand_and_distributor(db: Database) -> tuple[Vendor, Vendor]:
    return create_vendor(db, type="brand"), create_vendor(db, type="distributor")


def create_order(
    db: Database,
    *,
    lines: list[tuple[Vendor, int, int]],
    delivery_fee: int = 599,
    payment_method_id: str = "pm_card_visa",
    customer_id: str = "cus_alice",
    stock: int = 10,
) -> PlacedOrder:
    hub = create_hub(db)
    n = next(_seq)
    order_id = f"ord_pay{n:05d}"
    now = utcnow()
    variants = []
    for vendor, price, _ in lines:
        variant = create_variant(db, vendor_id=vendor.id, price_amount=price)
        set_stock(db, hub.id, variant.id, stock)
        variants.append(variant)
    by_vendor: dict[str, int] = {}
    for (vendor, price, qty), _ in zip(lines, variants, strict=True):
        by_vendor[vendor.id] = by_vendor.get(vendor.id, 0) + price * qty
    vendors = {v.id: v for v, _, _ in lines}
    sub_ids = {vid: f"so_{order_id}_{i}" for i, vid in enumerate(by_vendor)}
    splits = compute_splits(
        [
            SplitInput(
                sub_ids[vid],
                vid,
                vendors[vid].type,
                subtotal,
                fee_bps_for(
                    vendors[vid].type,
                    vendors[vid].platform_fee_bps,
                    brand_bps=1500,
                    distributor_bps=800,
                ),
            )
            for vid, subtotal in by_vendor.items()
        ],
        delivery_fee_amount=delivery_fee,
    )
    subtotal = sum(by_vendor.values())
    with db.write() as session:
        session.add(
            Order(
                id=order_id,
                display_id=f"PAY{n:05d}",
                customer_id=customer_id,
                status="pending",
                delivery_type="standard",
                shipping_address=address(),
                billing_address=address(),
                payment_method_id=payment_method_id,
                currency="USD",
                subtotal_amount=subtotal,
                delivery_fee_amount=delivery_fee,
                total_amount=subtotal + delivery_fee,
                pipeline_step="pay",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        for split in splits:
            session.add(
                SubOrder(
                    id=split.sub_order_id,
                    order_id=order_id,
                    vendor_id=split.vendor_id,
                    vendor_type=split.vendor_type,
                    subtotal_amount=split.subtotal_amount,
                    fee_bps=split.fee_bps,
                    platform_fee_amount=split.platform_fee_amount,
                    delivery_fee_share_amount=split.delivery_fee_share_amount,
                    vendor_payout_amount=split.vendor_payout_amount,
                )
            )
        session.flush()
        holds = []
        for i, ((vendor, price, qty), variant) in enumerate(zip(lines, variants, strict=True)):
            item_id = f"item_{order_id}_{i}"
            session.add(
                OrderItem(
                    id=item_id,
                    order_id=order_id,
                    sub_order_id=sub_ids[vendor.id],
                    line_id=f"line_{order_id}_{i}",
                    variant_id=variant.id,
                    vendor_id=vendor.id,
                    vendor_type=vendor.type,
                    hub_id=hub.id,
                    sku=variant.sku,
                    title=variant.title,
                    quantity=qty,
                    unit_price_amount=price,
                )
            )
            holds.append(Hold(order_id, item_id, None, hub.id, variant.id, qty))
        session.flush()
        inventory_service.hold(session, holds, now=now)
    return PlacedOrder(
        id=order_id,
        total_amount=subtotal + delivery_fee,
        hub_id=hub.id,
        variant_ids=[v.id for v in variants],
        sub_order_ids=sub_ids,
    )
