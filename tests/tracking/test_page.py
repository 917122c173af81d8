"""The customer tracking page ``GET /track/{orderId}?token=``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from orderflow.db.session import Database
from tests.conftest import TokenFactory
from tests.orders.factories import Marketplace
from tests.tracking.conftest import emit


def page(client: TestClient, order_id: str, token: str | None) -> Any:
    params = {"token": token} if token else {}
    return client.get(f"/track/{order_id}", params=params)


class TestTheCustomerSeesItsOrder:
    def test_renders_the_summary_items_by_vendor_totals_and_timeline(
        self,
        anonymous: TestClient,
        order: dict[str, Any],
        shop: Marketplace,
        make_token: TokenFactory,
    ) -> None:
        response = page(anonymous, order["id"], make_token("customer", "cus_alice"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert order["displayId"] in html
        assert shop.brand.name in html and shop.distributor.name in html
        assert "Pale Ale 6-pack" in html and "Rioja 750ml" in html
        assert f"${order['total']:,.2f}" in html
        assert 'data-event="order.placed"' in html
        assert '<section id="map-card" class="card" aria-labelledby="map-title" hidden>' in html

    def test_shows_the_map_with_the_courier_while_out_for_delivery(
        self,
        anonymous: TestClient,
        order: dict[str, Any],
        db: Database,
        make_token: TokenFactory,
    ) -> None:
        emit(db, order["id"], "order.out_for_delivery")
        emit(db, order["id"], "order.location", lat=41.8801, lng=-87.6301)
        html = page(anonymous, order["id"], make_token("customer", "cus_alice")).text
        assert "Courier located at 41.8801, -87.6301" in html
        assert '"lat": 41.8801' in html and '"lng": -87.6301' in html

    def test_needs_no_external_network(
        self, anonymous: TestClient, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        response = page(anonymous, order["id"], make_token("customer", "cus_alice"))
        assert "http://" not in response.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in response.text
        assert "connect-src 'self'" in response.headers["content-security-policy"]

    def test_serves_its_script_and_stylesheet(self, anonymous: TestClient) -> None:
        script = anonymous.get("/track/assets/track.js")
        assert script.status_code == 200
        assert "WebSocket" in script.text and "EventSource" in script.text
        assert anonymous.get("/track/assets/track.css").status_code == 200
        assert anonymous.get("/track/assets/page.py").status_code == 404


class TestFriendlyErrors:
    def test_a_missing_token_is_a_friendly_401_page(
        self, anonymous: TestClient, order: dict[str, Any]
    ) -> None:
        response = page(anonymous, order["id"], None)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert "Please sign in again" in response.text

    def test_a_bad_token_is_a_friendly_401_page(
        self, anonymous: TestClient, order: dict[str, Any]
    ) -> None:
        assert page(anonymous, order["id"], "garbage").status_code == 401

    def test_someone_elses_order_is_a_404_page(
        self, anonymous: TestClient, order: dict[str, Any], make_token: TokenFactory
    ) -> None:
        response = page(anonymous, order["id"], make_token("customer", "cus_mallory"))
        assert response.status_code == 404
        assert "Order not found" in response.text
