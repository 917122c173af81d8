"""Vendors, hubs and variants: idempotent upserts (admin) and the lookups other domains use."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderflow.catalog import repository
from orderflow.catalog.errors import (
    DuplicateSku,
    HubNotFound,
    UnknownVendor,
    VariantNotFound,
    VendorNotFound,
)
from orderflow.catalog.schemas import HubUpsert, VariantUpsert, VendorUpsert
from orderflow.db.models import Hub, Variant, Vendor
from orderflow.kit.money import percent_to_bps, to_cents
from orderflow.kit.pagination import DEFAULT_LIMIT, Cursor

Row = TypeVar("Row", Vendor, Hub, Variant)


@dataclass(frozen=True)
class Listing(Generic[Row]):
    items: list[Row]
    next_cursor: str | None


class CatalogService:
    # ------------------------------------------------------------ vendors

    def upsert_vendor(
        self, session: Session, vendor_id: str, *, data: VendorUpsert, now: datetime
    ) -> Vendor:
        vendor = session.get(Vendor, vendor_id) or Vendor(id=vendor_id, created_at=now)
        vendor.name = data.name
        vendor.type = data.type
        vendor.platform_fee_bps = (
            None if data.platform_fee_percent is None else percent_to_bps(data.platform_fee_percent)
        )
        vendor.stripe_account_id = data.stripe_account_id
        vendor.updated_at = now
        session.add(vendor)
        session.flush()
        return vendor

    def get_vendor(self, session: Session, vendor_id: str) -> Vendor:
        vendor = session.get(Vendor, vendor_id)
        if vendor is None:
            raise VendorNotFound(f"vendor {vendor_id} does not exist")
        return vendor

    def vendors_by_id(self, session: Session, vendor_ids: Collection[str]) -> dict[str, Vendor]:
        return repository.by_ids(session, Vendor, vendor_ids)

    def list_vendors(
        self, session: Session, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Listing[Vendor]:
        return _page(session, Vendor, limit=limit, cursor=cursor)

    # ------------------------------------------------------------ hubs

    def upsert_hub(self, session: Session, hub_id: str, *, data: HubUpsert, now: datetime) -> Hub:
        hub = session.get(Hub, hub_id) or Hub(id=hub_id, created_at=now)
        hub.name = data.name
        hub.lat = data.location.lat
        hub.lng = data.location.lng
        hub.address = data.address.model_dump(by_alias=True)
        hub.timezone = data.timezone
        hub.opening_hours = {day: list(hours) for day, hours in data.opening_hours.items()}
        hub.daily_capacity = data.daily_capacity
        hub.processing_minutes = data.processing_minutes
        hub.delivery_base_amount = to_cents(data.delivery_base_fee)
        hub.delivery_per_km_amount = to_cents(data.delivery_per_km_fee)
        hub.express_surcharge_amount = to_cents(data.express_surcharge)
        hub.service_radius_km = data.service_radius_km
        hub.express_cutoff = data.express_cutoff
        hub.webhook_url = None if data.webhook_url is None else str(data.webhook_url)
        if data.webhook_url is None:
            hub.webhook_secret = None
        elif data.webhook_secret is not None:
            # Write-only: a PUT without the secret keeps the one already set.
            hub.webhook_secret = data.webhook_secret
        hub.active = data.active
        hub.updated_at = now
        session.add(hub)
        session.flush()
        return hub

    def get_hub(self, session: Session, hub_id: str) -> Hub:
        hub = session.get(Hub, hub_id)
        if hub is None:
            raise HubNotFound(f"hub {hub_id} does not exist")
        return hub

    def hubs_by_id(self, session: Session, hub_ids: Collection[str]) -> dict[str, Hub]:
        return repository.by_ids(session, Hub, hub_ids)

    def active_hubs(self, session: Session) -> list[Hub]:
        return repository.active_hubs(session)

    def list_hubs(
        self, session: Session, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Listing[Hub]:
        return _page(session, Hub, limit=limit, cursor=cursor)

    # ------------------------------------------------------------ variants

    def upsert_variant(
        self, session: Session, variant_id: str, *, data: VariantUpsert, now: datetime
    ) -> Variant:
        if session.get(Vendor, data.vendor_id) is None:
            raise UnknownVendor(
                f"vendor {data.vendor_id} does not exist; create it with PUT /v1/vendors first",
                errors=[
                    {
                        "code": "unknown_vendor",
                        "message": f"vendor {data.vendor_id} does not exist",
                        "field": "vendorId",
                        "details": {"vendorId": data.vendor_id},
                    }
                ],
            )
        owner = repository.variant_id_for_sku(session, data.sku)
        if owner is not None and owner != variant_id:
            raise _duplicate_sku(data.sku, owner)
        variant = session.get(Variant, variant_id) or Variant(id=variant_id, created_at=now)
        variant.sku = data.sku
        variant.title = data.title
        variant.vendor_id = data.vendor_id
        variant.price_amount = to_cents(data.price)
        variant.age_restricted = data.age_restricted
        variant.minimum_age = data.minimum_age
        variant.category = data.category
        variant.active = data.active
        variant.updated_at = now
        session.add(variant)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            # Lost a race for the SKU with a concurrent writer.
            raise _duplicate_sku(data.sku, None) from exc
        return variant

    def get_variant(self, session: Session, variant_id: str) -> Variant:
        variant = session.get(Variant, variant_id)
        if variant is None:
            raise VariantNotFound(f"variant {variant_id} does not exist")
        return variant

    def variants_by_id(self, session: Session, variant_ids: Collection[str]) -> dict[str, Variant]:
        return repository.by_ids(session, Variant, variant_ids)

    def list_variants(
        self, session: Session, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Listing[Variant]:
        return _page(session, Variant, limit=limit, cursor=cursor)


def _page(session: Session, model: type[Row], *, limit: int, cursor: str | None) -> Listing[Row]:
    after = Cursor.decode(cursor).id if cursor else None
    rows = repository.page(session, model, after_id=after, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = Cursor(rows[-1].id, rows[-1].id).encode() if more else None
    return Listing(rows, next_cursor)


def _duplicate_sku(sku: str, owner: str | None) -> DuplicateSku:
    where = f"variant {owner}" if owner else "another variant"
    return DuplicateSku(
        f"SKU {sku} already belongs to {where}",
        errors=[
            {
                "code": "duplicate_sku",
                "message": f"SKU {sku} already belongs to {where}",
                "field": "sku",
                "details": {"sku": sku, "variantId": owner},
            }
        ],
    )


catalog_service = CatalogService()
