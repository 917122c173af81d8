"""Factories: rows built straight into the database, with overridable defaults.

``create_vendor(db, type="distributor")``, ``create_hub(db, lat=..., lng=...)``,
``create_variant(db, vendor_id=...)``, ``set_stock(db, hub_id, variant_id, 10)``.
Addresses near the default hub (downtown Chicago) are serviceable.
"""

from __future__ import annotations

import itertools
from typing import Any

from orderflow.db.models import Hub, StockLevel, Variant, Vendor
from orderflow.db.session import Database

_seq = itertools.count(1)

CHICAGO = (41.8781, -87.6298)
ALL_WEEK = {d: ["00:00", "23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def address(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "Alice Doe",
        "line1": "233 S Wacker Dr",
        "line2": None,
        "city": "Chicago",
        "state": "IL",
        "postalCode": "60606",
        "country": "US",
        "phone": "+13125550100",
        "lat": 41.8789,
        "lng": -87.6359,
    }
    base.update(overrides)
    return base


def create_vendor(db: Database, **overrides: Any) -> Vendor:
    n = next(_seq)
    values: dict[str, Any] = {
        "id": f"ven_{n}",
        "name": f"Vendor {n}",
        "type": "brand",
        "platform_fee_bps": None,
        "stripe_account_id": f"acct_test{n}",
    }
    values.update(overrides)
    with db.write() as session:
        vendor = Vendor(**values)
        session.add(vendor)
    return vendor


def create_hub(db: Database, **overrides: Any) -> Hub:
    n = next(_seq)
    values: dict[str, Any] = {
        "id": f"hub_{n}",
        "name": f"Hub {n}",
        "lat": CHICAGO[0],
        "lng": CHICAGO[1],
        "address": {
            "line1": f"{n} Main St",
            "city": "Chicago",
            "state": "IL",
            "postalCode": "60601",
            "country": "US",
        },
        "timezone": "America/Chicago",
        "opening_hours": ALL_WEEK,
        "daily_capacity": 500,
        "processing_minutes": 30,
        "delivery_base_amount": 499,
        "delivery_per_km_amount": 50,
        "express_surcharge_amount": 500,
        "service_radius_km": 40.0,
        "express_cutoff": "23:59",
    }
    values.update(overrides)
    with db.write() as session:
        hub = Hub(**values)
        session.add(hub)
    return hub


def create_variant(db: Database, *, vendor_id: str, **overrides: Any) -> Variant:
    n = next(_seq)
    values: dict[str, Any] = {
        "id": f"var_{n}",
        "sku": f"SKU-{n}",
        "title": f"Product {n}",
        "vendor_id": vendor_id,
        "price_amount": 1299,
        "age_restricted": True,
        "minimum_age": 21,
        "category": "beer",
    }
    values.update(overrides)
    with db.write() as session:
        variant = Variant(**values)
        session.add(variant)
    return variant


def set_stock(db: Database, hub_id: str, variant_id: str, on_hand: int, reserved: int = 0) -> None:
    with db.write() as session:
        level = session.get(StockLevel, (hub_id, variant_id))
        if level is None:
            session.add(
                StockLevel(hub_id=hub_id, variant_id=variant_id, on_hand=on_hand, reserved=reserved)
            )
        else:
            level.on_hand = on_hand
            level.reserved = reserved


def get_stock(db: Database, hub_id: str, variant_id: str) -> tuple[int, int]:
    """(on_hand, reserved)"""
    with db.read() as session:
        level = session.get(StockLevel, (hub_id, variant_id))
        assert level is not None
        return level.on_hand, level.reserved
