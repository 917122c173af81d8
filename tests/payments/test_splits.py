"""The money split rules (payments/splits.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.payments.splits import (
    RefundExceedsRemaining,
    RefundState,
    SplitInput,
    allocate_refund,
    compute_splits,
    fee_bps_for,
)

amounts = st.integers(min_value=0, max_value=10_000_000)
fees = st.integers(min_value=0, max_value=10_000)


@st.composite
def split_inputs(draw: st.DrawFn) -> list[SplitInput]:
    n = draw(st.integers(min_value=1, max_value=6))
    return [
        SplitInput(
            sub_order_id=f"so{i}",
            vendor_id=f"v{i}",
            vendor_type=draw(st.sampled_from(["brand", "distributor"])),
            subtotal_amount=draw(amounts),
            fee_bps=draw(fees),
        )
        for i in range(n)
    ]


class TestFeeRate:
    def test_a_brand_pays_the_brand_default(self) -> None:
        assert fee_bps_for("brand", None, brand_bps=1500, distributor_bps=800) == 1500

    def test_a_distributor_pays_the_distributor_default(self) -> None:
        assert fee_bps_for("distributor", None, brand_bps=1500, distributor_bps=800) == 800

    def test_a_vendor_override_wins_over_the_type_default(self) -> None:
        assert fee_bps_for("brand", 1000, brand_bps=1500, distributor_bps=800) == 1000

    def test_an_unknown_vendor_type_is_rejected(self) -> None:
        with pytest.raises(ValueError):
            fee_bps_for("retailer", None, brand_bps=1500, distributor_bps=800)


class TestSplits:
    def test_fee_and_payout_of_a_brand_and_a_distributor(self) -> None:
        brand, dist = compute_splits(
            [
                SplitInput("a", "vb", "brand", 10_000, 1500),
                SplitInput("b", "vd", "distributor", 5_000, 800),
            ],
            delivery_fee_amount=599,
        )
        assert (brand.platform_fee_amount, brand.vendor_payout_amount) == (1500, 8500)
        assert (dist.platform_fee_amount, dist.vendor_payout_amount) == (400, 4600)
        assert (brand.delivery_fee_share_amount, dist.delivery_fee_share_amount) == (399, 200)

    def test_the_fee_rounds_half_up_to_the_cent(self) -> None:
        (split,) = compute_splits(
            [SplitInput("a", "v", "brand", 1_003, 1500)], delivery_fee_amount=0
        )
        assert split.platform_fee_amount == 150  # 150.45 → 150
        (split,) = compute_splits(
            [SplitInput("a", "v", "brand", 1_010, 1500)], delivery_fee_amount=0
        )
        assert split.platform_fee_amount == 152  # 151.5 → 152

    @given(split_inputs(), amounts)
    def test_payouts_fees_and_delivery_shares_add_up_to_the_total_exactly(
        self, inputs: list[SplitInput], delivery: int
    ) -> None:
        splits = compute_splits(inputs, delivery_fee_amount=delivery)
        total = sum(
            s.vendor_payout_amount + s.platform_fee_amount + s.delivery_fee_share_amount
            for s in splits
        )
        assert total == sum(i.subtotal_amount for i in inputs) + delivery
        assert sum(s.delivery_fee_share_amount for s in splits) == delivery
        for s in splits:
            assert 0 <= s.platform_fee_amount <= s.subtotal_amount
            assert s.vendor_payout_amount + s.platform_fee_amount == s.subtotal_amount


class TestRefundAllocation:
    @given(split_inputs(), amounts, st.lists(st.integers(min_value=0, max_value=10**6), max_size=8))
    def test_repeated_refunds_never_give_back_more_than_was_paid_or_transferred(
        self, inputs: list[SplitInput], delivery: int, refunds: list[int]
    ) -> None:
        splits = compute_splits(inputs, delivery_fee_amount=delivery)
        states = {s.sub_order_id: RefundState.of(s) for s in splits}
        for wanted in [*refunds, 10**12]:  # the last one refunds everything that is left
            left = sum(s.remaining_amount for s in states.values())
            amount = min(wanted, left)
            shares = allocate_refund(amount, list(states.values()))
            assert sum(sh.customer_refund_amount for sh in shares.values()) == amount
            for sub_id, sh in shares.items():
                st_ = states[sub_id]
                assert sh.transfer_reversal_amount >= 0 and sh.fee_refunded_amount >= 0
                assert sh.delivery_refunded_amount >= 0
                states[sub_id] = RefundState(
                    sub_order_id=sub_id,
                    vendor_payout_amount=st_.vendor_payout_amount,
                    platform_fee_amount=st_.platform_fee_amount,
                    delivery_fee_share_amount=st_.delivery_fee_share_amount,
                    refunded_amount=st_.refunded_amount + sh.customer_refund_amount,
                    vendor_refunded_amount=st_.vendor_refunded_amount + sh.transfer_reversal_amount,
                    fee_refunded_amount=st_.fee_refunded_amount + sh.fee_refunded_amount,
                )
            for s in states.values():
                assert s.vendor_refunded_amount <= s.vendor_payout_amount
                assert s.fee_refunded_amount <= s.platform_fee_amount
                delivery_back = s.refunded_amount - s.vendor_refunded_amount - s.fee_refunded_amount
                assert delivery_back <= s.delivery_fee_share_amount
        for s in states.values():  # fully refunded: everyone gave back exactly their part
            assert s.remaining_amount == 0
            assert s.vendor_refunded_amount == s.vendor_payout_amount
            assert s.fee_refunded_amount == s.platform_fee_amount

    def test_a_half_refund_takes_half_from_the_vendor_and_half_from_the_fee(self) -> None:
        (split,) = compute_splits(
            [SplitInput("a", "v", "brand", 10_000, 1500)], delivery_fee_amount=0
        )
        share = allocate_refund(5_000, [split])["a"]
        assert share == (5_000, 4_250, 750)

    def test_an_explicit_allocation_is_respected(self) -> None:
        splits = compute_splits(
            [SplitInput("a", "v", "brand", 1_000, 0), SplitInput("b", "w", "brand", 1_000, 0)],
            delivery_fee_amount=0,
        )
        shares = allocate_refund(300, splits, allocation={"b": 300})
        assert shares["a"].customer_refund_amount == 0
        assert shares["b"] == (300, 300, 0)

    def test_a_refund_above_what_is_left_is_rejected(self) -> None:
        (split,) = compute_splits([SplitInput("a", "v", "brand", 1_000, 0)], delivery_fee_amount=0)
        with pytest.raises(RefundExceedsRemaining):
            allocate_refund(1_001, [split])

    def test_an_allocation_above_a_sub_orders_remainder_is_rejected(self) -> None:
        splits = compute_splits(
            [SplitInput("a", "v", "brand", 1_000, 0), SplitInput("b", "w", "brand", 1_000, 0)],
            delivery_fee_amount=0,
        )
        with pytest.raises(RefundExceedsRemaining):
            allocate_refund(1_500, splits, allocation={"a": 1_500})
