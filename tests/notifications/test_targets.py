"""``PUT/GET /v1/customers/{customerId}/notification-target``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory

PATH = "/v1/customers/cus_alice/notification-target"


def target(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "alice@example.com",
        "webhookUrl": "https://example.com/hooks",
        "webhookSecret": "whsec_0123456789abcdef",
        "emailEnabled": True,
        "webhookEnabled": True,
    }
    body.update(overrides)
    return body


class TestSettingATarget:
    def test_the_customer_sets_and_reads_its_own_target_without_the_secret(
        self, customer: TestClient
    ) -> None:
        put = customer.put(PATH, json=target())
        assert put.status_code == 200, put.text
        got = customer.get(PATH).json()
        assert got["email"] == "alice@example.com"
        assert got["hasWebhookSecret"] is True
        assert "webhookSecret" not in got

    def test_an_update_without_a_secret_keeps_the_stored_one(self, customer: TestClient) -> None:
        customer.put(PATH, json=target())
        body = target(emailEnabled=False)
        del body["webhookSecret"]
        response = customer.put(PATH, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["hasWebhookSecret"] is True
        assert response.json()["emailEnabled"] is False

    def test_the_admin_may_set_any_customers_target(self, admin: TestClient) -> None:
        assert admin.put(PATH, json=target()).status_code == 200

    def test_another_customers_target_is_not_found(self, client_for: ClientFactory) -> None:
        mallory = client_for("customer", "cus_mallory")
        assert mallory.put(PATH, json=target()).status_code == 404
        assert mallory.get(PATH).status_code == 404

    def test_a_hub_token_is_forbidden(self, client_for: ClientFactory) -> None:
        hub = client_for("hub", "h", hub_id="hub_1")
        assert hub.put(PATH, json=target()).status_code == 403

    def test_no_target_yet_is_a_404_problem(self, customer: TestClient) -> None:
        response = customer.get(PATH)
        assert response.status_code == 404
        assert response.json()["code"] == "notification_target_not_found"


class TestInvalidTargets:
    def test_an_enabled_webhook_needs_a_url_and_a_secret(self, customer: TestClient) -> None:
        response = customer.put(
            PATH, json=target(webhookUrl=None, webhookSecret=None, webhookEnabled=True)
        )
        assert response.status_code == 422
        codes = {e["code"] for e in response.json()["errors"]}
        assert {"webhook_url_required", "webhook_secret_required"} <= codes

    def test_a_webhook_url_must_be_http(self, customer: TestClient) -> None:
        response = customer.put(PATH, json=target(webhookUrl="ftp://example.com/x"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "webhookUrl"

    def test_an_enabled_email_needs_an_address(self, customer: TestClient) -> None:
        response = customer.put(PATH, json=target(email=None))
        assert response.status_code == 422
        assert customer.get(PATH).status_code == 404  # nothing stored
