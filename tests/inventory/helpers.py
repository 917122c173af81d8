"""Orders just rich enough to hold stock for: an order, one sub-order, items, fulfillments."""

from __future__ import annotations

from dataclasses import dataclass, field

from orderflow.db.models import Fulfillment, Order, OrderItem, SubOrder
from orderflow.db.session import Database
from orderflow.inventory.service import Hold
from orderflow.kit.ids import new_display_id, new_id
from tests.factories import address


@dataclass
class PlacedLines:
    order_id: str
    # (hub_id, variant_id, quantity) -> the order item and fulfillment holding it
    holds: list[Hold] = field(default_factory=list)
    fulfillment_by_hub: dict[str, str] = field(default_factory=dict)


def create_order_lines(
    db: Database, *, vendor_id: str, lines: list[tuple[str, str, int]]
) -> PlacedLines:
    """An order whose items are ``lines`` of (hub_id, variant_id, quantity), one fulfillment
    per hub; returns the holds that would reserve them."""
    order_id = new_id("ord")
    placed = PlacedLines(order_id)
    with db.write() as session:
        session.add(
            Order(
                id=order_id,
                display_id=new_display_id(),
                customer_id="cus_stock",
                delivery_type="standard",
                shipping_address=address(),
                billing_address=address(),
                payment_method_id="pm_card_visa",
            )
        )
        sub_order_id = new_id("sub")
        session.add(
            SubOrder(id=sub_order_id, order_id=order_id, vendor_id=vendor_id, vendor_type="brand")
        )
        session.flush()
        for hub_id in sorted({hub for hub, _, _ in lines}):
            fulfillment_id = new_id("ful")
            session.add(Fulfillment(id=fulfillment_id, order_id=order_id, hub_id=hub_id))
            placed.fulfillment_by_hub[hub_id] = fulfillment_id
        session.flush()
        for hub_id, variant_id, quantity in lines:
            item_id = new_id("itm")
            session.add(
                OrderItem(
                    id=item_id,
                    order_id=order_id,
                    sub_order_id=sub_order_id,
                    fulfillment_id=placed.fulfillment_by_hub[hub_id],
                    line_id=item_id,
                    variant_id=variant_id,
                    vendor_id=vendor_id,
                    vendor_type="brand",
                    hub_id=hub_id,
                    sku=variant_id,
                    title=variant_id,
                    quantity=quantity,
                    unit_price_amount=1000,
                )
            )
            placed.holds.append(
                Hold(
                    order_id=order_id,
                    order_item_id=item_id,
                    fulfillment_id=placed.fulfillment_by_hub[hub_id],
                    hub_id=hub_id,
                    variant_id=variant_id,
                    quantity=quantity,
                )
            )
    return placed
