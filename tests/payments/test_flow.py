"""The ``payments.process`` flow on the built-in gateway and on Stripe (through the fake)."""

from __future__ import annotations

import threading

import pytest

from orderflow.db.models import SubOrder, Vendor
from orderflow.kit.clock import utcnow
from orderflow.payments.errors import RefundExceedsCaptured
from orderflow.payments.service import payment_service
from orderflow.payments.tasks import (
    TASKS,
    capture_payment,
    charge_adjustment,
    compensate_payment,
    process_payment,
    refund_payment,
)
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError, TransientError
from tests.factories import get_stock
from tests.fakes.stripe_server import FakeStripe
from tests.payments import helpers as h
from tests.payments.factories import PlacedOrder, brand_and_distributor, create_order

both_gateways = pytest.mark.parametrize("gateway_name", ["builtin", "stripe"])


def brand_distributor_order(
    runtime: Runtime, **kwargs: object
) -> tuple[PlacedOrder, Vendor, Vendor]:
    brand, distributor = brand_and_distributor(runtime.db)
    placed = create_order(
        runtime.db,
        lines=[(brand, 2_000, 5), (distributor, 1_000, 5)],  # 100.00 + 50.00
        delivery_fee=599,
        **kwargs,  # type: ignore[arg-type]
    )
    return placed, brand, distributor


@both_gateways
class TestACardThatWorks:
    def test_the_order_is_charged_once_and_confirmed(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        (payment,) = h.payments(runtime.db, placed.id)
        assert (payment.status, payment.captured_amount) == ("captured", 15_599)
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status, order.pipeline_step) == (
            "confirmed",
            "captured",
            "fulfil",
        )
        assert [j.dedupe_key for j in h.jobs(runtime.db, "fulfillment.create")] == [
            f"fulfillment:{placed.id}"
        ]

    def test_each_vendor_gets_one_transfer_with_its_fee_taken(self, runtime: Runtime) -> None:
        placed, brand, distributor = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        paid = {t.vendor_id: (t.amount, t.status) for t in h.transfers(runtime.db, placed.id)}
        # brand 15 % of 100.00, distributor 8 % of 50.00
        assert paid == {brand.id: (8_500, "paid"), distributor.id: (4_600, "paid")}

    def test_the_ledger_balances_and_shows_fees_delivery_and_payouts(
        self, runtime: Runtime
    ) -> None:
        placed, brand, distributor = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        assert h.imbalances(runtime.db, placed.id) == []
        assert h.balances(runtime.db, placed.id) == {
            "gateway_clearing": 15_599 - 8_500 - 4_600,
            "platform_revenue": -(1_500 + 400),
            "delivery_revenue": -599,
            f"vendor_payable:{brand.id}": -8_500,
            f"vendor_paid:{brand.id}": 8_500,
            f"vendor_payable:{distributor.id}": -4_600,
            f"vendor_paid:{distributor.id}": 4_600,
        }

    def test_running_the_job_again_changes_nothing(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        before = h.balances(runtime.db, placed.id)
        process_payment(runtime, order_id=placed.id)
        assert len(h.payments(runtime.db, placed.id)) == 1
        assert len(h.transfers(runtime.db, placed.id)) == 2
        assert h.balances(runtime.db, placed.id) == before


class TestStripeConnect:
    pytestmark = pytest.mark.parametrize("gateway_name", ["stripe"])

    def test_one_payment_intent_and_one_transfer_per_vendor_in_the_orders_group(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, brand, distributor = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        (intent,) = stripe_fake.state.payment_intents.values()
        assert intent["amount"] == 15_599
        assert intent["transfer_group"] == f"order_{placed.id}"
        assert intent["metadata"]["orderId"] == placed.id
        transfers = sorted(stripe_fake.state.transfers.values(), key=lambda t: t["amount"])
        assert [(t["amount"], t["destination"]) for t in transfers] == [
            (4_600, distributor.stripe_account_id),
            (8_500, brand.stripe_account_id),
        ]
        assert {t["transfer_group"] for t in transfers} == {f"order_{placed.id}"}
        assert {t["source_transaction"] for t in transfers} == {intent["latest_charge"]}

    def test_every_call_carries_a_deterministic_idempotency_key(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        keys = sorted(r["idempotencyKey"] for r in stripe_fake.state.requests)
        assert keys == sorted(
            [f"orderflow:pi:{placed.id}"]
            + [f"orderflow:transfer:{sub}" for sub in placed.sub_order_ids.values()]
        )

    def test_a_lost_charge_response_is_retried_without_charging_twice(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        stripe_fake.fail_next(1, status=502, after_processing=True)
        with pytest.raises(TransientError):
            process_payment(runtime, order_id=placed.id)
        assert h.order(runtime.db, placed.id).status == "pending"
        process_payment(runtime, order_id=placed.id)
        assert len(stripe_fake.state.charges) == 1
        assert len(stripe_fake.state.transfers) == 2
        assert h.order(runtime.db, placed.id).status == "confirmed"

    def test_a_failed_transfer_call_is_retried_without_paying_twice(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        stripe_fake.fail_next(1, status=500, after_processing=True, path="/transfers")
        with pytest.raises(TransientError):
            process_payment(runtime, order_id=placed.id)
        process_payment(runtime, order_id=placed.id)
        assert len(stripe_fake.state.transfers) == 2
        assert all(t.status == "paid" for t in h.transfers(runtime.db, placed.id))
        assert h.imbalances(runtime.db, placed.id) == []

    def test_manual_capture_takes_the_money_at_the_capture_job(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        runtime.settings.capture_policy = "manual"
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        assert h.order(runtime.db, placed.id).payment_status == "authorized"
        assert stripe_fake.state.transfers == {}
        capture_payment(runtime, order_id=placed.id)
        (intent,) = stripe_fake.state.payment_intents.values()
        assert intent["status"] == "succeeded"
        assert len(stripe_fake.state.transfers) == 2
        assert h.imbalances(runtime.db, placed.id) == []
        assert h.balances(runtime.db, placed.id).get("authorization_hold", 0) == 0


@both_gateways
class TestADeclinedCard:
    def test_the_order_is_cancelled_and_its_stock_released(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(runtime, payment_method_id="pm_card_declined")
        assert get_stock(runtime.db, placed.hub_id, placed.variant_ids[0]) == (10, 5)
        with pytest.raises(PermanentError):
            process_payment(runtime, order_id=placed.id)
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status) == ("cancelled", "failed")
        assert "declined" in (order.cancel_reason or "")
        assert get_stock(runtime.db, placed.hub_id, placed.variant_ids[0]) == (10, 0)
        assert h.transfers(runtime.db, placed.id) == []
        assert h.balances(runtime.db, placed.id) == {}

    def test_insufficient_funds_is_recorded_as_the_failure_code(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(
            runtime, payment_method_id="pm_card_insufficient_funds"
        )
        with pytest.raises(PermanentError):
            process_payment(runtime, order_id=placed.id)
        (payment,) = h.payments(runtime.db, placed.id)
        assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")


@both_gateways
class TestACardNeedingAuthentication:
    def test_the_order_stays_pending_with_the_payment_requiring_action(
        self, runtime: Runtime
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime, payment_method_id="pm_card_requires_action")
        process_payment(runtime, order_id=placed.id)
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status) == ("pending", "requires_action")

    def test_an_authentication_never_completed_expires_and_cancels_the_order(
        self, runtime: Runtime
    ) -> None:
        runtime.settings.payment_action_timeout_seconds = 0
        placed, _, _ = brand_distributor_order(runtime, payment_method_id="pm_card_requires_action")
        process_payment(runtime, order_id=placed.id)
        with pytest.raises(PermanentError):
            process_payment(runtime, order_id=placed.id)
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status) == ("cancelled", "voided")


@both_gateways
class TestRefunds:
    def test_a_partial_refund_takes_back_each_vendors_share_in_proportion(
        self, runtime: Runtime
    ) -> None:
        placed, brand, distributor = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            refund = payment_service.refund(
                s,
                order_id=placed.id,
                amount=7_799,
                allocation=None,
                reason="half the order was refused",
                reason_kind="return",
                now=utcnow(),
            )
        _complete(runtime, refund.id)
        reversed_by_vendor = {
            t.vendor_id: t.reversed_amount for t in h.transfers(runtime.db, placed.id)
        }
        # 7 799 of 15 599 split by what each sub-order was paid (10 384 / 5 215 with delivery)
        assert sum(reversed_by_vendor.values()) < 7_799
        assert reversed_by_vendor[brand.id] == pytest.approx(8_500 * 7_799 / 15_599, abs=2)
        assert reversed_by_vendor[distributor.id] == pytest.approx(4_600 * 7_799 / 15_599, abs=2)
        assert h.order(runtime.db, placed.id).refunded_amount == 7_799
        assert h.order(runtime.db, placed.id).payment_status == "partially_refunded"
        assert h.imbalances(runtime.db, placed.id) == []

    def test_refunding_everything_returns_every_account_to_zero(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            outcome = payment_service.void_or_refund_all(
                s, order_id=placed.id, reason="customer cancelled", now=utcnow()
            )
        assert outcome.amount == 15_599 and outcome.refund_id is not None
        _complete(runtime, outcome.refund_id)
        assert h.balances(runtime.db, placed.id) == {}
        assert all(t.status == "reversed" for t in h.transfers(runtime.db, placed.id))
        assert h.order(runtime.db, placed.id).payment_status == "refunded"

    def test_a_refund_above_what_was_captured_is_refused_and_changes_nothing(
        self, runtime: Runtime
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        before = h.balances(runtime.db, placed.id)
        with pytest.raises(RefundExceedsCaptured), runtime.db.write() as s:
            payment_service.refund(
                s,
                order_id=placed.id,
                amount=15_600,
                allocation=None,
                reason="too much",
                reason_kind="manual",
                now=utcnow(),
            )
        assert h.refunds(runtime.db, placed.id) == []
        assert h.balances(runtime.db, placed.id) == before

    def test_voiding_an_uncaptured_authorization_takes_nothing(self, runtime: Runtime) -> None:
        runtime.settings.capture_policy = "manual"
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            outcome = payment_service.void_or_refund_all(
                s, order_id=placed.id, reason="customer cancelled", now=utcnow()
            )
        assert (outcome.refund_id, outcome.amount) == (None, 0)
        (payment,) = h.payments(runtime.db, placed.id)
        assert payment.status == "voided"
        assert h.balances(runtime.db, placed.id) == {}


def _complete(runtime: Runtime, refund_id: str) -> None:
    """Run the ``payments.refund`` job the Stripe path enqueued (a no-op when done already)."""
    refund_payment(runtime, refund_id=refund_id)


@both_gateways
class TestExtraCharges:
    def test_an_extra_charge_pays_the_vendor_its_share_less_its_fee(self, runtime: Runtime) -> None:
        placed, brand, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        brand_sub = placed.sub_order_ids[brand.id]
        with runtime.db.write() as s:
            payment = payment_service.charge_extra(
                s,
                order_id=placed.id,
                amount=2_100,
                reason="one more bottle",
                now=utcnow(),
                allocation={brand_sub: 2_000},
            )
        if runtime.settings.payment_gateway == "stripe":
            charge_adjustment(runtime, payment_id=payment.id)
        adjustment = next(p for p in h.payments(runtime.db, placed.id) if p.kind == "adjustment")
        assert (adjustment.status, adjustment.captured_amount) == ("captured", 2_100)
        extra = [t for t in h.transfers(runtime.db, placed.id) if t.payment_id == adjustment.id]
        assert [(t.vendor_id, t.amount, t.status) for t in extra] == [(brand.id, 1_700, "paid")]
        assert h.imbalances(runtime.db, placed.id) == []
        assert h.balances(runtime.db, placed.id)["delivery_revenue"] == -(599 + 100)

    def test_refunding_everything_after_an_extra_charge_reverses_both_transfers(
        self, runtime: Runtime
    ) -> None:
        placed, brand, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        brand_sub = placed.sub_order_ids[brand.id]
        with runtime.db.write() as s:
            payment = payment_service.charge_extra(
                s,
                order_id=placed.id,
                amount=2_100,
                reason="one more bottle",
                now=utcnow(),
                allocation={brand_sub: 2_000},
            )
            # what the modification (engineer G) records on the sub-order with the charge
            sub = s.get(SubOrder, brand_sub)
            assert sub is not None
            sub.subtotal_amount += 2_000
            sub.platform_fee_amount += 300
            sub.vendor_payout_amount += 1_700
            sub.delivery_fee_share_amount += 100
        if runtime.settings.payment_gateway == "stripe":
            charge_adjustment(runtime, payment_id=payment.id)
        with runtime.db.write() as s:
            outcome = payment_service.void_or_refund_all(
                s, order_id=placed.id, reason="cancelled", now=utcnow()
            )
        assert outcome.amount == 15_599 + 2_100
        for refund in h.refunds(runtime.db, placed.id):
            refund_payment(runtime, refund_id=refund.id)
        assert all(t.reversed_amount == t.amount for t in h.transfers(runtime.db, placed.id))
        assert h.balances(runtime.db, placed.id) == {}


class TestConcurrentRefunds:
    def test_two_racing_refunds_never_take_more_than_was_captured(self, runtime: Runtime) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        barrier = threading.Barrier(2)
        results: list[str] = []

        def refund() -> None:
            barrier.wait()
            try:
                runtime.db.run_write(
                    lambda s: payment_service.refund(
                        s,
                        order_id=placed.id,
                        amount=10_000,
                        allocation=None,
                        reason="race",
                        reason_kind="manual",
                        now=utcnow(),
                    )
                )
                results.append("refunded")
            except RefundExceedsCaptured:
                results.append("refused")

        threads = [threading.Thread(target=refund) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["refunded", "refused"]
        (payment,) = h.payments(runtime.db, placed.id)
        assert payment.refunded_amount == 10_000
        assert h.imbalances(runtime.db, placed.id) == []


class TestStripeRefundEdges:
    pytestmark = pytest.mark.parametrize("gateway_name", ["stripe"])

    def test_a_refund_before_the_transfers_reverses_them_once_they_are_made(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        stripe_fake.fail_next(1, status=503, path="/transfers")
        with pytest.raises(TransientError):
            process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            outcome = payment_service.void_or_refund_all(
                s, order_id=placed.id, reason="customer cancelled", now=utcnow()
            )
        assert outcome.refund_id is not None
        refund_payment(runtime, refund_id=outcome.refund_id)
        process_payment(runtime, order_id=placed.id)  # the queue's retry makes the transfers
        transfers = stripe_fake.state.transfers.values()
        assert len(transfers) == 2
        assert all(t["amount_reversed"] == t["amount"] for t in transfers)
        assert h.balances(runtime.db, placed.id) == {}

    def test_a_refund_the_gateway_refuses_is_undone(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        before = h.balances(runtime.db, placed.id)
        with runtime.db.write() as s:
            refund = payment_service.refund(
                s,
                order_id=placed.id,
                amount=3_000,
                allocation=None,
                reason="goodwill",
                reason_kind="manual",
                now=utcnow(),
            )
        stripe_fake.fail_next(1, status=400, path="/refunds")
        with pytest.raises(PermanentError):
            refund_payment(runtime, refund_id=refund.id)
        (stored,) = h.refunds(runtime.db, placed.id)
        assert stored.status == "failed"
        (payment,) = h.payments(runtime.db, placed.id)
        assert (payment.status, payment.refunded_amount) == ("captured", 0)
        assert h.order(runtime.db, placed.id).payment_status == "captured"
        assert h.balances(runtime.db, placed.id) == before
        assert h.reversals(runtime.db, placed.id) and all(
            r.status == "cancelled" for r in h.reversals(runtime.db, placed.id)
        )
        assert stripe_fake.state.reversals == {}


@both_gateways
class TestCompensation:
    def test_a_payment_job_that_gave_up_refunds_what_it_took_and_cancels_the_order(
        self, runtime: Runtime
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        compensate_payment(runtime, reason="gave up", order_id=placed.id)
        for refund in h.refunds(runtime.db, placed.id):
            refund_payment(runtime, refund_id=refund.id)
        order = h.order(runtime.db, placed.id)
        assert (order.status, order.payment_status) == ("cancelled", "refunded")
        assert order.refunded_amount == placed.total_amount
        assert h.balances(runtime.db, placed.id) == {}
        assert get_stock(runtime.db, placed.hub_id, placed.variant_ids[0]) == (10, 0)


class TestJobsAsEnqueued:
    pytestmark = pytest.mark.parametrize("gateway_name", ["stripe"])

    def test_each_payments_job_runs_from_its_outbox_row(
        self, runtime: Runtime, stripe_fake: FakeStripe
    ) -> None:
        placed, _, _ = brand_distributor_order(runtime)
        process_payment(runtime, order_id=placed.id)
        with runtime.db.write() as s:
            payment_service.refund(
                s,
                order_id=placed.id,
                amount=1_000,
                allocation=None,
                reason="late",
                reason_kind="manual",
                now=utcnow(),
            )
            payment_service.void_or_refund_all(s, order_id=placed.id, reason="x", now=utcnow())
        rows = h.jobs(runtime.db, "payments.refund")
        assert len(rows) == 2
        for row in rows:
            TASKS[row.topic](runtime, **row.payload["kwargs"])
        assert sum(r["amount"] for r in stripe_fake.state.refunds.values()) == placed.total_amount
        assert all(
            t["amount_reversed"] == t["amount"] for t in stripe_fake.state.transfers.values()
        )
        assert h.balances(runtime.db, placed.id) == {}
