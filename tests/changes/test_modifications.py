"""Change sets over HTTP: all or nothing, stock and money follow, preview changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from orderflow.db.session import Database
from orderflow.runtime import Runtime
from tests.changes.helpers import (
    fulfillments,
    held_units,
    market,
    money,
    open_units,
    order_row,
    pay,
    place,
    step,
    stock,
)
from tests.factories import address, set_stock

EVANSTON = address(
    line1="1603 Orrington Ave", city="Evanston", postalCode="60201", lat=42.0464, lng=-87.6810
)


def _modify(client: TestClient, order_id: str, *mods: dict[str, Any], preview: bool = False):  # type: ignore[no-untyped-def]
    suffix = "?preview=true" if preview else ""
    return client.post(
        f"/v1/orders/{order_id}/modifications{suffix}", json={"modifications": list(mods)}
    )


def _doc(client: TestClient, order_id: str) -> dict[str, Any]:
    return client.get(f"/v1/orders/{order_id}").json()  # type: ignore[no-any-return]


def _cents(dollars: float) -> int:
    return round(dollars * 100)


class TestQuantityDown:
    def test_a_lower_quantity_refunds_the_difference_and_releases_the_units(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 3), (m.wine, 1))
        pay(runtime, order["id"])
        beer = next(i for i in order["items"] if i["variantId"] == m.beer.id)
        paid = money(db, order["id"])

        response = _modify(
            customer,
            order["id"],
            {"type": "update_quantity", "itemId": beer["id"], "quantity": 1, "reason": "fewer"},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True and body["version"] == 2
        refunds = [a for a in body["adjustments"] if a["kind"] == "refund"]
        assert [_cents(a["amount"]) for a in refunds] == [2 * 1299]
        assert not [a for a in body["adjustments"] if a["kind"] == "extra_charge"]
        after = money(db, order["id"])
        assert after.refunded == 2 * 1299
        assert set(after.reversed) == {m.brand.id}
        assert 0 < after.reversed[m.brand.id] < 2 * 1299
        assert after.ledger_sum == 0
        assert paid.captured == after.captured
        assert stock(db)[(m.hub.id, m.beer.id)] == (10, 1)
        assert held_units(db) == open_units(db) == 2
        assert order_row(db, order["id"]).version == 2


class TestAddItem:
    def test_an_item_of_a_new_vendor_makes_a_sub_order_and_is_charged_extra(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        pay(runtime, order["id"])
        before = money(db, order["id"])

        response = _modify(
            customer,
            order["id"],
            {"type": "add_item", "variantId": m.wine.id, "quantity": 2, "reason": "party"},
        )

        assert response.status_code == 200, response.text
        doc = response.json()["modifiedOrder"]
        assert {s["vendorId"] for s in doc["subOrders"]} == {m.brand.id, m.distributor.id}
        wine = [i for i in doc["items"] if i["variantId"] == m.wine.id]
        assert [(i["quantity"], i["hubId"]) for i in wine] == [(2, m.hub.id)]
        charges = [a for a in response.json()["adjustments"] if a["kind"] == "extra_charge"]
        assert len(charges) == 1 and _cents(charges[0]["amount"]) >= 2 * 2450
        after = money(db, order["id"])
        assert after.captured == before.captured + _cents(charges[0]["amount"])
        assert after.transferred[m.distributor.id] > 0
        assert after.ledger_sum == 0
        assert _cents(doc["total"]) == after.captured
        assert stock(db)[(m.hub.id, m.wine.id)] == (10, 2)
        assert held_units(db) == open_units(db) == 3

    def test_an_item_stocked_only_at_another_hub_ships_in_a_new_parcel(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        set_stock(db, m.hub.id, m.wine.id, 0)
        set_stock(db, m.north.id, m.wine.id, 4)
        order = place(customer, (m.beer, 1))
        pay(runtime, order["id"])
        before = money(db, order["id"])

        response = _modify(
            customer,
            order["id"],
            {"type": "add_item", "variantId": m.wine.id, "quantity": 1, "reason": "wine too"},
        )

        assert response.status_code == 200, response.text
        doc = response.json()["modifiedOrder"]
        live = sorted(f["hubId"] for f in doc["fulfillments"] if f["status"] != "cancelled")
        assert live == sorted([m.hub.id, m.north.id])
        assert doc["consolidatedShipping"] is False
        charge = next(a for a in response.json()["adjustments"] if a["kind"] == "extra_charge")
        extra_delivery = _cents(doc["deliveryFee"]) - _cents(order["deliveryFee"])
        assert extra_delivery > 0
        assert _cents(charge["amount"]) == 2450 + extra_delivery
        after = money(db, order["id"])
        assert after.captured == before.captured + 2450 + extra_delivery
        assert after.ledger_sum == 0
        assert stock(db)[(m.north.id, m.wine.id)] == (4, 1)
        assert held_units(db) == open_units(db) == 2


class TestChangeAddress:
    def test_a_new_address_nearer_another_hub_moves_the_reservations_there(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        set_stock(db, m.north.id, m.beer.id, 5)
        order = place(customer, (m.beer, 2))
        pay(runtime, order["id"])
        old_eta = order["estimatedDelivery"]

        response = _modify(
            customer,
            order["id"],
            {"type": "change_address", "newAddress": EVANSTON, "reason": "moved"},
        )

        assert response.status_code == 200, response.text
        doc = response.json()["modifiedOrder"]
        assert doc["shippingAddress"]["city"] == "Evanston"
        live = [f for f in doc["fulfillments"] if f["status"] != "cancelled"]
        assert [f["hubId"] for f in live] == [m.north.id]
        assert stock(db)[(m.north.id, m.beer.id)] == (5, 2)
        assert stock(db)[(m.hub.id, m.beer.id)] == (10, 0)
        assert held_units(db) == open_units(db) == 2
        assert doc["estimatedDelivery"] != old_eta
        assert money(db, order["id"]).ledger_sum == 0

    def test_an_address_no_hub_serves_is_a_422_and_changes_nothing(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2))
        pay(runtime, order["id"])
        before = stock(db)
        far = address(city="Springfield", postalCode="62701", lat=39.7817, lng=-89.6501)
        response = _modify(
            customer, order["id"], {"type": "change_address", "newAddress": far, "reason": "x"}
        )
        assert response.status_code == 422, response.text
        assert stock(db) == before
        assert _doc(customer, order["id"])["shippingAddress"]["city"] == "Chicago"


class TestAllOrNothing:
    def test_one_invalid_step_changes_nothing(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 3))
        pay(runtime, order["id"])
        before_stock, before_money = stock(db), money(db, order["id"])
        beer = order["items"][0]

        response = _modify(
            customer,
            order["id"],
            {"type": "update_quantity", "itemId": beer["id"], "quantity": 1, "reason": "ok"},
            {"type": "add_item", "quantity": 1, "reason": "no variant"},
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "modifications[1].variantId"
        assert stock(db) == before_stock
        assert money(db, order["id"]) == before_money
        assert _doc(customer, order["id"])["version"] == 1

    def test_too_much_stock_asked_is_a_422_and_changes_nothing(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db, stock=4)
        order = place(customer, (m.beer, 3))
        pay(runtime, order["id"])
        before = stock(db)
        beer = order["items"][0]
        response = _modify(
            customer,
            order["id"],
            {"type": "update_quantity", "itemId": beer["id"], "quantity": 9, "reason": "more"},
        )
        assert response.status_code == 422
        assert stock(db) == before


class TestStageRules:
    def test_an_item_in_a_packed_parcel_is_a_409_naming_the_parcel(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 3))
        pay(runtime, order["id"])
        parcel = order["fulfillments"][0]["id"]
        step(runtime, parcel, "processing", "packed")
        response = _modify(
            customer,
            order["id"],
            {"type": "remove_item", "itemId": order["items"][0]["id"], "reason": "x"},
        )
        assert response.status_code == 409
        assert response.json()["blockingFulfillmentIds"] == [parcel]
        assert parcel in response.json()["detail"]


class TestPreview:
    def test_a_preview_returns_the_would_be_order_and_changes_nothing(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        pay(runtime, order["id"])
        before_stock, before_money = stock(db), money(db, order["id"])
        before_doc = _doc(customer, order["id"])
        events = customer.get(f"/v1/orders/{order['id']}/events").json()

        response = _modify(
            customer,
            order["id"],
            {"type": "add_item", "variantId": m.wine.id, "quantity": 1, "reason": "maybe"},
            preview=True,
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["preview"] is True
        assert len(body["modifiedOrder"]["subOrders"]) == 2
        assert [a["kind"] for a in body["adjustments"] if a["kind"] == "extra_charge"]
        assert stock(db) == before_stock
        assert money(db, order["id"]) == before_money
        assert _doc(customer, order["id"]) == before_doc
        assert customer.get(f"/v1/orders/{order['id']}/events").json() == events
        assert customer.get(f"/v1/orders/{order['id']}/versions").json() == []


class TestHistory:
    def test_each_confirmed_change_set_is_a_version_with_an_event(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 3))
        pay(runtime, order["id"])
        beer = order["items"][0]
        for quantity in (2, 1):
            response = _modify(
                customer,
                order["id"],
                {
                    "type": "update_quantity",
                    "itemId": beer["id"],
                    "quantity": quantity,
                    "reason": "less",
                },
            )
            assert response.status_code == 200, response.text
        versions = customer.get(f"/v1/orders/{order['id']}/versions").json()
        assert [v["version"] for v in versions] == [2, 3]
        assert versions[-1]["snapshot"]["items"][0]["quantity"] == 1
        events = [e["event"] for e in customer.get(f"/v1/orders/{order['id']}/events").json()]
        assert events.count("order.modified") == 2

    def test_before_payment_the_totals_are_simply_recomputed(
        self, db: Database, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2))
        beer = order["items"][0]
        response = _modify(
            customer,
            order["id"],
            {"type": "update_quantity", "itemId": beer["id"], "quantity": 1, "reason": "less"},
        )
        assert response.status_code == 200, response.text
        doc = response.json()["modifiedOrder"]
        assert _cents(doc["subtotal"]) == 1299
        assert _cents(doc["total"]) == 1299 + _cents(doc["deliveryFee"])
        assert fulfillments(db, order["id"])[0].status == "pending"
