"""Refund math of returns and change sets (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderflow.changes.refunds import (
    ReturnableItem,
    SubOrderTarget,
    delivery_targets,
    return_refund,
    settle,
)


def _items() -> list[ReturnableItem]:
    return [
        ReturnableItem("i1", "s1", 1000, 2),
        ReturnableItem("i2", "s1", 500, 1),
        ReturnableItem("i3", "s2", 300, 3),
    ]


class TestReturnRefund:
    def test_returning_everything_refunds_the_whole_balance(self) -> None:
        refund = return_refund(_items(), {"s1": 2700, "s2": 1000}, {"i1": 2, "i2": 1, "i3": 3})
        assert refund.per_sub_order == {"s1": 2700, "s2": 1000}
        assert refund.total == 3700

    def test_a_partial_return_refunds_goods_plus_a_proportional_delivery_share(self) -> None:
        # s1: 2500 of goods and 200 of delivery; one unit of i1 is 1000/2500 of the goods.
        refund = return_refund(_items(), {"s1": 2700}, {"i1": 1})
        assert refund.per_item == {"i1": 1000 + 80}

    def test_only_the_sub_orders_of_the_returned_items_are_touched(self) -> None:
        refund = return_refund(_items(), {"s1": 2700, "s2": 1000}, {"i3": 1})
        assert set(refund.per_sub_order) == {"s2"}

    def test_more_units_than_returnable_is_refused(self) -> None:
        try:
            return_refund(_items(), {"s1": 2700}, {"i2": 2})
        except ValueError as exc:
            assert "i2" in str(exc)
        else:
            raise AssertionError("expected a ValueError")

    @given(
        prices=st.lists(st.integers(0, 5_000), min_size=1, max_size=4),
        quantities=st.lists(st.integers(1, 5), min_size=4, max_size=4),
        delivery=st.integers(0, 3_000),
        steps=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    )
    def test_returns_in_any_steps_refund_exactly_the_balance_and_never_more(
        self, prices: list[int], quantities: list[int], delivery: int, steps: list[int]
    ) -> None:
        left = {f"i{k}": quantities[k] for k in range(len(prices))}
        balance = sum(p * quantities[k] for k, p in enumerate(prices)) + delivery
        refunded = 0
        for step in [*steps, -1]:
            items = [
                ReturnableItem(f"i{k}", "s", p, left[f"i{k}"])
                for k, p in enumerate(prices)
                if left[f"i{k}"] > 0
            ]
            if not items:
                break
            if step == -1:  # finally return whatever is left
                wanted = {i.item_id: i.returnable_quantity for i in items}
            else:
                item = items[step % len(items)]
                wanted = {item.item_id: 1}
            refund = return_refund(items, {"s": balance - refunded}, wanted)
            assert refund.total == sum(refund.per_item.values())
            assert all(a >= 0 for a in refund.per_item.values())
            refunded += refund.total
            assert refunded <= balance
            for item_id, quantity in wanted.items():
                left[item_id] -= quantity
        assert refunded == balance


class TestSettle:
    def test_a_smaller_sub_order_is_refunded_its_difference(self) -> None:
        settlement = settle([SubOrderTarget("s1", 2700, 2500, 1500, 120)])
        assert settlement.refund_allocation == {"s1": 2700 - 1620}
        assert settlement.charge_amount == 0

    def test_a_bigger_sub_order_is_charged_with_its_goods_allocated(self) -> None:
        settlement = settle([SubOrderTarget("s1", 1200, 1000, 1600, 250)])
        assert settlement.charge_amount == 650
        assert settlement.charge_goods_allocation == {"s1": 600}

    def test_a_new_sub_order_is_charged_in_full(self) -> None:
        settlement = settle([SubOrderTarget("s2", 0, 0, 900, 100)])
        assert settlement.charge_amount == 1000
        assert settlement.charge_goods_allocation == {"s2": 900}

    @given(
        st.lists(
            st.tuples(
                st.integers(0, 10_000),
                st.integers(0, 10_000),
                st.integers(0, 10_000),
                st.integers(0, 2_000),
            ),
            min_size=1,
            max_size=5,
        )
    )
    def test_after_settling_every_sub_order_balance_is_its_new_amount(
        self, rows: list[tuple[int, int, int, int]]
    ) -> None:
        targets = [
            SubOrderTarget(f"s{k}", balance, goods, new_goods, share)
            for k, (balance, goods, new_goods, share) in enumerate(rows)
        ]
        settlement = settle(targets)
        assert sum(settlement.charge_goods_allocation.values()) <= settlement.charge_amount
        for t in targets:
            after = (
                t.balance_amount
                - settlement.refund_allocation.get(t.sub_order_id, 0)
                + max(t.delta, 0)
            )
            assert after == t.new_amount
        assert settlement.net_amount == sum(t.delta for t in targets)


class TestDeliveryTargets:
    def test_an_unchanged_delivery_fee_moves_no_delivery_money_between_vendors(self) -> None:
        targets = delivery_targets({"s1": 300, "s2": 299}, {"s1": 500, "s2": 4000}, 599)
        assert targets == {"s1": 300, "s2": 299}

    def test_a_higher_fee_is_spread_by_new_goods(self) -> None:
        targets = delivery_targets({"s1": 599}, {"s1": 1000, "s2": 3000}, 999)
        assert targets == {"s1": 699, "s2": 300}

    def test_an_emptied_sub_order_gives_its_share_back(self) -> None:
        targets = delivery_targets({"s1": 300, "s2": 299}, {"s1": 500, "s2": 0}, 599)
        assert targets == {"s1": 599, "s2": 0}

    @given(
        st.dictionaries(st.sampled_from("abcd"), st.integers(0, 2_000), min_size=1),
        st.dictionaries(st.sampled_from("abcde"), st.integers(0, 9_000), min_size=1),
        st.integers(0, 5_000),
    )
    def test_targets_add_up_to_the_new_fee_and_are_never_negative(
        self, current: dict[str, int], goods: dict[str, int], total: int
    ) -> None:
        targets = delivery_targets(current, goods, total)
        assert all(v >= 0 for v in targets.values())
        if any(g > 0 for g in goods.values()):
            assert sum(targets.values()) == total
        assert all(targets[s] == 0 for s, g in goods.items() if g == 0)
