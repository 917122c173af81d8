"""Which stage allows a cancel, a change or a return (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderflow.changes import rules
from orderflow.orders.state import OrderStatus, is_cancellable

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class TestOrderCancellation:
    @pytest.mark.parametrize("status", ["pending", "confirmed", "processing", "packed"])
    def test_an_order_before_the_door_can_be_cancelled(self, status: str) -> None:
        assert rules.cancel_refusal(status) is None

    @pytest.mark.parametrize("status", ["out_for_delivery", "delivered", "cancelled", "refunded"])
    def test_the_seed_stages_are_refused_with_a_reason(self, status: str) -> None:
        reason = rules.cancel_refusal(status)
        assert reason and "order" in reason

    def test_the_rule_matches_the_order_state_table(self) -> None:
        for status in OrderStatus:
            assert (rules.cancel_refusal(status) is None) == is_cancellable(status)


class TestSubOrderCancellation:
    def test_a_sub_order_whose_parcels_are_at_the_hub_can_be_cancelled(self) -> None:
        assert rules.sub_order_cancel_refusal("processing", ["pending", "packed"]) is None

    def test_a_parcel_out_for_delivery_blocks_it(self) -> None:
        reason = rules.sub_order_cancel_refusal("confirmed", ["pending", "out_for_delivery"])
        assert reason == "a parcel of this sub-order is already out for delivery"

    def test_a_cancelled_sub_order_is_refused(self) -> None:
        assert rules.sub_order_cancel_refusal("cancelled", []) == (
            "this sub-order is already cancelled"
        )


class TestReturnWindow:
    def test_within_the_window_a_return_is_allowed(self) -> None:
        delivered = NOW - timedelta(days=29)
        assert rules.return_window_refusal(delivered, now=NOW, window_days=30) is None

    def test_after_the_window_it_is_refused_with_the_closing_date(self) -> None:
        delivered = NOW - timedelta(days=31)
        reason = rules.return_window_refusal(delivered, now=NOW, window_days=30)
        assert reason is not None and "2026-12-04" in reason

    def test_undelivered_goods_cannot_be_returned(self) -> None:
        assert rules.return_window_refusal(None, now=NOW, window_days=30)


class TestPaymentStage:
    def test_before_any_charge_and_after_capture_amounts_may_change(self) -> None:
        assert rules.payment_refusal("pending", charge_started=False) is None
        assert rules.payment_refusal("captured", charge_started=True) is None
        assert rules.payment_refusal("partially_refunded", charge_started=True) is None

    @pytest.mark.parametrize(
        ("status", "started"),
        [("pending", True), ("requires_action", True), ("authorized", True), ("voided", True)],
    )
    def test_while_the_gateway_holds_the_amount_they_may_not(
        self, status: str, started: bool
    ) -> None:
        assert rules.payment_refusal(status, charge_started=started)
