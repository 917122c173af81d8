"""Catalog and network admin API: vendors, hubs, variants over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ClientFactory


def vendor_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Half Acre Beer Co.",
        "type": "brand",
        "platformFeePercent": 12.5,
        "stripeAccountId": "acct_1HalfAcre",
    }
    body.update(overrides)
    return body


def hub_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Loop",
        "location": {"lat": 41.8826, "lng": -87.6233},
        "address": {
            "line1": "151 N Michigan Ave",
            "city": "Chicago",
            "state": "IL",
            "postalCode": "60601",
            "country": "US",
        },
        "timezone": "America/Chicago",
        "openingHours": {"mon": ["09:00", "21:00"], "sat": ["10:00", "22:00"]},
        "dailyCapacity": 400,
        "processingMinutes": 30,
        "deliveryBaseFee": 4.99,
        "deliveryPerKmFee": 0.6,
        "expressSurcharge": 7.5,
        "serviceRadiusKm": 25,
        "expressCutoff": "20:30",
        "webhookUrl": "https://hub.example.com/hooks",
        "webhookSecret": "s3cret-s3cret-s3cret",
        "active": True,
    }
    body.update(overrides)
    return body


def variant_body(vendor_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "HA-DAISY-6PK",
        "title": "Daisy Cutter Pale Ale 6-pack",
        "vendorId": vendor_id,
        "price": 12.99,
        "ageRestricted": True,
    }
    body.update(overrides)
    return body


@pytest.fixture
def vendor(admin: TestClient) -> dict[str, Any]:
    response = admin.put("/v1/vendors/ven_halfacre", json=vendor_body())
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestVendors:
    def test_put_creates_the_vendor_and_returns_it(self, admin: TestClient) -> None:
        response = admin.put("/v1/vendors/ven_halfacre", json=vendor_body())

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == "ven_halfacre"
        assert body["type"] == "brand"
        assert body["platformFeePercent"] == 12.5
        assert body["stripeAccountId"] == "acct_1HalfAcre"

    def test_put_twice_is_idempotent_and_get_returns_the_stored_vendor(
        self, admin: TestClient
    ) -> None:
        first = admin.put("/v1/vendors/ven_halfacre", json=vendor_body()).json()
        second = admin.put("/v1/vendors/ven_halfacre", json=vendor_body()).json()
        fetched = admin.get("/v1/vendors/ven_halfacre").json()

        assert first["createdAt"] == second["createdAt"] == fetched["createdAt"]
        assert {k: v for k, v in second.items() if k != "updatedAt"} == {
            k: v for k, v in fetched.items() if k != "updatedAt"
        }

    def test_put_replaces_the_fields(self, admin: TestClient, vendor: dict[str, Any]) -> None:
        response = admin.put(
            "/v1/vendors/ven_halfacre",
            json={"name": "Half Acre Distribution", "type": "distributor"},
        )

        assert response.json()["type"] == "distributor"
        assert response.json()["platformFeePercent"] is None
        assert admin.get("/v1/vendors/ven_halfacre").json()["name"] == "Half Acre Distribution"

    @pytest.mark.parametrize(
        "overrides",
        [
            {"type": "wholesaler"},
            {"platformFeePercent": 12.345},
            {"platformFeePercent": -1},
            {"platformFeePercent": 101},
            {"name": ""},
            {"stripeAccountId": "not-an-account"},
            {"name": "Half\u0000Acre"},
            {"unexpected": True},
        ],
    )
    def test_invalid_vendors_are_refused_and_change_nothing(
        self, admin: TestClient, vendor: dict[str, Any], overrides: dict[str, Any]
    ) -> None:
        response = admin.put("/v1/vendors/ven_halfacre", json=vendor_body(**overrides))

        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert admin.get("/v1/vendors/ven_halfacre").json() == vendor

    def test_a_vendor_token_may_not_write(self, client_for: ClientFactory) -> None:
        vendor_client = client_for("vendor", "v-user", vendor_id="ven_halfacre")

        assert vendor_client.put("/v1/vendors/ven_halfacre", json=vendor_body()).status_code == 403

    def test_no_token_is_401(self, anonymous: TestClient) -> None:
        assert anonymous.get("/v1/vendors/ven_halfacre").status_code == 401
        assert anonymous.put("/v1/vendors/ven_halfacre", json=vendor_body()).status_code == 401

    def test_any_role_may_read(self, client_for: ClientFactory, vendor: dict[str, Any]) -> None:
        response = client_for("customer", "cus_1").get("/v1/vendors/ven_halfacre")

        assert response.status_code == 200
        assert response.json()["name"] == vendor["name"]

    def test_an_unknown_vendor_is_404(self, admin: TestClient) -> None:
        response = admin.get("/v1/vendors/ven_nope")

        assert response.status_code == 404
        assert response.json()["code"] == "vendor_not_found"

    def test_a_malformed_id_is_422(self, admin: TestClient) -> None:
        assert admin.put("/v1/vendors/bad id!", json=vendor_body()).status_code == 422


class TestHubs:
    def test_put_creates_the_hub_with_money_in_dollars(self, admin: TestClient) -> None:
        response = admin.put("/v1/hubs/hub_loop", json=hub_body())

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["location"] == {"lat": 41.8826, "lng": -87.6233}
        assert body["openingHours"] == {"mon": ["09:00", "21:00"], "sat": ["10:00", "22:00"]}
        assert (body["deliveryBaseFee"], body["deliveryPerKmFee"]) == (4.99, 0.6)
        assert body["expressSurcharge"] == 7.5
        assert body["webhookUrl"] == "https://hub.example.com/hooks"
        assert body["webhookSecretSet"] is True

    def test_the_webhook_secret_is_never_returned(self, admin: TestClient) -> None:
        put = admin.put("/v1/hubs/hub_loop", json=hub_body())
        got = admin.get("/v1/hubs/hub_loop")

        assert "s3cret" not in put.text
        assert "s3cret" not in got.text

    def test_a_put_without_the_secret_keeps_the_one_set(self, admin: TestClient) -> None:
        admin.put("/v1/hubs/hub_loop", json=hub_body())
        body = hub_body()
        del body["webhookSecret"]

        assert admin.put("/v1/hubs/hub_loop", json=body).json()["webhookSecretSet"] is True

    def test_others_see_the_hub_without_its_webhook(
        self, admin: TestClient, client_for: ClientFactory
    ) -> None:
        admin.put("/v1/hubs/hub_loop", json=hub_body())

        body = client_for("customer", "cus_1").get("/v1/hubs/hub_loop").json()

        assert body["name"] == "Loop"
        assert body["webhookUrl"] is None
        assert body["webhookSecretSet"] is None

    @pytest.mark.parametrize(
        "overrides",
        [
            {"location": {"lat": 91, "lng": -87.6}},
            {"location": {"lat": 41.8, "lng": -181}},
            {"openingHours": {"mon": ["9:00", "21:00"]}},
            {"openingHours": {"mon": ["21:00", "09:00"]}},
            {"openingHours": {"mon": ["09:00", "24:00"]}},
            {"openingHours": {"someday": ["09:00", "21:00"]}},
            {"openingHours": {"mon": ["09:00"]}},
            {"timezone": "Mars/Olympus_Mons"},
            {"deliveryBaseFee": -1},
            {"deliveryPerKmFee": 0.123},
            {"dailyCapacity": -5},
            {"serviceRadiusKm": 0},
            {"expressCutoff": "8pm"},
            {"webhookUrl": "not a url"},
            {"webhookSecret": "short"},
            {"address": {"line1": "x", "city": "Chicago"}},
            {"expressSurcharge": 100000},
            {"name": "Loop\nHub"},
        ],
    )
    def test_invalid_hubs_are_refused_and_change_nothing(
        self, admin: TestClient, overrides: dict[str, Any]
    ) -> None:
        stored = admin.put("/v1/hubs/hub_loop", json=hub_body()).json()

        response = admin.put("/v1/hubs/hub_loop", json=hub_body(**overrides))

        assert response.status_code == 422, response.text
        assert response.json()["errors"]
        assert admin.get("/v1/hubs/hub_loop").json() == stored

    def test_a_hub_token_may_not_write(self, client_for: ClientFactory) -> None:
        hub_client = client_for("hub", "h-user", hub_id="hub_loop")

        assert hub_client.put("/v1/hubs/hub_loop", json=hub_body()).status_code == 403

    def test_an_unknown_hub_is_404(self, admin: TestClient) -> None:
        assert admin.get("/v1/hubs/hub_nope").json()["code"] == "hub_not_found"


class TestVariants:
    def test_put_creates_the_variant(self, admin: TestClient, vendor: dict[str, Any]) -> None:
        response = admin.put("/v1/variants/var_daisy", json=variant_body(vendor["id"]))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["price"] == 12.99
        assert body["minimumAge"] == 21
        assert body["active"] is True
        assert admin.get("/v1/variants/var_daisy").json() == body

    def test_an_unknown_vendor_is_422(self, admin: TestClient) -> None:
        response = admin.put("/v1/variants/var_daisy", json=variant_body("ven_ghost"))

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "vendorId"
        assert admin.get("/v1/variants/var_daisy").status_code == 404

    def test_a_sku_of_another_variant_is_409(
        self, admin: TestClient, vendor: dict[str, Any]
    ) -> None:
        admin.put("/v1/variants/var_daisy", json=variant_body(vendor["id"]))

        response = admin.put("/v1/variants/var_other", json=variant_body(vendor["id"]))

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_sku"
        assert admin.get("/v1/variants/var_other").status_code == 404

    def test_the_same_variant_may_keep_its_sku(
        self, admin: TestClient, vendor: dict[str, Any]
    ) -> None:
        admin.put("/v1/variants/var_daisy", json=variant_body(vendor["id"]))

        response = admin.put("/v1/variants/var_daisy", json=variant_body(vendor["id"], price=13.49))

        assert response.status_code == 200
        assert response.json()["price"] == 13.49

    @pytest.mark.parametrize(
        "overrides",
        [
            {"price": -0.01},
            {"price": 1.001},
            {"price": "free"},
            {"price": 99999999999.99},
            {"title": "Daisy\u0000"},
            {"sku": ""},
            {"sku": "has space"},
            {"minimumAge": 12},
            {"ageRestricted": "maybe"},
        ],
    )
    def test_invalid_variants_are_refused(
        self, admin: TestClient, vendor: dict[str, Any], overrides: dict[str, Any]
    ) -> None:
        response = admin.put("/v1/variants/var_daisy", json=variant_body(vendor["id"], **overrides))

        assert response.status_code == 422
        assert admin.get("/v1/variants/var_daisy").status_code == 404


class TestLists:
    def test_pages_follow_the_cursor_to_the_end(
        self, admin: TestClient, vendor: dict[str, Any]
    ) -> None:
        for n in range(5):
            admin.put(f"/v1/variants/var_{n}", json=variant_body(vendor["id"], sku=f"SKU-{n}"))

        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = admin.get("/v1/variants", params=params).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                break

        assert seen == [f"var_{n}" for n in range(5)]

    def test_vendors_and_hubs_are_listed(self, admin: TestClient, vendor: dict[str, Any]) -> None:
        admin.put("/v1/hubs/hub_loop", json=hub_body())

        assert [v["id"] for v in admin.get("/v1/vendors").json()["items"]] == ["ven_halfacre"]
        assert admin.get("/v1/hubs").json() == {
            "items": [admin.get("/v1/hubs/hub_loop").json()],
            "nextCursor": None,
        }

    def test_a_bad_cursor_or_limit_is_a_4xx(self, admin: TestClient) -> None:
        assert admin.get("/v1/vendors", params={"cursor": "%%%"}).status_code == 400
        assert admin.get("/v1/vendors", params={"limit": 0}).status_code == 422
        assert admin.get("/v1/vendors", params={"limit": 1000}).status_code == 422
