"""The order aggregate: orders, per-vendor sub-orders, items and the version history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_created", "customer_id", "created_at", "id"),
        Index("ix_orders_status_updated", "status", "updated_at"),
        Index("ix_orders_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_id: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    # OrderStatus (orders/state.py) and FulfillmentStatus (derived from the fulfillments)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    fulfillment_status: Mapped[str] = mapped_column(String(24), default="not_fulfilled")
    delivery_type: Mapped[str] = mapped_column(String(16))
    scheduled_delivery_at: Mapped[datetime | None]
    shipping_address: Mapped[dict[str, Any]]
    billing_address: Mapped[dict[str, Any]]
    notes: Mapped[str | None] = mapped_column(Text)
    age_verified: Mapped[bool] = mapped_column(default=False)
    payment_method_id: Mapped[str] = mapped_column(String(128))
    consolidated_shipping: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subtotal_amount: Mapped[int] = mapped_column(default=0)
    delivery_fee_amount: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[int] = mapped_column(default=0)
    # Sum of refunds that have succeeded; total_amount - refunded_amount is what the customer paid.
    refunded_amount: Mapped[int] = mapped_column(default=0)
    estimated_delivery_at: Mapped[datetime | None]
    # pending | requires_action | authorized | captured | partially_refunded | refunded | failed
    # | voided
    payment_status: Mapped[str] = mapped_column(String(24), default="pending")
    # The pipeline step the order waits on (validate | pay | fulfil | done); the reconciler
    # re-enqueues orders stuck in a step for longer than a setting.
    pipeline_step: Mapped[str] = mapped_column(String(16), default="pay")
    pipeline_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Allocates tracking-event sequence numbers: UPDATE ... SET event_sequence = event_sequence+1
    event_sequence: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    routing: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SubOrder(Base):
    """One vendor's share of an order; its money stays separate even when shipping is shared."""

    __tablename__ = "sub_orders"
    __table_args__ = (
        UniqueConstraint("order_id", "vendor_id"),
        Index("ix_sub_orders_vendor_created", "vendor_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    vendor_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    # The fulfillment that ships most of this sub-order (seed SubOrder.fulfillmentId).
    fulfillment_id: Mapped[str | None] = mapped_column(String(40))
    subtotal_amount: Mapped[int] = mapped_column(default=0)
    fee_bps: Mapped[int] = mapped_column(default=0)
    platform_fee_amount: Mapped[int] = mapped_column(default=0)
    delivery_fee_share_amount: Mapped[int] = mapped_column(default=0)
    vendor_payout_amount: Mapped[int] = mapped_column(default=0)
    refunded_amount: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderItem(Base):
    """One line at one hub. A line split across hubs becomes several items sharing ``line_id``."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("returned_quantity >= 0", name="returned_non_negative"),
        CheckConstraint("returned_quantity <= quantity", name="returned_within_quantity"),
        Index("ix_order_items_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    sub_order_id: Mapped[str] = mapped_column(ForeignKey("sub_orders.id"), index=True)
    fulfillment_id: Mapped[str | None] = mapped_column(ForeignKey("fulfillments.id"), index=True)
    line_id: Mapped[str] = mapped_column(String(40))
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    vendor_type: Mapped[str] = mapped_column(String(16))
    hub_id: Mapped[str | None] = mapped_column(ForeignKey("hubs.id"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    age_restricted: Mapped[bool] = mapped_column(default=False)
    quantity: Mapped[int]
    unit_price_amount: Mapped[int]
    returned_quantity: Mapped[int] = mapped_column(default=0)
    # active | cancelled (removed by a modification or a sub-order cancel)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderVersion(Base):
    """A confirmed change set: what changed, the money it moved, and the order after it."""

    __tablename__ = "order_versions"
    __table_args__ = (UniqueConstraint("order_id", "version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    version: Mapped[int]
    modifications: Mapped[list[dict[str, Any]]]
    adjustments: Mapped[list[dict[str, Any]]]
    snapshot: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
