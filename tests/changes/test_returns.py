"""Returning delivered items: refund per line with its delivery share, optional restock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from orderflow.changes import repository as changes_repo
from orderflow.db.session import Database
from orderflow.runtime import Runtime
from tests.changes.helpers import market, money, order_row, pay, place, step, stock

TO_DOOR = ("processing", "packed", "picked_up", "in_transit", "out_for_delivery", "delivered")


def _delivered(db: Database, runtime: Runtime, customer: TestClient, *lines: Any) -> dict[str, Any]:
    order = place(customer, *lines)
    pay(runtime, order["id"])
    for parcel in order["fulfillments"]:
        step(runtime, parcel["id"], *TO_DOOR)
    return customer.get(f"/v1/orders/{order['id']}").json()  # type: ignore[no-any-return]


def _return(client: TestClient, order_id: str, items: list[tuple[str, int]], **extra: Any):  # type: ignore[no-untyped-def]
    body = {
        "items": [{"itemId": i, "quantity": q} for i, q in items],
        "reason": "damaged",
        **extra,
    }
    return client.post(f"/v1/orders/{order_id}/returns", json=body)


class TestPartialReturn:
    def test_one_unit_is_refunded_with_its_share_of_delivery_and_restocked(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = _delivered(db, runtime, customer, (m.beer, 2), (m.soda, 2))
        beer = next(i for i in order["items"] if i["variantId"] == m.beer.id)
        on_hand_before, _ = stock(db)[(m.hub.id, m.beer.id)]
        sub = order["subOrders"][0]
        goods = 2 * 1299 + 2 * 250
        delivery_share = round(float(sub["deliveryFeeShare"]) * 100)

        response = _return(customer, order["id"], [(beer["id"], 1)], restock=True)

        assert response.status_code == 201, response.text
        body = response.json()
        expected = 1299 + delivery_share * 1299 // goods
        assert round(body["refundAmount"] * 100) == expected
        assert body["items"] == [
            {"itemId": beer["id"], "quantity": 1, "refundAmount": expected / 100}
        ]
        assert body["fulfillmentStatus"] == "partially_returned"
        assert body["orderStatus"] == "delivered"
        assert stock(db)[(m.hub.id, m.beer.id)][0] == on_hand_before + 1
        after = money(db, order["id"])
        assert after.refunded == expected
        assert sum(after.reversed.values()) > 0
        assert after.ledger_sum == 0

    def test_without_restock_the_shelf_is_left_alone(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = _delivered(db, runtime, customer, (m.beer, 2))
        before = stock(db)
        item = order["items"][0]
        assert _return(customer, order["id"], [(item["id"], 1)]).status_code == 201
        assert stock(db) == before


class TestFullReturn:
    def test_returning_everything_in_steps_refunds_exactly_what_was_paid(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = _delivered(db, runtime, customer, (m.beer, 3), (m.wine, 1))
        beer = next(i for i in order["items"] if i["variantId"] == m.beer.id)
        wine = next(i for i in order["items"] if i["variantId"] == m.wine.id)
        for items in ([(beer["id"], 1)], [(beer["id"], 1)], [(beer["id"], 1), (wine["id"], 1)]):
            assert _return(customer, order["id"], items).status_code == 201

        after = money(db, order["id"])
        assert after.refunded == after.captured
        assert after.reversed == after.transferred
        assert after.ledger_sum == 0
        doc = customer.get(f"/v1/orders/{order['id']}").json()
        assert (doc["status"], doc["fulfillmentStatus"]) == ("refunded", "returned")
        events = [e["event"] for e in customer.get(f"/v1/orders/{order['id']}/events").json()]
        assert events[-1] == "order.refunded"


class TestRefusedReturns:
    def test_an_undelivered_item_cannot_be_returned(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        pay(runtime, order["id"])
        response = _return(customer, order["id"], [(order["items"][0]["id"], 1)])
        assert response.status_code == 409
        assert "not been delivered" in response.json()["detail"]

    def test_after_the_return_window_it_is_refused(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = _delivered(db, runtime, customer, (m.beer, 1))
        delivered_at = order_row(db, order["id"]).delivered_at
        assert delivered_at is not None
        with db.write() as s:
            changes_repo.update_order(
                s, order["id"], {"delivered_at": delivered_at - timedelta(days=31)}
            )
        response = _return(customer, order["id"], [(order["items"][0]["id"], 1)])
        assert response.status_code == 409
        assert "return window" in response.json()["detail"]
        assert money(db, order["id"]).refunds == []

    def test_more_units_than_were_bought_is_a_422_and_changes_nothing(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = _delivered(db, runtime, customer, (m.beer, 1))
        response = _return(customer, order["id"], [(order["items"][0]["id"], 2)])
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "too_many_units"
        assert money(db, order["id"]).refunds == []
