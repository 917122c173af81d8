"""The ``Order`` document: an order's rows as the API shows them, cut to what the caller may see."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from orderflow.auth.principal import Principal
from orderflow.kit.money import to_dollars
from orderflow.orders.repository import OrderBundle
from orderflow.orders.schemas import (
    FulfillmentOut,
    OrderItemOut,
    PaymentOut,
    PaymentSplitOut,
    SubOrderOut,
)
from orderflow.orders.schemas import Order as OrderDocument
from orderflow.orders.state import FulfillmentStatus, OrderStatus


def _dollars(cents: int) -> Decimal:
    return to_dollars(cents)


def order_document(bundle: OrderBundle, principal: Principal) -> OrderDocument:
    """The Order document, cut down to what ``principal`` may see (api.md 'Auth')."""
    order = bundle.order
    items, sub_orders, fulfillments = bundle.items, bundle.sub_orders, bundle.fulfillments
    if principal.role == "vendor":
        sub_orders = [s for s in sub_orders if s.vendor_id == principal.vendor_id]
        keep = {s.id for s in sub_orders}
        items = [i for i in items if i.sub_order_id in keep]
        shipped = {i.fulfillment_id for i in items}
        fulfillments = [f for f in fulfillments if f.id in shipped]
    elif principal.role in ("hub", "courier"):
        if principal.role == "hub":
            fulfillments = [f for f in fulfillments if f.hub_id == principal.hub_id]
        else:
            fulfillments = [f for f in fulfillments if f.courier_id == principal.sub]
        keep = {f.id for f in fulfillments}
        items = [i for i in items if i.fulfillment_id in keep]
        subs = {i.sub_order_id for i in items}
        sub_orders = [s for s in sub_orders if s.id in subs]
    item_ids_by_sub: dict[str, list[str]] = defaultdict(list)
    item_ids_by_fulfillment: dict[str, list[str]] = defaultdict(list)
    for item in items:
        item_ids_by_sub[item.sub_order_id].append(item.id)
        if item.fulfillment_id:
            item_ids_by_fulfillment[item.fulfillment_id].append(item.id)
    payment = bundle.payment
    return OrderDocument(
        id=order.id,
        display_id=order.display_id,
        customer_id=order.customer_id,
        status=OrderStatus(order.status),
        fulfillment_status=FulfillmentStatus(order.fulfillment_status),
        delivery_type=order.delivery_type,  # type: ignore[arg-type]
        scheduled_delivery=order.scheduled_delivery_at,
        shipping_address=order.shipping_address,
        billing_address=order.billing_address,
        notes=order.notes,
        age_verified=order.age_verified,
        items=[
            OrderItemOut(
                id=i.id,
                line_id=i.line_id,
                variant_id=i.variant_id,
                sku=i.sku,
                title=i.title,
                quantity=i.quantity,
                price=_dollars(i.unit_price_amount),
                vendor_id=i.vendor_id,
                vendor_type=i.vendor_type,  # type: ignore[arg-type]
                sub_order_id=i.sub_order_id,
                fulfillment_id=i.fulfillment_id,
                hub_id=i.hub_id,
                age_restricted=i.age_restricted,
                returned_quantity=i.returned_quantity,
                status=i.status,
            )
            for i in items
        ],
        sub_orders=[
            SubOrderOut(
                id=s.id,
                parent_order_id=s.order_id,
                vendor_id=s.vendor_id,
                vendor_type=s.vendor_type,  # type: ignore[arg-type]
                item_ids=item_ids_by_sub[s.id],
                fulfillment_id=s.fulfillment_id,
                status=s.status,
                subtotal=_dollars(s.subtotal_amount),
                fee_bps=s.fee_bps,
                platform_fee=_dollars(s.platform_fee_amount),
                vendor_payout=_dollars(s.vendor_payout_amount),
                delivery_fee_share=_dollars(s.delivery_fee_share_amount),
                refunded_amount=_dollars(s.refunded_amount),
            )
            for s in sub_orders
        ],
        fulfillments=[
            FulfillmentOut(
                id=f.id,
                hub_id=f.hub_id,
                item_ids=item_ids_by_fulfillment[f.id],
                status=f.status,
                priority=f.priority,
                promised_at=f.promised_at,
                estimated_delivery=f.estimated_delivery_at,
                delivery_fee=_dollars(f.delivery_fee_amount),
                distance_km=f.distance_km,
                routing=f.routing,
                courier_id=f.courier_id,
            )
            for f in fulfillments
        ],
        consolidated_shipping=order.consolidated_shipping,
        subtotal=_dollars(order.subtotal_amount),
        delivery_fee=_dollars(order.delivery_fee_amount),
        total=_dollars(order.total_amount),
        refunded_amount=_dollars(order.refunded_amount),
        currency=order.currency,
        estimated_delivery=order.estimated_delivery_at,
        payment=PaymentOut(
            status=order.payment_status,
            payment_intent_id=payment.payment_intent_id if payment else None,
            splits=[
                PaymentSplitOut(
                    sub_order_id=s.id,
                    vendor_id=s.vendor_id,
                    vendor_type=s.vendor_type,  # type: ignore[arg-type]
                    subtotal=_dollars(s.subtotal_amount),
                    platform_fee=_dollars(s.platform_fee_amount),
                    delivery_fee_share=_dollars(s.delivery_fee_share_amount),
                    vendor_payout=_dollars(s.vendor_payout_amount),
                )
                for s in sub_orders
            ],
        ),
        cancel_reason=order.cancel_reason,
        version=order.version,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )
