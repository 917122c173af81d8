"""The order transition table (orders/state.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderflow.orders.state import (
    CANCELLABLE,
    TERMINAL,
    TRANSITIONS,
    FulfillmentStatus,
    OrderStatus,
    allowed_from,
    can_transition,
    is_cancellable,
)

statuses = st.sampled_from(list(OrderStatus))


class TestStatusValues:
    def test_order_statuses_are_the_seeds_eight(self) -> None:
        assert [s.value for s in OrderStatus] == [
            "pending",
            "confirmed",
            "processing",
            "packed",
            "out_for_delivery",
            "delivered",
            "cancelled",
            "refunded",
        ]

    def test_fulfillment_statuses_are_the_seeds_eight(self) -> None:
        assert [s.value for s in FulfillmentStatus] == [
            "not_fulfilled",
            "partially_fulfilled",
            "fulfilled",
            "partially_shipped",
            "shipped",
            "partially_returned",
            "returned",
            "cancelled",
        ]


class TestTransitions:
    def test_a_pending_order_can_only_be_confirmed_or_cancelled(self) -> None:
        assert allowed_from("pending") == {OrderStatus.CONFIRMED, OrderStatus.CANCELLED}

    def test_a_confirmed_order_may_jump_forward_as_fulfillments_move(self) -> None:
        assert can_transition("confirmed", "packed")
        assert can_transition("confirmed", "delivered")

    def test_an_order_out_for_delivery_cannot_be_cancelled(self) -> None:
        assert not can_transition("out_for_delivery", "cancelled")

    def test_a_delivered_order_can_only_be_refunded(self) -> None:
        assert allowed_from("delivered") == {OrderStatus.REFUNDED}

    def test_cancelled_and_refunded_are_final(self) -> None:
        assert allowed_from("cancelled") == frozenset()
        assert allowed_from("refunded") == frozenset()

    @given(statuses)
    def test_no_status_moves_to_itself(self, status: OrderStatus) -> None:
        assert not can_transition(status, status)

    @given(statuses)
    def test_cancelled_is_reachable_exactly_from_the_cancellable_stages(
        self, status: OrderStatus
    ) -> None:
        assert can_transition(status, OrderStatus.CANCELLED) == is_cancellable(status)
        assert is_cancellable(status) == (
            status not in {"out_for_delivery", "delivered", "cancelled", "refunded"}
        )

    @given(statuses, st.lists(st.integers(min_value=0, max_value=1000), max_size=30))
    def test_random_walks_never_leave_a_terminal_state(
        self, start: OrderStatus, choices: list[int]
    ) -> None:
        status = start
        for choice in choices:
            targets = sorted(allowed_from(status))
            if not targets:
                assert status in TERMINAL
                break
            status = targets[choice % len(targets)]
        if status in TERMINAL:
            assert allowed_from(status) == frozenset()

    @given(statuses, st.lists(st.integers(min_value=0, max_value=1000), max_size=30))
    def test_random_walks_never_go_back_to_pending(
        self, start: OrderStatus, choices: list[int]
    ) -> None:
        status = start
        for choice in choices:
            targets = sorted(allowed_from(status))
            if not targets:
                break
            status = targets[choice % len(targets)]
            assert status is not OrderStatus.PENDING

    def test_every_status_has_a_row_and_cancellable_stages_are_not_terminal(self) -> None:
        assert set(TRANSITIONS) == set(OrderStatus)
        assert not CANCELLABLE & TERMINAL
