"""GET /v1/orders/{orderId}/routing: why an order ships from where it does (admin only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from orderflow.db.session import Database
from tests.conftest import ClientFactory
from tests.factories import create_hub, create_variant, create_vendor, set_stock
from tests.orders.factories import line, order_payload, place_order
from tests.routing.records import add_fulfillments

CREATED = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def stored_order(db: Database) -> tuple[str, str]:
    vendor = create_vendor(db)
    variant = create_variant(db, vendor_id=vendor.id)
    hub = create_hub(db, name="West Loop")
    return add_fulfillments(db, hub.id, variant.id, vendor.id, [CREATED, CREATED]), hub.id


class TestOrderRouting:
    def test_an_admin_sees_the_stored_decision_and_each_shipment(
        self, db: Database, admin: TestClient
    ) -> None:
        order_id, hub_id = stored_order(db)
        response = admin.get(f"/v1/orders/{order_id}/routing")
        assert response.status_code == 200
        body = response.json()
        assert body["orderId"] == order_id
        assert body["consolidatedShipping"] is False
        assert body["deliveryFee"] == 11.98
        assert body["decision"] == {"consolidated": False, "hubIds": [hub_id], "reason": "test"}
        assert len(body["fulfillments"]) == 2
        first = body["fulfillments"][0]
        assert first["hubId"] == hub_id and first["hubName"] == "West Loop"
        assert first["deliveryFee"] == 5.99 and first["cost"] == 20.99
        assert first["distanceKm"] == 1.5
        assert first["routing"]["breakdown"] == {"total": 4.2}
        assert [i["quantity"] for i in first["items"]] == [2]

    def test_a_customer_is_forbidden(self, db: Database, customer: TestClient) -> None:
        order_id, _ = stored_order(db)
        response = customer.get(f"/v1/orders/{order_id}/routing")
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_a_hub_is_forbidden_even_for_its_own_order(
        self, db: Database, client_for: ClientFactory
    ) -> None:
        order_id, hub_id = stored_order(db)
        hub = client_for("hub", "hub-user", hub_id=hub_id)
        assert hub.get(f"/v1/orders/{order_id}/routing").status_code == 403

    def test_without_a_token_it_is_unauthorized(self, db: Database, anonymous: TestClient) -> None:
        assert anonymous.get("/v1/orders/ord_x/routing").status_code == 401

    def test_an_unknown_order_is_a_404_problem(self, admin: TestClient) -> None:
        response = admin.get("/v1/orders/ord_does_not_exist/routing")
        assert response.status_code == 404
        assert response.json()["status"] == 404


class TestPlacedOrderRouting:
    def test_a_split_order_shows_both_hubs_their_items_and_the_alternatives(
        self, db: Database, admin: TestClient
    ) -> None:
        brand = create_vendor(db)
        distributor = create_vendor(db, type="distributor")
        beer = create_variant(db, vendor_id=brand.id)
        wine = create_variant(db, vendor_id=distributor.id)
        loop = create_hub(db)
        north = create_hub(db, lat=41.94, lng=-87.65)
        empty = create_hub(db, lat=41.80, lng=-87.62)
        set_stock(db, loop.id, beer.id, 10)
        set_stock(db, north.id, wine.id, 10)
        payload = order_payload(line(beer, 2), line(wine, 1, vendor_type="distributor"))
        order = place_order(admin, payload)

        body = admin.get(f"/v1/orders/{order['id']}/routing").json()

        assert body["consolidatedShipping"] is False
        assert sorted(body["decision"]["hubIds"]) == sorted([loop.id, north.id])
        by_hub = {f["hubId"]: f for f in body["fulfillments"]}
        assert [i["variantId"] for i in by_hub[loop.id]["items"]] == [beer.id]
        assert [i["variantId"] for i in by_hub[north.id]["items"]] == [wine.id]
        assert by_hub[north.id]["routing"]["breakdown"]["total"] > 0
        assert body["deliveryFee"] == pytest.approx(
            sum(f["deliveryFee"] for f in body["fulfillments"])
        )
        reasons = {a["hubId"]: a["reasons"] for a in body["decision"]["alternatives"]}
        assert reasons[empty.id] == ["no_stock"]
