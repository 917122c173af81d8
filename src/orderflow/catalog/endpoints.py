"""HTTP endpoints of the catalog domain: vendors, hubs and variants (admin writes).

Reads are open to every authenticated role (front ends, vendor tools and hub apps all show
catalog data); hub webhook settings are shown to admins only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from orderflow.api.deps import Db
from orderflow.auth.dependencies import AdminPrincipal, AnyPrincipal
from orderflow.catalog.schemas import (
    HubOut,
    HubUpsert,
    VariantOut,
    VariantUpsert,
    VendorOut,
    VendorUpsert,
)
from orderflow.catalog.service import catalog_service
from orderflow.kit.clock import utcnow
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter()

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
VendorId = Annotated[str, Path(alias="vendorId", max_length=64, pattern=ID_PATTERN)]
HubId = Annotated[str, Path(alias="hubId", max_length=64, pattern=ID_PATTERN)]
VariantId = Annotated[str, Path(alias="variantId", max_length=64, pattern=ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
PageCursor = Annotated[
    str | None, Query(max_length=300, description="nextCursor of the previous page")
]


# ---------------------------------------------------------------- vendors


@router.put("/vendors/{vendorId}", response_model=VendorOut, summary="Create or replace a vendor")
def put_vendor(vendor_id: VendorId, body: VendorUpsert, _: AdminPrincipal, db: Db) -> VendorOut:
    vendor = db.run_write(
        lambda s: catalog_service.upsert_vendor(s, vendor_id, data=body, now=utcnow())
    )
    return VendorOut.of(vendor)


@router.get("/vendors/{vendorId}", response_model=VendorOut, summary="A vendor")
def get_vendor(vendor_id: VendorId, _: AnyPrincipal, db: Db) -> VendorOut:
    with db.read() as session:
        return VendorOut.of(catalog_service.get_vendor(session, vendor_id))


@router.get("/vendors", response_model=Page[VendorOut], summary="Vendors, by id")
def list_vendors(
    _: AnyPrincipal, db: Db, limit: Limit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> Page[VendorOut]:
    with db.read() as session:
        page = catalog_service.list_vendors(session, limit=limit, cursor=cursor)
        return Page[VendorOut](
            items=[VendorOut.of(v) for v in page.items], next_cursor=page.next_cursor
        )


# ---------------------------------------------------------------- hubs


@router.put("/hubs/{hubId}", response_model=HubOut, summary="Create or replace a hub")
def put_hub(hub_id: HubId, body: HubUpsert, _: AdminPrincipal, db: Db) -> HubOut:
    hub = db.run_write(lambda s: catalog_service.upsert_hub(s, hub_id, data=body, now=utcnow()))
    return HubOut.of(hub, admin=True)


@router.get("/hubs/{hubId}", response_model=HubOut, summary="A hub")
def get_hub(hub_id: HubId, principal: AnyPrincipal, db: Db) -> HubOut:
    with db.read() as session:
        return HubOut.of(catalog_service.get_hub(session, hub_id), admin=principal.is_admin)


@router.get("/hubs", response_model=Page[HubOut], summary="Hubs, by id")
def list_hubs(
    principal: AnyPrincipal, db: Db, limit: Limit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> Page[HubOut]:
    with db.read() as session:
        page = catalog_service.list_hubs(session, limit=limit, cursor=cursor)
        return Page[HubOut](
            items=[HubOut.of(h, admin=principal.is_admin) for h in page.items],
            next_cursor=page.next_cursor,
        )


# ---------------------------------------------------------------- variants


@router.put(
    "/variants/{variantId}", response_model=VariantOut, summary="Create or replace a variant"
)
def put_variant(
    variant_id: VariantId, body: VariantUpsert, _: AdminPrincipal, db: Db
) -> VariantOut:
    variant = db.run_write(
        lambda s: catalog_service.upsert_variant(s, variant_id, data=body, now=utcnow())
    )
    return VariantOut.of(variant)


@router.get("/variants/{variantId}", response_model=VariantOut, summary="A variant")
def get_variant(variant_id: VariantId, _: AnyPrincipal, db: Db) -> VariantOut:
    with db.read() as session:
        return VariantOut.of(catalog_service.get_variant(session, variant_id))


@router.get("/variants", response_model=Page[VariantOut], summary="Variants, by id")
def list_variants(
    _: AnyPrincipal, db: Db, limit: Limit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> Page[VariantOut]:
    with db.read() as session:
        page = catalog_service.list_variants(session, limit=limit, cursor=cursor)
        return Page[VariantOut](
            items=[VariantOut.of(v) for v in page.items], next_cursor=page.next_cursor
        )
