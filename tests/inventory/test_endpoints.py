"""PUT/GET /v1/inventory/{hubId}/{variantId}: on-hand set by admins, reserved beside it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from orderflow.db.session import Database
from tests.conftest import ClientFactory
from tests.factories import create_hub, create_variant, create_vendor, get_stock, set_stock


@pytest.fixture
def stock_row(db: Database) -> tuple[str, str]:
    hub = create_hub(db).id
    variant = create_variant(db, vendor_id=create_vendor(db).id).id
    return hub, variant


class TestSetOnHand:
    def test_put_sets_on_hand_and_reports_reserved_and_available(
        self, admin: TestClient, db: Database, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row
        set_stock(db, hub, variant, 10, reserved=3)

        response = admin.put(f"/v1/inventory/{hub}/{variant}", json={"quantity": 25})

        assert response.status_code == 200
        assert response.json() == {
            "hubId": hub,
            "variantId": variant,
            "onHand": 25,
            "reserved": 3,
            "available": 22,
        }

    def test_put_creates_the_stock_row_and_is_idempotent(
        self, admin: TestClient, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row

        first = admin.put(f"/v1/inventory/{hub}/{variant}", json={"quantity": 5})
        second = admin.put(f"/v1/inventory/{hub}/{variant}", json={"quantity": 5})

        assert first.json() == second.json() == admin.get(f"/v1/inventory/{hub}/{variant}").json()
        assert second.json()["onHand"] == 5

    def test_counting_below_the_reserved_units_is_a_409_and_changes_nothing(
        self, admin: TestClient, db: Database, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row
        set_stock(db, hub, variant, 10, reserved=4)

        response = admin.put(f"/v1/inventory/{hub}/{variant}", json={"quantity": 3})

        assert response.status_code == 409
        assert response.json()["code"] == "stock_below_reserved"
        assert get_stock(db, hub, variant) == (10, 4)

    @pytest.mark.parametrize("body", [{"quantity": -1}, {"quantity": 1.5}, {}, {"qty": 3}])
    def test_bad_quantities_are_422(
        self, admin: TestClient, stock_row: tuple[str, str], body: dict[str, object]
    ) -> None:
        hub, variant = stock_row

        assert admin.put(f"/v1/inventory/{hub}/{variant}", json=body).status_code == 422

    def test_an_unknown_hub_or_variant_is_404(
        self, admin: TestClient, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row

        assert admin.put(f"/v1/inventory/hub_x/{variant}", json={"quantity": 1}).status_code == 404
        assert admin.put(f"/v1/inventory/{hub}/var_x", json={"quantity": 1}).status_code == 404

    def test_only_admins_set_stock(
        self, client_for: ClientFactory, anonymous: TestClient, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row
        url = f"/v1/inventory/{hub}/{variant}"

        assert client_for("hub", "h", hub_id=hub).put(url, json={"quantity": 1}).status_code == 403
        assert (
            client_for("vendor", "v", vendor_id="ven").put(url, json={"quantity": 1}).status_code
            == 403
        )
        assert anonymous.put(url, json={"quantity": 1}).status_code == 401


class TestReadStock:
    def test_a_hub_reads_its_own_stock(
        self, client_for: ClientFactory, db: Database, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row
        set_stock(db, hub, variant, 8, reserved=2)

        response = client_for("hub", "h", hub_id=hub).get(f"/v1/inventory/{hub}/{variant}")

        assert response.json()["available"] == 6

    def test_a_hub_may_not_read_another_hubs_stock(
        self, client_for: ClientFactory, db: Database, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row
        set_stock(db, hub, variant, 8)

        response = client_for("hub", "h", hub_id="hub_other").get(f"/v1/inventory/{hub}/{variant}")

        assert response.status_code == 403

    def test_customers_may_not_read_stock_counts(
        self, customer: TestClient, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row

        assert customer.get(f"/v1/inventory/{hub}/{variant}").status_code == 403

    def test_stock_never_recorded_is_404(
        self, admin: TestClient, stock_row: tuple[str, str]
    ) -> None:
        hub, variant = stock_row

        response = admin.get(f"/v1/inventory/{hub}/{variant}")

        assert response.status_code == 404
        assert response.json()["code"] == "stock_level_not_found"
