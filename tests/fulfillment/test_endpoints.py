"""The hub and courier steps over HTTP: lifecycle, access, stock, ID check, location, queue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orderflow.db.session import Database
from orderflow.kit import geo
from orderflow.kit.clock import as_utc, utcnow
from tests.conftest import ClientFactory
from tests.fulfillment import factories as f

COURIER = "courier-7"
Step = Callable[..., Any]


@pytest.fixture
def market(db: Database) -> f.Shop:
    return f.shop(db)


@pytest.fixture
def hub(client_for: ClientFactory, market: f.Shop) -> TestClient:
    return client_for("hub", "hub-staff-1", hub_id=market.hub.id)


@pytest.fixture
def courier(client_for: ClientFactory) -> TestClient:
    return client_for("courier", COURIER)


def step(
    client: TestClient, fulfillment_id: str, to: str, *, expect: int | None = 200, **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/v1/fulfillments/{fulfillment_id}/transitions", json={"to": to, **extra}
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def to_out_for_delivery(hub: TestClient, courier: TestClient, fulfillment_id: str) -> None:
    step(hub, fulfillment_id, "processing")
    step(hub, fulfillment_id, "packed")
    step(hub, fulfillment_id, "picked_up", courierId=COURIER)
    step(courier, fulfillment_id, "in_transit")
    step(courier, fulfillment_id, "out_for_delivery")


class TestLifecycle:
    def test_a_parcel_goes_from_pending_to_delivered_with_every_tracking_event(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        to_out_for_delivery(hub, courier, ful_id)
        body = step(courier, ful_id, "delivered", idVerified=True)

        assert body["status"] == "delivered"
        assert body["orderStatus"] == "delivered"
        assert body["orderFulfillmentStatus"] == "fulfilled"
        assert f.event_names(db, order_id) == [
            "order.placed",
            "order.confirmed",
            "order.processing",
            "order.packed",
            "order.picked_up",
            "order.in_transit",
            "order.out_for_delivery",
            "order.delivered",
        ]
        order = f.order(db, order_id)
        assert (order.status, order.fulfillment_status) == ("delivered", "fulfilled")
        assert order.delivered_at is not None

    def test_each_event_names_the_fulfillment_the_hub_and_the_courier_once_assigned(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        to_out_for_delivery(hub, courier, ful_id)
        steps = [e for e in f.events(db, order_id) if e.fulfillment_id == ful_id]
        assert [e.data for e in steps] == [
            {"fulfillmentId": ful_id, "hubId": market.hub.id},
            {"fulfillmentId": ful_id, "hubId": market.hub.id},
            {"fulfillmentId": ful_id, "hubId": market.hub.id, "courierId": COURIER},
            {"fulfillmentId": ful_id, "hubId": market.hub.id, "courierId": COURIER},
            {"fulfillmentId": ful_id, "hubId": market.hub.id, "courierId": COURIER},
        ]

    def test_the_order_statuses_follow_each_step(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.soda, 1)])
        seen = []
        walk: list[tuple[TestClient, str, dict[str, Any]]] = [
            (hub, "processing", {}),
            (hub, "packed", {}),
            (hub, "picked_up", {"courierId": COURIER}),
            (courier, "in_transit", {}),
            (courier, "out_for_delivery", {}),
            (courier, "delivered", {}),
        ]
        for client, to, extra in walk:
            body = step(client, ful_id, to, **extra)
            seen.append((body["orderStatus"], body["orderFulfillmentStatus"]))
        assert seen == [
            ("processing", "not_fulfilled"),
            ("packed", "fulfilled"),
            ("packed", "shipped"),
            ("packed", "shipped"),
            ("out_for_delivery", "shipped"),
            ("delivered", "fulfilled"),
        ]
        order = f.order(db, order_id)
        assert (order.status, order.fulfillment_status) == ("delivered", "fulfilled")

    def test_the_response_lists_the_next_allowed_step(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        assert step(hub, ful_id, "processing")["allowedSteps"] == ["packed"]


class TestIllegalSteps:
    def test_skipping_a_step_is_a_409_listing_the_allowed_steps_and_changes_nothing(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        before = f.event_names(db, order_id)
        response = hub.post(f"/v1/fulfillments/{ful_id}/transitions", json={"to": "packed"})
        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["allowed"] == ["processing"]
        assert problem["currentStatus"] == "pending"
        assert "processing" in problem["detail"]
        assert f.fulfillment(db, ful_id).status == "pending"
        assert market.stock(db, market.beer) == (10, 2)
        assert f.event_names(db, order_id) == before

    def test_a_delivered_parcel_takes_no_further_step(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.soda, 1)])
        to_out_for_delivery(hub, courier, ful_id)
        step(courier, ful_id, "delivered")
        problem = step(courier, ful_id, "delivered", expect=409)
        assert problem["allowed"] == []

    def test_an_unpaid_order_is_not_worked_on(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order = f.place(customer, [(market.beer, 1)])
        ful_id = order["fulfillments"][0]["id"]
        problem = step(hub, ful_id, "processing", expect=409)
        assert problem["code"] == "order_not_confirmed"
        assert f.fulfillment(db, ful_id).status == "pending"

    def test_an_unknown_step_is_a_422(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        assert step(hub, ful_id, "cancelled", expect=422)["status"] == 422
        assert step(hub, ful_id, "returned_to_hub", expect=422)["status"] == 422

    def test_picked_up_needs_a_courier(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        assert step(hub, ful_id, "picked_up", expect=422)["code"] == "courier_required"
        assert f.fulfillment(db, ful_id).status == "packed"

    def test_a_courier_is_assigned_at_picked_up_only(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing", expect=422, courierId=COURIER)
        assert f.fulfillment(db, ful_id).courier_id is None


class TestAccess:
    def test_another_hubs_fulfillment_is_a_403_and_changes_nothing(
        self, db: Database, market: f.Shop, customer: TestClient, client_for: ClientFactory
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        other = client_for("hub", "hub-staff-9", hub_id="hub_elsewhere")
        problem = step(other, ful_id, "processing", expect=403)
        assert problem["code"] == "not_your_hub"
        assert other.get(f"/v1/fulfillments/{ful_id}").status_code == 403
        assert f.fulfillment(db, ful_id).status == "pending"
        assert f.event_names(db, order_id) == ["order.placed", "order.confirmed"]

    def test_a_courier_not_assigned_is_a_403(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        client_for: ClientFactory,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        stranger = client_for("courier", "courier-99")
        assert step(stranger, ful_id, "processing", expect=403)["code"] == "not_assigned_courier"
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        assert step(stranger, ful_id, "in_transit", expect=403)["code"] == "not_assigned_courier"
        assert f.fulfillment(db, ful_id).status == "picked_up"

    def test_the_assigned_courier_can_read_it(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        assert courier.get(f"/v1/fulfillments/{ful_id}").status_code == 403
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        body = courier.get(f"/v1/fulfillments/{ful_id}").json()
        assert (body["courierId"], body["status"]) == (COURIER, "picked_up")
        assert body["shippingAddress"]["postalCode"] == "60606"

    def test_an_unknown_fulfillment_is_a_404(self, hub: TestClient, admin: TestClient) -> None:
        assert step(hub, "ful_missing", "processing", expect=404)["code"] == (
            "fulfillment_not_found"
        )
        assert admin.get("/v1/fulfillments/ful_missing").status_code == 404

    def test_customers_and_vendors_may_not_move_fulfillments(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        client_for: ClientFactory,
        anonymous: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        assert step(customer, ful_id, "processing", expect=403)["status"] == 403
        vendor = client_for("vendor", "v-1", vendor_id=market.vendor.id)
        assert step(vendor, ful_id, "processing", expect=403)["status"] == 403
        assert step(anonymous, ful_id, "processing", expect=401)["status"] == 401
        assert f.fulfillment(db, ful_id).status == "pending"

    def test_admin_may_drive_any_fulfillment(
        self, db: Database, market: f.Shop, customer: TestClient, admin: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        assert step(admin, ful_id, "processing")["status"] == "processing"


class TestStockConsumption:
    def test_packing_takes_the_units_off_the_shelf(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 2), (market.soda, 3)])
        assert market.stock(db, market.beer) == (10, 2)
        step(hub, ful_id, "processing")
        assert market.stock(db, market.beer) == (10, 2)
        body = step(hub, ful_id, "packed")
        assert body["stockConsumed"] is True
        assert market.stock(db, market.beer) == (8, 0)
        assert market.stock(db, market.soda) == (7, 0)

    def test_a_retried_packed_step_consumes_the_stock_once(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        step(hub, ful_id, "processing")
        url = f"/v1/fulfillments/{ful_id}/transitions"
        headers = {"Idempotency-Key": "pack-1"}
        first = hub.post(url, json={"to": "packed"}, headers=headers)
        again = hub.post(url, json={"to": "packed"}, headers=headers)
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert hub.post(url, json={"to": "packed"}).status_code == 409
        assert market.stock(db, market.beer) == (8, 0)
        assert f.event_names(db, order_id).count("order.packed") == 1

    def test_later_steps_do_not_consume_again(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        to_out_for_delivery(hub, courier, ful_id)
        step(courier, ful_id, "delivered", idVerified=True)
        assert market.stock(db, market.beer) == (8, 0)


class TestIdCheck:
    def test_delivering_age_restricted_goods_needs_the_id_check(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        to_out_for_delivery(hub, courier, ful_id)
        problem = step(courier, ful_id, "delivered", expect=422)
        assert problem["code"] == "id_check_required"
        assert f.fulfillment(db, ful_id).status == "out_for_delivery"
        assert f.order(db, order_id).status == "out_for_delivery"

    def test_a_failed_id_check_returns_the_parcel_to_the_hub_and_restocks_it(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2), (market.soda, 1)])
        to_out_for_delivery(hub, courier, ful_id)
        assert market.stock(db, market.beer) == (8, 0)
        body = step(courier, ful_id, "delivered", idVerified=False)
        assert body["status"] == "returned_to_hub"
        assert body["idVerified"] is False
        assert body["allowedSteps"] == []
        assert market.stock(db, market.beer) == (10, 0)
        assert market.stock(db, market.soda) == (10, 0)
        last = f.events(db, order_id)[-1]
        assert last.event == "order.returned_to_hub"
        assert last.data["reason"] == "id_not_verified"
        order = f.order(db, order_id)
        assert (order.status, order.fulfillment_status) == ("out_for_delivery", "returned")
        assert order.delivered_at is None

    def test_goods_without_age_restriction_are_delivered_without_the_check(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.soda, 2)])
        to_out_for_delivery(hub, courier, ful_id)
        assert step(courier, ful_id, "delivered")["status"] == "delivered"

    def test_id_verified_belongs_to_the_delivered_step(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing", expect=422, idVerified=True)
        assert f.fulfillment(db, ful_id).status == "pending"


class TestCourierLocation:
    def test_a_position_updates_the_eta_of_the_parcel_and_the_order(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        lat, lng = 41.95, -87.65  # ~8 km north of the default address
        before = utcnow()
        response = courier.post(
            f"/v1/fulfillments/{ful_id}/location", json={"lat": lat, "lng": lng}
        )
        after = utcnow()
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["location"]["lat"], body["location"]["lng"]) == (lat, lng)

        km = geo.haversine_km(geo.Point(lat, lng), geo.Point(41.8789, -87.6359))
        travel = timedelta(hours=km / 30.0)
        stored = f.fulfillment(db, ful_id)
        assert stored.estimated_delivery_at is not None
        assert before + travel <= as_utc(stored.estimated_delivery_at) <= after + travel
        assert f.order(db, order_id).estimated_delivery_at == stored.estimated_delivery_at
        event = f.events(db, order_id)[-1]
        assert event.event == "order.location"
        assert event.data["fulfillmentId"] == ful_id
        assert (event.data["lat"], event.data["lng"]) == (lat, lng)
        assert event.data["estimatedDelivery"] == body["estimatedDelivery"].replace("+00:00", "Z")

    def test_closer_means_sooner(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        to_out_for_delivery(hub, courier, ful_id)
        url = f"/v1/fulfillments/{ful_id}/location"
        far = courier.post(url, json={"lat": 41.99, "lng": -87.65}).json()
        near = courier.post(url, json={"lat": 41.88, "lng": -87.636}).json()
        assert near["estimatedDelivery"] < far["estimatedDelivery"]

    def test_no_position_before_pickup_or_after_delivery(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
        admin: TestClient,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.soda, 1)])
        url = f"/v1/fulfillments/{ful_id}/location"
        early = admin.post(url, json={"lat": 41.9, "lng": -87.6})
        assert early.status_code == 409
        assert early.json()["code"] == "not_on_the_road"
        to_out_for_delivery(hub, courier, ful_id)
        step(courier, ful_id, "delivered")
        assert courier.post(url, json={"lat": 41.9, "lng": -87.6}).status_code == 409
        assert "order.location" not in f.event_names(db, order_id)

    def test_only_the_assigned_courier_reports_a_position(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        client_for: ClientFactory,
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        step(hub, ful_id, "processing")
        step(hub, ful_id, "packed")
        step(hub, ful_id, "picked_up", courierId=COURIER)
        url = f"/v1/fulfillments/{ful_id}/location"
        assert hub.post(url, json={"lat": 41.9, "lng": -87.6}).status_code == 403
        other = client_for("courier", "courier-99")
        assert other.post(url, json={"lat": 41.9, "lng": -87.6}).status_code == 403
        assert f.fulfillment(db, ful_id).courier_lat is None

    def test_a_position_off_the_map_is_a_422(
        self, db: Database, market: f.Shop, customer: TestClient, admin: TestClient
    ) -> None:
        _, ful_id = f.confirmed_order(db, customer, [(market.beer, 1)])
        response = admin.post(f"/v1/fulfillments/{ful_id}/location", json={"lat": 91, "lng": 0})
        assert response.status_code == 422


class TestHubQueue:
    def test_the_queue_is_ordered_by_priority_then_promised_time(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        now = utcnow()
        placed = {
            "standard": f.confirmed_order(db, customer, [(market.beer, 1)])[1],
            "in_40h": f.confirmed_order(
                db,
                customer,
                [(market.beer, 1)],
                deliveryType="scheduled",
                scheduledDelivery=(now + timedelta(hours=40)).isoformat(),
            )[1],
            "in_30h": f.confirmed_order(
                db,
                customer,
                [(market.beer, 1)],
                deliveryType="scheduled",
                scheduledDelivery=(now + timedelta(hours=30)).isoformat(),
            )[1],
            "in_5h": f.confirmed_order(
                db,
                customer,
                [(market.beer, 1)],
                deliveryType="scheduled",
                scheduledDelivery=(now + timedelta(hours=5)).isoformat(),
            )[1],
            "express": f.confirmed_order(db, customer, [(market.soda, 1)], deliveryType="express")[
                1
            ],
        }
        unpaid = f.place(customer, [(market.soda, 1)])
        body = hub.get(f"/v1/hubs/{market.hub.id}/fulfillments").json()
        names = {v: k for k, v in placed.items()}
        queue = [(names.get(item["id"], item["id"]), item["priority"]) for item in body["items"]]
        # High first (express is due within ~2 h, before the 5 h schedule), then medium by
        # promised time, then normal. The unpaid order is not in the queue.
        assert queue == [
            ("express", "high"),
            ("in_5h", "high"),
            ("in_30h", "medium"),
            ("in_40h", "medium"),
            ("standard", "normal"),
        ]
        assert unpaid["fulfillments"][0]["id"] not in names
        assert body["nextCursor"] is None

    def test_the_queue_pages_with_a_cursor(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        ids = [f.confirmed_order(db, customer, [(market.soda, 1)])[1] for _ in range(3)]
        url = f"/v1/hubs/{market.hub.id}/fulfillments"
        first = hub.get(url, params={"limit": 2}).json()
        second = hub.get(url, params={"limit": 2, "cursor": first["nextCursor"]}).json()
        seen = [i["id"] for i in first["items"] + second["items"]]
        assert sorted(seen) == sorted(ids)
        assert len(set(seen)) == 3
        assert second["nextCursor"] is None

    def test_the_queue_filters_by_status(
        self, db: Database, market: f.Shop, customer: TestClient, hub: TestClient
    ) -> None:
        _, busy = f.confirmed_order(db, customer, [(market.soda, 1)])
        f.confirmed_order(db, customer, [(market.soda, 1)])
        step(hub, busy, "processing")
        body = hub.get(
            f"/v1/hubs/{market.hub.id}/fulfillments", params={"status": "processing"}
        ).json()
        assert [i["id"] for i in body["items"]] == [busy]

    def test_finished_fulfillments_leave_the_default_queue(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        courier: TestClient,
    ) -> None:
        _, done = f.confirmed_order(db, customer, [(market.soda, 1)])
        to_out_for_delivery(hub, courier, done)
        step(courier, done, "delivered")
        url = f"/v1/hubs/{market.hub.id}/fulfillments"
        assert hub.get(url).json()["items"] == []
        delivered = hub.get(url, params={"status": "delivered"}).json()["items"]
        assert [i["id"] for i in delivered] == [done]

    def test_another_hubs_queue_is_a_403(
        self, market: f.Shop, client_for: ClientFactory, admin: TestClient
    ) -> None:
        other = client_for("hub", "hub-staff-9", hub_id="hub_elsewhere")
        assert other.get(f"/v1/hubs/{market.hub.id}/fulfillments").status_code == 403
        assert admin.get(f"/v1/hubs/{market.hub.id}/fulfillments").status_code == 200
        courier = client_for("courier", COURIER)
        assert courier.get(f"/v1/hubs/{market.hub.id}/fulfillments").status_code == 403

    def test_an_unknown_hub_is_a_404_and_a_bad_cursor_a_400(
        self, market: f.Shop, admin: TestClient
    ) -> None:
        assert admin.get("/v1/hubs/hub_missing/fulfillments").status_code == 404
        bad = admin.get(f"/v1/hubs/{market.hub.id}/fulfillments", params={"cursor": "nope"})
        assert bad.status_code == 400


class TestRacingSteps:
    def test_racing_packed_steps_consume_the_stock_once(
        self,
        db: Database,
        market: f.Shop,
        customer: TestClient,
        hub: TestClient,
        client_for: ClientFactory,
    ) -> None:
        order_id, ful_id = f.confirmed_order(db, customer, [(market.beer, 2)])
        step(hub, ful_id, "processing")
        clients = [client_for("hub", f"hub-staff-{n}", hub_id=market.hub.id) for n in range(6)]
        barrier = threading.Barrier(len(clients))

        def pack(client: TestClient) -> int:
            barrier.wait()
            url = f"/v1/fulfillments/{ful_id}/transitions"
            code: int = client.post(url, json={"to": "packed"}).status_code
            return code

        with ThreadPoolExecutor(len(clients)) as pool:
            codes = sorted(pool.map(pack, clients))
        assert codes == [200, 409, 409, 409, 409, 409]
        assert market.stock(db, market.beer) == (8, 0)
        assert f.event_names(db, order_id).count("order.packed") == 1
