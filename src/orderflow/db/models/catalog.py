"""Vendors, fulfillment hubs and sellable variants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (CheckConstraint("type IN ('brand', 'distributor')", name="type"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    # Platform fee override in basis points (1500 = 15 %); NULL = the default for the type.
    platform_fee_bps: Mapped[int | None]
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Hub(Base):
    """A fulfillment hub. Opening hours, capacity, cost and reach drive routing."""

    __tablename__ = "hubs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float]
    lng: Mapped[float]
    address: Mapped[dict[str, Any]]
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    # {"mon": ["09:00", "21:00"], ...}; a missing day is closed.
    opening_hours: Mapped[dict[str, Any]]
    daily_capacity: Mapped[int] = mapped_column(default=500)
    processing_minutes: Mapped[int] = mapped_column(default=45)
    delivery_base_amount: Mapped[int] = mapped_column(default=499)
    delivery_per_km_amount: Mapped[int] = mapped_column(default=50)
    express_surcharge_amount: Mapped[int] = mapped_column(default=500)
    service_radius_km: Mapped[float] = mapped_column(default=40.0)
    # Latest local time at which an express order can still be dispatched today ("HH:MM").
    express_cutoff: Mapped[str] = mapped_column(String(5), default="20:00")
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Variant(Base):
    __tablename__ = "variants"
    __table_args__ = (CheckConstraint("price_amount >= 0", name="price_non_negative"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"), index=True)
    price_amount: Mapped[int]
    age_restricted: Mapped[bool] = mapped_column(default=True)
    minimum_age: Mapped[int] = mapped_column(default=21)
    category: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
