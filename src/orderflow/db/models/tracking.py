"""Tracking events (per-order sequence), analytics records and customer notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("order_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    sequence: Mapped[int]
    event: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fulfillment_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnalyticsRecord(Base):
    """One row per tracking event, denormalised for reporting (seed ``logAnalyticsEvent``)."""

    __tablename__ = "analytics_records"
    __table_args__ = (
        Index("ix_analytics_records_occurred", "occurred_at"),
        Index("ix_analytics_records_order", "order_id"),
        UniqueConstraint("order_id", "sequence"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int]
    event: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(128))
    order_status: Mapped[str] = mapped_column(String(24))
    delivery_type: Mapped[str] = mapped_column(String(16))
    vendor_ids: Mapped[list[str]]
    hub_ids: Mapped[list[str]]
    total_amount: Mapped[int] = mapped_column(default=0)
    seconds_since_placed: Mapped[float] = mapped_column(default=0.0)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationTarget(Base):
    """Where and how a customer wants to hear about its orders."""

    __tablename__ = "notification_targets"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    email_enabled: Mapped[bool] = mapped_column(default=True)
    webhook_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    """One message to one recipient (customer e-mail / webhook, hub webhook) and its delivery."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_notifications_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    order_id: Mapped[str | None] = mapped_column(String(40))
    recipient_kind: Mapped[str] = mapped_column(String(16))  # customer | hub
    recipient_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    event: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[dict[str, Any]]
    # pending | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
