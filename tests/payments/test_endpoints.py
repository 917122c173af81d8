"""HTTP: Stripe webhooks, admin refunds and the order ledger."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from orderflow.kit.clock import utcnow
from orderflow.orders.service import order_service
from orderflow.payments.tasks import process_payment, refund_payment, transfer_payouts
from orderflow.runtime import Runtime
from tests.fakes.stripe_server import FakeStripe
from tests.payments import helpers as h
from tests.payments.factories import PlacedOrder, brand_and_distributor, create_order

WEBHOOK = "/v1/payments/stripe/webhook"


def placed_order(runtime: Runtime, pm: str = "pm_card_visa") -> PlacedOrder:
    brand, distributor = brand_and_distributor(runtime.db)
    return create_order(
        runtime.db,
        lines=[(brand, 2_000, 5), (distributor, 1_000, 5)],
        delivery_fee=599,
        payment_method_id=pm,
    )


class TestStripeWebhooks:
    pytestmark = pytest.mark.parametrize("gateway_name", ["stripe"])

    def test_an_unsigned_event_is_refused_and_not_stored(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        event = stripe_fake.event(
            "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"}
        )
        response = anonymous.post(WEBHOOK, content=json.dumps(event))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_webhook"
        assert h.webhook_events(runtime.db) == []

    def test_a_tampered_event_is_refused_and_not_stored(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        event = stripe_fake.event(
            "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"}
        )
        payload, headers = stripe_fake.signed(event)
        tampered = payload.replace(b"pi_x", b"pi_y")
        assert anonymous.post(WEBHOOK, content=tampered, headers=headers).status_code == 400
        assert h.webhook_events(runtime.db) == []

    def test_an_event_signed_with_another_secret_is_refused(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        event = stripe_fake.event("charge.refunded", {"id": "ch_x", "object": "charge"})
        payload, headers = stripe_fake.signed(event, secret="whsec_someone_else")
        assert anonymous.post(WEBHOOK, content=payload, headers=headers).status_code == 400
        assert h.webhook_events(runtime.db) == []

    def test_a_completed_authentication_confirms_the_order_once_even_when_replayed(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        placed = placed_order(runtime, "pm_card_requires_action")
        process_payment(runtime, order_id=placed.id)
        (payment,) = h.payments(runtime.db, placed.id)
        intent = stripe_fake.complete_authentication(payment.payment_intent_id or "")
        payload, headers = stripe_fake.signed(stripe_fake.event("payment_intent.succeeded", intent))

        first = anonymous.post(WEBHOOK, content=payload, headers=headers)
        assert first.status_code == 200 and first.json() == {"received": True, "duplicate": False}
        assert h.order(runtime.db, placed.id).status == "confirmed"
        ledger_before = h.balances(runtime.db, placed.id)

        replay = anonymous.post(WEBHOOK, content=payload, headers=headers)
        assert replay.json() == {"received": True, "duplicate": True}
        assert len(h.webhook_events(runtime.db)) == 1
        assert h.balances(runtime.db, placed.id) == ledger_before
        assert len(h.jobs(runtime.db, "payments.transfer")) == 1

        transfer_payouts(runtime, order_id=placed.id)
        transfer_payouts(runtime, order_id=placed.id)
        assert len(stripe_fake.state.transfers) == 2
        assert len(stripe_fake.state.charges) == 1
        assert h.imbalances(runtime.db, placed.id) == []

    def test_a_payment_completed_after_the_order_was_cancelled_is_refunded_in_full(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        placed = placed_order(runtime, "pm_card_requires_action")
        process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            order_service.fail(s, placed.id, reason="customer gave up", now=utcnow())
        (payment,) = h.payments(runtime.db, placed.id)
        intent = stripe_fake.complete_authentication(payment.payment_intent_id or "")
        payload, headers = stripe_fake.signed(stripe_fake.event("payment_intent.succeeded", intent))
        assert anonymous.post(WEBHOOK, content=payload, headers=headers).status_code == 200
        (refund,) = h.refunds(runtime.db, placed.id)
        assert refund.amount == placed.total_amount
        refund_payment(runtime, refund_id=refund.id)
        (charge,) = stripe_fake.state.charges.values()
        assert charge["amount_refunded"] == placed.total_amount
        assert h.order(runtime.db, placed.id).status == "cancelled"
        assert h.imbalances(runtime.db, placed.id) == []

    def test_a_failed_authentication_cancels_the_order(
        self, runtime: Runtime, anonymous: TestClient, stripe_fake: FakeStripe
    ) -> None:
        placed = placed_order(runtime, "pm_card_requires_action")
        process_payment(runtime, order_id=placed.id)
        (payment,) = h.payments(runtime.db, placed.id)
        intent = dict(stripe_fake.state.payment_intents[payment.payment_intent_id or ""])
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "code": "payment_intent_authentication_failure",
                "message": "3DS failed",
            },
        )
        payload, headers = stripe_fake.signed(
            stripe_fake.event("payment_intent.payment_failed", intent)
        )
        assert anonymous.post(WEBHOOK, content=payload, headers=headers).status_code == 200
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status) == ("cancelled", "failed")


@pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])
class TestAdminRefunds:
    def test_an_admin_refunds_part_of_an_order(self, runtime: Runtime, admin: TestClient) -> None:
        placed = placed_order(runtime)
        process_payment(runtime, order_id=placed.id)
        response = admin.post(
            f"/v1/orders/{placed.id}/refunds",
            json={"amount": 20.00, "reason": "late delivery"},
            headers={"Idempotency-Key": "refund-1"},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["amount"] == 20.0 and body["reasonKind"] == "manual"
        assert sum(round(share["amount"] * 100) for share in body["allocation"]) == 2_000
        again = admin.post(
            f"/v1/orders/{placed.id}/refunds",
            json={"amount": 20.00, "reason": "late delivery"},
            headers={"Idempotency-Key": "refund-1"},
        )
        assert again.json()["id"] == body["id"]
        assert len(h.refunds(runtime.db, placed.id)) == 1

    def test_a_refund_above_the_captured_amount_is_a_422(
        self, runtime: Runtime, admin: TestClient
    ) -> None:
        placed = placed_order(runtime)
        process_payment(runtime, order_id=placed.id)
        response = admin.post(
            f"/v1/orders/{placed.id}/refunds", json={"amount": 155.99 + 0.01, "reason": "too much"}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "refund_exceeds_captured"
        assert h.refunds(runtime.db, placed.id) == []

    def test_a_refund_of_an_unpaid_order_is_a_422(
        self, runtime: Runtime, admin: TestClient
    ) -> None:
        placed = placed_order(runtime)
        response = admin.post(f"/v1/orders/{placed.id}/refunds", json={"amount": 1, "reason": "x"})
        assert response.status_code == 422

    def test_only_an_admin_may_refund(
        self, runtime: Runtime, client_for: Callable[..., TestClient]
    ) -> None:
        placed = placed_order(runtime)
        customer = client_for("customer", "cus_alice")
        response = customer.post(
            f"/v1/orders/{placed.id}/refunds", json={"amount": 1, "reason": "x"}
        )
        assert response.status_code == 403


class TestOrderLedger:
    def test_the_admin_sees_balanced_entries_and_balances(
        self, runtime: Runtime, admin: TestClient
    ) -> None:
        placed = placed_order(runtime)
        process_payment(runtime, order_id=placed.id)
        response = admin.get(f"/v1/orders/{placed.id}/ledger")
        assert response.status_code == 200
        body = response.json()
        assert body["balanced"] is True and body["imbalances"] == []
        assert body["balances"]["delivery_revenue"] == -5.99
        assert {e["kind"] for e in body["entries"]} >= {
            "capture",
            "platform_fee",
            "vendor_transfer",
        }

    def test_an_unknown_order_is_a_404(self, admin: TestClient) -> None:
        assert admin.get("/v1/orders/ord_missing/ledger").status_code == 404
