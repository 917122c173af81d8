"""Service rules not reached through the transitions endpoint: cancellation, manual capture."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.fulfillment.service import fulfillment_service
from orderflow.kit.clock import utcnow
from tests.conftest import ClientFactory, make_settings
from tests.factories import create_variant, create_vendor, set_stock
from tests.fulfillment import factories as f
from tests.orders.factories import line, order_payload, place_order

COURIER = "courier-7"


def cancel(db: Database, order_id: str, **kwargs: Any) -> list[str]:
    with db.write() as session:
        return fulfillment_service.cancel_open(
            session, order_id=order_id, now=utcnow(), reason="customer asked", **kwargs
        )


def step(client: TestClient, fulfillment_id: str, to: str, **extra: Any) -> None:
    response = client.post(
        f"/v1/fulfillments/{fulfillment_id}/transitions", json={"to": to, **extra}
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def market(db: Database) -> f.Shop:
    return f.shop(db)


@pytest.fixture
def hub(client_for: ClientFactory, market: f.Shop) -> TestClient:
    return client_for("hub", "hub-staff-1", hub_id=market.hub.id)


class TestCancelOpen:
    def test_held_stock_is_released_and_the_fulfillment_cancelled(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        step(hub, ful_id, "processing")
        assert cancel(db, order_id) == [ful_id]
        assert f.fulfillment(db, ful_id).status == "cancelled"
        assert market.stock(db, market.beer) == (10, 0)
        assert f.order(db, order_id).fulfillment_status == "cancelled"

    def test_packed_stock_goes_back_on_the_shelf(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        assert market.stock(db, market.beer) == (8, 0)
        assert cancel(db, order_id) == [ful_id]
        assert market.stock(db, market.beer) == (10, 0)

    def test_cancelling_twice_changes_nothing_more(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        cancel(db, order_id)
        assert cancel(db, order_id) == []
        assert market.stock(db, market.beer) == (10, 0)

    def test_a_parcel_at_the_door_is_not_cancelled(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        client_for: ClientFactory,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        courier = client_for("courier", COURIER)
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        step(courier, ful_id, "in_transit")
        step(courier, ful_id, "out_for_delivery")
        assert cancel(db, order_id) == []
        assert f.fulfillment(db, ful_id).status == "out_for_delivery"
        assert market.stock(db, market.beer) == (9, 0)

    def test_a_hub_never_told_about_it_is_not_told_of_the_cancellation(
        self, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        order_id, _ = f.confirmed_order(db, customer, [(market.beer, 1)])
        cancel(db, order_id)
        assert f.jobs(db, "hubs.notify") == []


class TestCancelSubOrder:
    def test_only_that_vendors_items_are_cancelled_and_released(
        self, db: Database, market: f.Shop, customer: TestClient
    ) -> None:
        other = create_vendor(db, type="distributor")
        wine = create_variant(db, vendor_id=other.id, price_amount=2450, title="Rioja")
        set_stock(db, market.hub.id, wine.id, 10)
        payload = order_payload(line(market.beer, 2), line(wine, 1, vendor_type="distributor"))
        order = place_order(customer, payload)
        f.confirm(db, order["id"])
        [ful] = order["fulfillments"]
        wine_sub = next(s["id"] for s in order["subOrders"] if s["vendorId"] == other.id)
        beer_sub = next(s["id"] for s in order["subOrders"] if s["vendorId"] == market.vendor.id)

        assert cancel(db, order["id"], sub_order_id=wine_sub) == []
        assert f.fulfillment(db, ful["id"]).status == "pending"
        assert market.stock(db, wine) == (10, 0)
        assert market.stock(db, market.beer) == (10, 2)

        assert cancel(db, order["id"], sub_order_id=beer_sub) == [ful["id"]]
        assert f.fulfillment(db, ful["id"]).status == "cancelled"
        assert market.stock(db, market.beer) == (10, 0)


class TestSyncOrder:
    def test_an_item_return_makes_the_order_partially_returned(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        client_for: ClientFactory,
    ) -> None:
        from sqlalchemy import update

        from orderflow.db.models import OrderItem

        order_id, ful_id = f.confirmed_order(db, customer, [(market.soda, 3)])
        courier = client_for("courier", COURIER)
        for client, to, extra in [
            (hub, "processing", {}),
            (hub, "packed", {}),
            (hub, "picked_up", {"courierId": COURIER}),
            (courier, "in_transit", {}),
            (courier, "out_for_delivery", {}),
            (courier, "delivered", {}),
        ]:
            step(client, ful_id, to, **extra)
        with db.write() as session:
            session.execute(
                update(OrderItem).where(OrderItem.order_id == order_id).values(returned_quantity=1)
            )
            status = fulfillment_service.sync_order(session, order_id, now=utcnow())
        assert status == ("delivered", "partially_returned")
        assert f.order(db, order_id).fulfillment_status == "partially_returned"


class TestManualCapture:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return make_settings(database_url, capture_policy="manual")

    def test_the_first_pickup_enqueues_the_capture(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        assert f.jobs(db, "payments.capture") == []
        step(hub, ful_id, "picked_up", courierId=COURIER)
        [job] = f.jobs(db, "payments.capture")
        assert job.dedupe_key == f"capture:{order_id}"
        assert job.payload["kwargs"] == {"order_id": order_id}


class TestAutomaticCapture:
    def test_no_capture_is_enqueued_at_pickup(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        assert f.jobs(db, "payments.capture") == []
