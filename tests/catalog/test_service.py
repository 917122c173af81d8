"""catalog_service lookups other domains rely on."""

from __future__ import annotations

import pytest

from orderflow.catalog.errors import HubNotFound, VariantNotFound, VendorNotFound
from orderflow.catalog.service import catalog_service
from orderflow.db.session import Database
from tests.factories import create_hub, create_variant, create_vendor


class TestLookups:
    def test_by_id_maps_return_only_the_rows_that_exist(self, db: Database) -> None:
        vendor = create_vendor(db)
        variant = create_variant(db, vendor_id=vendor.id)
        hub = create_hub(db)

        with db.read() as session:
            vendors = catalog_service.vendors_by_id(session, [vendor.id, "ven_missing"])
            variants = catalog_service.variants_by_id(session, [variant.id, "var_missing"])
            hubs = catalog_service.hubs_by_id(session, [hub.id])
            assert catalog_service.variants_by_id(session, []) == {}

            assert list(vendors) == [vendor.id]
            assert list(variants) == [variant.id]
            assert hubs[hub.id].name == hub.name

    def test_active_hubs_leave_out_the_closed_ones(self, db: Database) -> None:
        open_hub = create_hub(db)
        create_hub(db, active=False)

        with db.read() as session:
            assert [h.id for h in catalog_service.active_hubs(session)] == [open_hub.id]

    def test_missing_rows_raise_their_own_not_found(self, db: Database) -> None:
        with db.read() as session:
            with pytest.raises(VendorNotFound):
                catalog_service.get_vendor(session, "ven_missing")
            with pytest.raises(HubNotFound):
                catalog_service.get_hub(session, "hub_missing")
            with pytest.raises(VariantNotFound):
                catalog_service.get_variant(session, "var_missing")
