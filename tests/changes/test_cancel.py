"""Cancelling an order or one vendor's sub-order, over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from orderflow.db.session import Database
from orderflow.runtime import Runtime
from tests.changes.helpers import (
    fulfillments,
    market,
    money,
    order_row,
    pay,
    place,
    run_jobs,
    step,
    stock,
)
from tests.conftest import ClientFactory
from tests.fakes.stripe_server import FakeStripe


def _cancel(client: TestClient, order_id: str, reason: str = "changed my mind", **kw: str):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/orders/{order_id}/cancel", json={"reason": reason}, headers=kw)


class TestCancelBeforePayment:
    def test_an_unpaid_order_is_cancelled_and_its_stock_released(
        self, db: Database, customer: TestClient
    ) -> None:
        m = market(db)
        before = stock(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        response = _cancel(customer, order["id"])
        assert response.status_code == 200, response.text
        assert response.json() == {
            "success": True,
            "refundId": None,
            "refundAmount": 0.0,
            "voided": False,
            "orderStatus": "cancelled",
        }
        assert stock(db) == before
        assert {f.status for f in fulfillments(db, order["id"])} == {"cancelled"}
        row = order_row(db, order["id"])
        assert (row.status, row.cancel_reason, row.cancelled_by) == (
            "cancelled",
            "changed my mind",
            "customer",
        )


class TestCancelAfterCapture:
    def test_the_full_amount_is_refunded_and_each_vendor_reverses_its_transfer(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        before = stock(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        pay(runtime, order["id"])
        paid = money(db, order["id"])
        assert paid.captured == order_row(db, order["id"]).total_amount

        response = _cancel(customer, order["id"])

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["refundAmount"] == float(order["total"])
        assert body["refundId"]
        after = money(db, order["id"])
        assert after.refunded == paid.captured
        assert after.reversed == paid.transferred
        assert after.ledger_sum == 0
        assert stock(db) == before
        events = [e["event"] for e in customer.get(f"/v1/orders/{order['id']}/events").json()]
        assert events[-2:] == ["order.cancelled", "order.refunded"]

    def test_a_packed_order_can_still_be_cancelled_and_its_goods_go_back_on_the_shelf(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        before = stock(db)
        order = place(customer, (m.beer, 3))
        pay(runtime, order["id"])
        step(runtime, order["fulfillments"][0]["id"], "processing", "packed")
        assert _cancel(customer, order["id"]).status_code == 200
        assert stock(db) == before


class TestCancelRefused:
    def test_an_order_out_for_delivery_is_a_409_and_nothing_changes(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        pay(runtime, order["id"])
        step(
            runtime,
            order["fulfillments"][0]["id"],
            "processing",
            "packed",
            "picked_up",
            "in_transit",
            "out_for_delivery",
        )
        stock_before, money_before = stock(db), money(db, order["id"])

        response = _cancel(customer, order["id"])

        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "out for delivery" in response.json()["detail"]
        assert order_row(db, order["id"]).status == "out_for_delivery"
        assert stock(db) == stock_before
        assert money(db, order["id"]) == money_before

    def test_someone_elses_order_is_a_404(
        self, db: Database, customer: TestClient, client_for: ClientFactory
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        other = client_for("customer", "cus_bob")
        assert _cancel(other, order["id"]).status_code == 404
        assert order_row(db, order["id"]).status == "pending"

    def test_a_vendor_cannot_cancel_the_whole_order(
        self, db: Database, customer: TestClient, client_for: ClientFactory
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 1))
        vendor = client_for("vendor", "v-1", vendor_id=m.brand.id)
        assert _cancel(vendor, order["id"]).status_code == 403


class TestCancelIsIdempotent:
    def test_a_second_cancel_returns_the_first_result_and_refunds_once(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2))
        pay(runtime, order["id"])
        first = _cancel(customer, order["id"])
        second = _cancel(customer, order["id"], reason="really")
        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert len(money(db, order["id"]).refunds) == 1

    def test_a_retry_with_the_same_idempotency_key_replays_the_response(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2))
        pay(runtime, order["id"])
        first = _cancel(customer, order["id"], **{"Idempotency-Key": "k1"})
        again = _cancel(customer, order["id"], **{"Idempotency-Key": "k1"})
        assert again.json() == first.json()
        assert len(money(db, order["id"]).refunds) == 1


class TestSubOrderCancel:
    def test_a_vendor_cancels_its_part_and_only_that_part_is_refunded(
        self,
        db: Database,
        runtime: Runtime,
        customer: TestClient,
        client_for: ClientFactory,
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        pay(runtime, order["id"])
        wine_sub = next(s for s in order["subOrders"] if s["vendorId"] == m.distributor.id)
        paid = money(db, order["id"])
        vendor = client_for("vendor", "v-1", vendor_id=m.distributor.id)

        response = vendor.post(
            f"/v1/orders/{order['id']}/sub-orders/{wine_sub['id']}/cancel",
            json={"reason": "out of vintage"},
        )

        assert response.status_code == 200, response.text
        expected = float(wine_sub["subtotal"]) + float(wine_sub["deliveryFeeShare"])
        assert response.json()["refundAmount"] == expected
        after = money(db, order["id"])
        assert after.reversed == {m.distributor.id: paid.transferred[m.distributor.id]}
        assert after.ledger_sum == 0
        doc = customer.get(f"/v1/orders/{order['id']}").json()
        assert doc["status"] == "confirmed"
        statuses = {s["vendorId"]: s["status"] for s in doc["subOrders"]}
        assert statuses[m.distributor.id] == "cancelled"
        wine_items = [i for i in doc["items"] if i["vendorId"] == m.distributor.id]
        assert {i["status"] for i in wine_items} == {"cancelled"}
        _, reserved = stock(db)[(m.hub.id, m.wine.id)]
        assert reserved == 0

    def test_another_vendors_sub_order_is_not_found(
        self, db: Database, customer: TestClient, client_for: ClientFactory
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        wine_sub = next(s for s in order["subOrders"] if s["vendorId"] == m.distributor.id)
        vendor = client_for("vendor", "v-2", vendor_id=m.brand.id)
        response = vendor.post(
            f"/v1/orders/{order['id']}/sub-orders/{wine_sub['id']}/cancel",
            json={"reason": "x"},
        )
        assert response.status_code == 404


class TestCancelThroughStripe:
    @pytest.mark.parametrize("gateway_name", ["stripe"])
    def test_after_capture_stripe_refunds_the_charge_and_reverses_each_transfer(
        self, db: Database, runtime: Runtime, customer: TestClient, stripe_fake: FakeStripe
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        pay(runtime, order["id"])
        paid = money(db, order["id"])
        assert paid.captured > 0 and len(stripe_fake.state.transfers) == 2

        response = _cancel(customer, order["id"])
        assert response.status_code == 200, response.text
        run_jobs(runtime, "payments.refund")

        refunds = list(stripe_fake.state.refunds.values())
        assert [r["amount"] for r in refunds] == [paid.captured]
        reversed_ = sorted(r["amount"] for r in stripe_fake.state.reversals.values())
        assert reversed_ == sorted(paid.transferred.values())
        assert money(db, order["id"]).ledger_sum == 0

    @pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])
    @pytest.mark.parametrize("capture_policy", ["manual"])
    def test_before_capture_the_authorization_is_voided(
        self, db: Database, runtime: Runtime, customer: TestClient, request: pytest.FixtureRequest
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2))
        pay(runtime, order["id"])
        assert order_row(db, order["id"]).payment_status == "authorized"

        response = _cancel(customer, order["id"])

        assert response.status_code == 200, response.text
        assert response.json()["voided"] is True
        assert response.json()["refundId"] is None
        run_jobs(runtime, "payments.void")
        after = money(db, order["id"])
        assert (after.captured, after.refunded, after.refunds) == (0, 0, [])
        assert order_row(db, order["id"]).payment_status == "voided"
        if runtime.settings.payment_gateway == "stripe":
            fake: FakeStripe = request.getfixturevalue("stripe_fake")
            assert {i["status"] for i in fake.state.payment_intents.values()} == {"canceled"}


class TestSubOrderCancelBeforePayment:
    def test_the_part_is_taken_out_of_the_totals_the_charge_will_use(
        self, db: Database, runtime: Runtime, customer: TestClient, client_for: ClientFactory
    ) -> None:
        m = market(db)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        wine_sub = next(s for s in order["subOrders"] if s["vendorId"] == m.distributor.id)
        vendor = client_for("vendor", "v-1", vendor_id=m.distributor.id)
        response = vendor.post(
            f"/v1/orders/{order['id']}/sub-orders/{wine_sub['id']}/cancel", json={"reason": "x"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["refundAmount"] == 0
        row = order_row(db, order["id"])
        left = round(
            (
                float(order["total"])
                - float(wine_sub["subtotal"])
                - float(wine_sub["deliveryFeeShare"])
            )
            * 100
        )
        assert row.total_amount == left
        pay(runtime, order["id"])
        paid = money(db, order["id"])
        assert paid.captured == left
        assert set(paid.transferred) == {m.brand.id}
        assert paid.ledger_sum == 0
