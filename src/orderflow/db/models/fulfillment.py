"""Fulfillments: one shipment from one hub, driven by the hub and a courier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class Fulfillment(Base):
    __tablename__ = "fulfillments"
    __table_args__ = (
        Index("ix_fulfillments_hub_queue", "hub_id", "status", "priority_rank", "promised_at"),
        Index("ix_fulfillments_order", "order_id"),
        Index("ix_fulfillments_courier", "courier_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id"))
    # fulfillment/state.py: pending -> processing -> packed -> picked_up -> in_transit
    # -> out_for_delivery -> delivered; cancelled; returned_to_hub; returned
    status: Mapped[str] = mapped_column(String(24), default="pending")
    priority: Mapped[str] = mapped_column(String(8), default="normal")  # high | medium | normal
    priority_rank: Mapped[int] = mapped_column(default=2)  # 0 high, 1 medium, 2 normal
    promised_at: Mapped[datetime | None]
    estimated_processing_minutes: Mapped[int] = mapped_column(default=0)
    estimated_delivery_at: Mapped[datetime | None]
    delivery_fee_amount: Mapped[int] = mapped_column(default=0)
    cost_amount: Mapped[int] = mapped_column(default=0)
    distance_km: Mapped[float] = mapped_column(default=0.0)
    # Why this hub: score breakdown and the alternatives considered.
    routing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    courier_id: Mapped[str | None] = mapped_column(String(128))
    courier_lat: Mapped[float | None]
    courier_lng: Mapped[float | None]
    location_at: Mapped[datetime | None]
    stock_consumed: Mapped[bool] = mapped_column(default=False)
    id_verified: Mapped[bool | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    hub_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
