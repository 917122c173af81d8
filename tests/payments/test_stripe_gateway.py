"""The Stripe gateway, driven through the official SDK against the fake Stripe server."""

from __future__ import annotations

import pytest

from orderflow.config import Settings
from orderflow.payments.gateway.base import Charge, GatewayRejected, GatewayUnavailable
from orderflow.payments.gateway.stripe import StripeGateway
from tests.fakes.stripe_server import FakeStripe


def gateway(fake: FakeStripe, *, retries: int = 0, timeout: float = 5.0) -> StripeGateway:
    return StripeGateway(
        Settings(
            payment_gateway="stripe",
            stripe_api_key=fake.api_key,
            stripe_api_base=fake.url,
            stripe_max_network_retries=retries,
            stripe_timeout_seconds=timeout,
        )
    )


def charge(
    pm: str = "pm_card_visa", *, key: str = "orderflow:pi:ord_1", capture: bool = True
) -> Charge:
    return Charge(
        order_id="ord_1",
        customer_id="cus_1",
        vendor_ids=("ven_a", "ven_b"),
        amount=12_345,
        currency="USD",
        payment_method_id=pm,
        capture=capture,
        idempotency_key=key,
        transfer_group="order_ord_1",
    )


class TestCharging:
    def test_a_good_card_is_charged_with_the_orders_transfer_group_and_metadata(
        self, stripe_fake: FakeStripe
    ) -> None:
        result = gateway(stripe_fake).charge(charge())
        assert result.status == "captured"
        intent = stripe_fake.state.payment_intents[result.intent_id]
        assert intent["transfer_group"] == "order_ord_1"
        assert intent["metadata"] == {
            "orderId": "ord_1",
            "customerId": "cus_1",
            "vendorIds": "ven_a,ven_b",
        }
        assert stripe_fake.state.charges[result.charge_id or ""]["amount_captured"] == 12_345

    def test_a_declined_card_is_a_failed_result_with_the_decline_code(
        self, stripe_fake: FakeStripe
    ) -> None:
        result = gateway(stripe_fake).charge(charge("pm_card_insufficient_funds"))
        assert result.status == "failed"
        assert result.failure_code == "insufficient_funds"
        assert result.intent_id.startswith("pi_")

    def test_a_card_needing_authentication_waits_in_requires_action(
        self, stripe_fake: FakeStripe
    ) -> None:
        assert (
            gateway(stripe_fake).charge(charge("pm_card_requires_action")).status
            == "requires_action"
        )

    def test_manual_capture_authorizes_then_captures(self, stripe_fake: FakeStripe) -> None:
        gw = gateway(stripe_fake)
        result = gw.charge(charge(capture=False))
        assert result.status == "authorized"
        captured = gw.capture(
            result.intent_id, amount=12_345, idempotency_key="orderflow:capture:p1"
        )
        assert captured.status == "captured"


class TestIdempotency:
    def test_the_same_key_returns_the_same_payment_intent(self, stripe_fake: FakeStripe) -> None:
        gw = gateway(stripe_fake)
        assert gw.charge(charge()).intent_id == gw.charge(charge()).intent_id
        assert len(stripe_fake.state.payment_intents) == 1

    def test_the_same_key_with_other_parameters_is_refused(self, stripe_fake: FakeStripe) -> None:
        gw = gateway(stripe_fake)
        gw.charge(charge())
        with pytest.raises(GatewayRejected):
            gw.charge(charge("pm_card_mastercard"))

    def test_a_5xx_is_unavailable_and_changes_nothing(self, stripe_fake: FakeStripe) -> None:
        stripe_fake.fail_next(1, status=503)
        with pytest.raises(GatewayUnavailable):
            gateway(stripe_fake).charge(charge())
        assert stripe_fake.state.payment_intents == {}

    def test_a_lost_response_retried_with_the_same_key_charges_once(
        self, stripe_fake: FakeStripe
    ) -> None:
        stripe_fake.fail_next(1, status=502, after_processing=True)
        gw = gateway(stripe_fake)
        with pytest.raises(GatewayUnavailable):
            gw.charge(charge())
        assert gw.charge(charge()).status == "captured"
        assert len(stripe_fake.state.charges) == 1

    def test_the_sdk_retries_a_timeout_with_the_same_key(self, stripe_fake: FakeStripe) -> None:
        stripe_fake.delay_next(1, 0.6)
        result = gateway(stripe_fake, retries=1, timeout=0.3).charge(charge())
        assert result.status == "captured"
        assert len(stripe_fake.state.charges) == 1
        keys = {c["idempotencyKey"] for c in stripe_fake.calls("POST", "/payment_intents")}
        assert keys == {"orderflow:pi:ord_1"}


class TestTransfersRefundsReversals:
    def test_transfer_refund_and_reversal(self, stripe_fake: FakeStripe) -> None:
        gw = gateway(stripe_fake)
        paid = gw.charge(charge())
        transfer = gw.transfer(
            amount=10_000,
            currency="USD",
            destination="acct_vendor",
            transfer_group="order_ord_1",
            source_transaction=paid.charge_id,
            metadata={"subOrderId": "so_1"},
            idempotency_key="orderflow:transfer:so_1",
        )
        gw.refund(
            paid.intent_id, amount=5_000, metadata={}, idempotency_key="orderflow:refund:re_1"
        )
        gw.reverse_transfer(
            transfer.id, amount=4_000, metadata={}, idempotency_key="orderflow:reversal:r1"
        )
        state = stripe_fake.state
        assert state.transfers[transfer.id]["amount_reversed"] == 4_000
        assert state.transfers[transfer.id]["source_transaction"] == paid.charge_id
        assert state.charges[paid.charge_id or ""]["amount_refunded"] == 5_000

    def test_a_refund_above_the_charge_is_rejected(self, stripe_fake: FakeStripe) -> None:
        gw = gateway(stripe_fake)
        paid = gw.charge(charge())
        with pytest.raises(GatewayRejected):
            gw.refund(
                paid.intent_id, amount=20_000, metadata={}, idempotency_key="orderflow:refund:x"
            )
