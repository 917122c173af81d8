"""Placed over HTTP, validated, paid: the real placement feeding the payment flow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from orderflow.orders.tasks import validate_placed_order
from orderflow.payments.tasks import process_payment
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError
from tests.factories import get_stock
from tests.fakes.stripe_server import FakeStripe
from tests.orders.factories import line, marketplace, order_payload, place_order
from tests.payments import helpers as h


@pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])
class TestPlacedThenPaid:
    def test_the_placed_split_is_what_each_vendor_is_paid(
        self, runtime: Runtime, customer: TestClient, admin: TestClient
    ) -> None:
        shop = marketplace(runtime.db)
        body = place_order(customer, order_payload(*shop.lines(beer=2, wine=1)))
        validate_placed_order(runtime, order_id=body["id"])
        process_payment(runtime, order_id=body["id"])

        order = admin.get(f"/v1/orders/{body['id']}").json()
        assert order["status"] == "confirmed"
        payouts = {s["vendorId"]: round(s["vendorPayout"] * 100) for s in body["subOrders"]}
        paid = {t.vendor_id: t.amount for t in h.transfers(runtime.db, body["id"])}
        assert paid == payouts
        (payment,) = h.payments(runtime.db, body["id"])
        assert payment.captured_amount == round(body["total"] * 100)
        assert h.imbalances(runtime.db, body["id"]) == []

    def test_a_declined_card_releases_the_stock_placement_reserved(
        self, runtime: Runtime, customer: TestClient
    ) -> None:
        shop = marketplace(runtime.db)
        body = place_order(
            customer,
            order_payload(line(shop.beer, 3), paymentMethodId="pm_card_declined"),
        )
        assert get_stock(runtime.db, shop.hub.id, shop.beer.id) == (10, 3)
        validate_placed_order(runtime, order_id=body["id"])
        with pytest.raises(PermanentError):
            process_payment(runtime, order_id=body["id"])
        assert h.order(runtime.db, body["id"]).status == "cancelled"
        assert get_stock(runtime.db, shop.hub.id, shop.beer.id) == (10, 0)


class TestPlacedThenPaidThroughStripe:
    pytestmark = pytest.mark.parametrize("gateway_name", ["stripe"])

    def test_the_charge_and_transfers_carry_the_orders_group(
        self, runtime: Runtime, customer: TestClient, stripe_fake: FakeStripe
    ) -> None:
        shop = marketplace(runtime.db)
        body = place_order(customer, order_payload(*shop.lines(beer=2, wine=1)))
        validate_placed_order(runtime, order_id=body["id"])
        process_payment(runtime, order_id=body["id"])
        (intent,) = stripe_fake.state.payment_intents.values()
        assert intent["amount"] == round(body["total"] * 100)
        assert sorted(intent["metadata"]["vendorIds"].split(",")) == sorted(
            [shop.brand.id, shop.distributor.id]
        )
        destinations = {t["destination"] for t in stripe_fake.state.transfers.values()}
        assert destinations == {shop.brand.stripe_account_id, shop.distributor.stripe_account_id}
        assert {t["transfer_group"] for t in stripe_fake.state.transfers.values()} == {
            f"order_{body['id']}"
        }
