"""Placing and reading orders over HTTP (POST /v1/orders, /validate, GET, list, events)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from orderflow.db.models import Fulfillment, OutboxMessage
from orderflow.db.models import Order as OrderRow
from orderflow.db.session import Database
from tests.conftest import ClientFactory
from tests.factories import create_hub, create_variant, get_stock, set_stock
from tests.orders.factories import Marketplace, line, marketplace, order_payload, place_order


@pytest.fixture
def shop(db: Database) -> Marketplace:
    return marketplace(db)


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def count_orders(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)


class TestPlacingATwoVendorOrder:
    def test_it_is_pending_with_one_sub_order_per_vendor(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        assert order["status"] == "pending"
        assert order["fulfillmentStatus"] == "not_fulfilled"
        assert order["displayId"].startswith("OF-")
        assert order["customerId"] == "cus_alice"
        assert {s["vendorId"]: s["vendorType"] for s in order["subOrders"]} == {
            shop.brand.id: "brand",
            shop.distributor.id: "distributor",
        }
        subs = {s["id"]: s for s in order["subOrders"]}
        for item in order["items"]:
            assert subs[item["subOrderId"]]["vendorId"] == item["vendorId"]
            assert item["id"] in subs[item["subOrderId"]]["itemIds"]
        (fulfillment,) = order["fulfillments"]
        assert fulfillment["hubId"] == shop.hub.id
        assert sorted(fulfillment["itemIds"]) == sorted(i["id"] for i in order["items"])
        assert fulfillment["priority"] == "normal"
        assert order["consolidatedShipping"] is True

    def test_totals_and_splits_add_up_to_the_cent(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines(beer=2, wine=1)))
        assert money(order["subtotal"]) == Decimal("50.48")
        assert money(order["total"]) == money(order["subtotal"]) + money(order["deliveryFee"])
        assert money(order["deliveryFee"]) > 0
        by_vendor = {s["vendorId"]: s for s in order["subOrders"]}
        brand, distributor = by_vendor[shop.brand.id], by_vendor[shop.distributor.id]
        assert money(brand["subtotal"]) == Decimal("25.98")
        assert money(brand["platformFee"]) == Decimal("3.90")  # 15 %, half-up
        assert money(brand["vendorPayout"]) == Decimal("22.08")
        assert money(distributor["platformFee"]) == Decimal("1.96")  # 8 %
        assert money(distributor["vendorPayout"]) == Decimal("22.54")
        shares = sum(money(s["deliveryFeeShare"]) for s in order["subOrders"])
        assert shares == money(order["deliveryFee"])
        paid_out = sum(
            money(s["vendorPayout"]) + money(s["platformFee"]) + money(s["deliveryFeeShare"])
            for s in order["subOrders"]
        )
        assert paid_out == money(order["total"])
        assert len(order["payment"]["splits"]) == 2
        assert order["payment"]["status"] == "pending"

    def test_stock_is_reserved_and_on_hand_is_untouched(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        place_order(customer, order_payload(*shop.lines(beer=3, wine=2)))
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 3)
        assert get_stock(db, shop.hub.id, shop.wine.id) == (10, 2)

    def test_the_catalog_price_wins_over_the_clients(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        order = place_order(customer, order_payload(line(shop.beer, 1, price=0.01)))
        assert money(order["items"][0]["price"]) == Decimal("12.99")
        assert money(order["subtotal"]) == Decimal("12.99")

    def test_placement_records_the_order_placed_event(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        events = customer.get(f"/v1/orders/{order['id']}/events").json()
        assert [(e["sequence"], e["event"]) for e in events] == [(1, "order.placed")]
        assert events[0]["data"]["displayId"] == order["displayId"]
        assert events[0]["timestamp"].endswith("Z")

    def test_placement_enqueues_the_validate_job_after_commit(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        with db.read() as session:
            jobs = session.execute(
                select(OutboxMessage.topic, OutboxMessage.dedupe_key).where(
                    OutboxMessage.kind == "job", OutboxMessage.order_id == order["id"]
                )
            ).all()
            row = session.get(OrderRow, order["id"])
            assert row is not None and row.pipeline_step == "validate"
        assert [tuple(j) for j in jobs] == [("orders.validate", f"validate:{order['id']}")]

    def test_a_line_is_split_across_hubs_when_no_hub_has_enough(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        second = create_hub(db, lat=41.89, lng=-87.62)
        set_stock(db, shop.hub.id, shop.beer.id, 3)
        set_stock(db, second.id, shop.beer.id, 3)
        order = place_order(customer, order_payload(line(shop.beer, 5)))
        items = order["items"]
        assert len(items) == 2
        assert len({i["lineId"] for i in items}) == 1
        assert sum(i["quantity"] for i in items) == 5
        assert {i["hubId"] for i in items} == {shop.hub.id, second.id}
        assert len(order["fulfillments"]) == 2
        assert order["consolidatedShipping"] is False
        reserved = (
            get_stock(db, shop.hub.id, shop.beer.id)[1] + get_stock(db, second.id, shop.beer.id)[1]
        )
        assert reserved == 5

    def test_express_orders_are_high_priority(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines(), deliveryType="express"))
        assert {f["priority"] for f in order["fulfillments"]} == {"high"}


class TestIdempotency:
    def test_a_retry_with_the_same_key_returns_the_first_order(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        payload = order_payload(*shop.lines())
        first = place_order(customer, payload, key="checkout-1")
        second = place_order(customer, payload, key="checkout-1")
        assert second == first
        assert count_orders(db) == 1
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 2)

    def test_the_same_key_with_another_body_is_refused(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        place_order(customer, order_payload(*shop.lines()), key="checkout-2")
        response = customer.post(
            "/v1/orders",
            json=order_payload(*shop.lines(beer=5)),
            headers={"Idempotency-Key": "checkout-2"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert count_orders(db) == 1


class TestWhoMayPlace:
    def test_a_customer_cannot_place_for_someone_else(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        response = customer.post(
            "/v1/orders", json=order_payload(*shop.lines(), customerId="cus_bob")
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_order"
        assert count_orders(db) == 0

    def test_a_vendor_token_may_not_place_orders(
        self, client_for: ClientFactory, shop: Marketplace
    ) -> None:
        vendor = client_for("vendor", "v-user", vendor_id=shop.brand.id)
        assert vendor.post("/v1/orders", json=order_payload(*shop.lines())).status_code == 403

    def test_a_hub_token_may_not_validate_orders(
        self, client_for: ClientFactory, shop: Marketplace
    ) -> None:
        hub = client_for("hub", "h-user", hub_id=shop.hub.id)
        response = hub.post("/v1/orders/validate", json=order_payload(*shop.lines()))
        assert response.status_code == 403

    def test_no_token_is_a_401(self, anonymous: TestClient, shop: Marketplace) -> None:
        response = anonymous.post("/v1/orders", json=order_payload(*shop.lines()))
        assert response.status_code == 401

    def test_a_bad_token_is_a_401(self, app: Any, shop: Marketplace) -> None:
        client = TestClient(app, headers={"Authorization": "Bearer not-a-jwt"})
        assert client.get("/v1/orders").status_code == 401

    def test_an_admin_may_place_for_a_customer(self, admin: TestClient, shop: Marketplace) -> None:
        order = place_order(admin, order_payload(*shop.lines(), customerId="cus_carol"))
        assert order["customerId"] == "cus_carol"


class TestWhoMayRead:
    @pytest.fixture
    def order(self, customer: TestClient, shop: Marketplace) -> dict[str, Any]:
        return place_order(customer, order_payload(*shop.lines()))

    def test_the_customer_reads_its_own_order(
        self, customer: TestClient, order: dict[str, Any]
    ) -> None:
        response = customer.get(f"/v1/orders/{order['id']}")
        assert response.status_code == 200
        assert response.json() == order

    def test_another_customer_gets_a_404(
        self, client_for: ClientFactory, order: dict[str, Any]
    ) -> None:
        bob = client_for("customer", "cus_bob")
        assert bob.get(f"/v1/orders/{order['id']}").status_code == 404
        assert bob.get(f"/v1/orders/{order['id']}/events").status_code == 404

    def test_a_vendor_sees_only_its_own_sub_order_and_items(
        self, client_for: ClientFactory, order: dict[str, Any], shop: Marketplace
    ) -> None:
        vendor = client_for("vendor", "v-user", vendor_id=shop.brand.id)
        seen = vendor.get(f"/v1/orders/{order['id']}").json()
        assert [s["vendorId"] for s in seen["subOrders"]] == [shop.brand.id]
        assert {i["variantId"] for i in seen["items"]} == {shop.beer.id}
        assert [s["vendorId"] for s in seen["payment"]["splits"]] == [shop.brand.id]

    def test_a_vendor_without_a_sub_order_gets_a_404(
        self, client_for: ClientFactory, order: dict[str, Any]
    ) -> None:
        vendor = client_for("vendor", "v-user", vendor_id="ven_elsewhere")
        assert vendor.get(f"/v1/orders/{order['id']}").status_code == 404

    def test_the_hub_shipping_it_sees_it_and_another_hub_does_not(
        self, client_for: ClientFactory, order: dict[str, Any], shop: Marketplace
    ) -> None:
        hub = client_for("hub", "h-user", hub_id=shop.hub.id)
        assert hub.get(f"/v1/orders/{order['id']}").status_code == 200
        other = client_for("hub", "h-user", hub_id="hub_elsewhere")
        assert other.get(f"/v1/orders/{order['id']}").status_code == 404

    def test_a_courier_sees_only_orders_assigned_to_it(
        self, client_for: ClientFactory, order: dict[str, Any], db: Database
    ) -> None:
        courier = client_for("courier", "cou_1")
        assert courier.get(f"/v1/orders/{order['id']}").status_code == 404
        with db.write() as session:
            session.execute(
                update(Fulfillment)
                .where(Fulfillment.order_id == order["id"])
                .values(courier_id="cou_1")
            )
        seen = courier.get(f"/v1/orders/{order['id']}")
        assert seen.status_code == 200
        assert [f["courierId"] for f in seen.json()["fulfillments"]] == ["cou_1"]

    def test_an_admin_sees_every_order(self, admin: TestClient, order: dict[str, Any]) -> None:
        assert admin.get(f"/v1/orders/{order['id']}").json() == order

    def test_an_unknown_order_is_a_404_problem(self, customer: TestClient) -> None:
        response = customer.get("/v1/orders/ord_nope")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


class TestListing:
    def test_a_customer_lists_only_its_orders_newest_first_in_pages(
        self, client_for: ClientFactory, customer: TestClient, shop: Marketplace
    ) -> None:
        mine = [place_order(customer, order_payload(line(shop.beer, 1)))["id"] for _ in range(3)]
        bob = client_for("customer", "cus_bob")
        place_order(bob, order_payload(line(shop.beer, 1), customerId="cus_bob"))
        first = customer.get("/v1/orders", params={"limit": 2}).json()
        assert [o["id"] for o in first["items"]] == mine[::-1][:2]
        assert first["nextCursor"]
        second = customer.get(
            "/v1/orders", params={"limit": 2, "cursor": first["nextCursor"]}
        ).json()
        assert [o["id"] for o in second["items"]] == [mine[0]]
        assert second["nextCursor"] is None

    def test_filters_by_status_and_customer(
        self, admin: TestClient, customer: TestClient, shop: Marketplace
    ) -> None:
        placed = place_order(customer, order_payload(line(shop.beer, 1)))
        assert [
            o["id"]
            for o in admin.get("/v1/orders", params={"customerId": "cus_alice"}).json()["items"]
        ] == [placed["id"]]
        assert admin.get("/v1/orders", params={"status": "confirmed"}).json()["items"] == []
        assert admin.get("/v1/orders", params={"status": "nonsense"}).status_code == 422

    def test_a_forged_cursor_is_a_400(self, customer: TestClient) -> None:
        response = customer.get("/v1/orders", params={"cursor": "%%%"})
        assert response.status_code == 400


class TestBadInput:
    def test_malformed_json_is_a_400(self, customer: TestClient, db: Database) -> None:
        response = customer.post(
            "/v1/orders", content=b'{"customerId": ', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_json"

    def test_a_wrong_type_is_a_422_naming_the_field(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        payload = order_payload({**line(shop.beer, 1), "quantity": "two"})
        response = customer.post("/v1/orders", json=payload)
        assert response.status_code == 422
        assert "items[0].quantity" in [e["field"] for e in response.json()["errors"]]
        assert count_orders(db) == 0

    def test_an_unknown_variant_is_a_422_and_changes_nothing(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        payload = order_payload(line(shop.beer, 2), line(shop.beer, 1, variantId="var_ghost"))
        response = customer.post("/v1/orders", json=payload)
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_failed"
        assert body["errors"][0]["code"] == "unknown_variant"
        assert body["errors"][0]["field"] == "items[1].variantId"
        assert count_orders(db) == 0
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 0)

    def test_oversized_text_is_a_422(self, customer: TestClient, shop: Marketplace) -> None:
        response = customer.post("/v1/orders", json=order_payload(*shop.lines(), notes="x" * 5000))
        assert response.status_code == 422

    def test_more_lines_than_allowed_is_a_422(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        variants = [create_variant(db, vendor_id=shop.brand.id) for _ in range(51)]
        response = customer.post("/v1/orders", json=order_payload(*(line(v, 1) for v in variants)))
        assert response.status_code == 422
        assert "too_many_lines" in [e["code"] for e in response.json()["errors"]]

    def test_more_stock_than_there_is_is_an_insufficient_stock_422(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        response = customer.post("/v1/orders", json=order_payload(line(shop.beer, 11)))
        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error["code"] == "insufficient_stock"
        assert error["details"]["locations"] == [{"hubId": shop.hub.id, "available": 10}]
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 0)


class TestDryRunValidation:
    def test_a_valid_order_validates_and_nothing_is_reserved(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        response = customer.post("/v1/orders/validate", json=order_payload(*shop.lines()))
        assert response.status_code == 200
        assert response.json() == {"valid": True, "errors": [], "warnings": []}
        assert count_orders(db) == 0
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 0)

    def test_every_problem_is_reported_at_once(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        payload = order_payload(
            line(shop.beer, 0),
            line(shop.wine, 1, price=1.0, vendor_type="distributor"),
            paymentMethodId="paypal",
            ageVerified=False,
        )
        body = customer.post("/v1/orders/validate", json=payload).json()
        assert body["valid"] is False
        assert {e["code"] for e in body["errors"]} == {
            "invalid_quantity",
            "payment_method_unknown",
            "age_verification_required",
        }
        assert [w["code"] for w in body["warnings"]] == ["price_changed"]

    def test_an_address_far_from_every_hub_is_not_serviceable(
        self, customer: TestClient, shop: Marketplace
    ) -> None:
        far = {
            "line1": "1 Main St",
            "city": "Denver",
            "state": "CO",
            "postalCode": "80202",
            "country": "US",
            "lat": 39.7392,
            "lng": -104.9903,
        }
        body = customer.post(
            "/v1/orders/validate", json=order_payload(*shop.lines(), shippingAddress=far)
        ).json()
        assert [e["code"] for e in body["errors"]] == ["address_not_serviceable"]


class TestOpenApi:
    def test_the_order_endpoints_are_described(self, anonymous: TestClient) -> None:
        spec = anonymous.get("/openapi.json").json()
        assert {"/v1/orders", "/v1/orders/validate", "/v1/orders/{orderId}"} <= set(spec["paths"])
        post = spec["paths"]["/v1/orders"]["post"]
        assert {"201", "401", "403", "422"} <= set(post["responses"])
        assert "Order" in spec["components"]["schemas"]


class TestReadAfterWrite:
    def test_a_cached_order_shows_the_new_status_right_after_a_change(
        self, client_for: Any, runtime: Any, db: Any
    ) -> None:
        from orderflow.kit.clock import utcnow
        from orderflow.orders.service import order_service
        from tests.orders.factories import line, marketplace, order_payload, place_order

        shop = marketplace(db)
        customer = client_for("customer", "cus_cache")
        order = place_order(customer, order_payload(line(shop.beer), customerId="cus_cache"))
        first = customer.get(f"/v1/orders/{order['id']}").json()
        again = customer.get(f"/v1/orders/{order['id']}").json()
        assert first["status"] == again["status"] == "pending"
        db.run_write(
            lambda s: order_service.transition(
                s, order["id"], to="confirmed", event="order.confirmed", now=utcnow()
            )
        )
        assert customer.get(f"/v1/orders/{order['id']}").json()["status"] == "confirmed"

    def test_another_customer_cannot_read_a_cached_order(self, client_for: Any, db: Any) -> None:
        from tests.orders.factories import line, marketplace, order_payload, place_order

        shop = marketplace(db)
        owner = client_for("customer", "cus_owner")
        order = place_order(owner, order_payload(line(shop.beer), customerId="cus_owner"))
        assert owner.get(f"/v1/orders/{order['id']}").status_code == 200
        other = client_for("customer", "cus_other")
        assert other.get(f"/v1/orders/{order['id']}").status_code == 404
