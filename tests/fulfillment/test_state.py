"""The fulfillment lifecycle table and the order statuses derived from fulfillments."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfillment.state import (
    CANCELLABLE,
    LIFECYCLE,
    STEPS,
    TRANSITIONS,
    FulfillmentState,
    FulfillmentView,
    allowed_next,
    can_transition,
    derive,
)
from orderflow.orders.state import TRANSITIONS as ORDER_TRANSITIONS
from orderflow.orders.state import FulfillmentStatus, OrderStatus

F = FulfillmentState
S = OrderStatus
FS = FulfillmentStatus

main_line = st.sampled_from(LIFECYCLE)
any_state = st.sampled_from(list(FulfillmentState))
# Orders the hubs work on (paid, not finished).
working_order = st.sampled_from([S.CONFIRMED, S.PROCESSING, S.PACKED, S.OUT_FOR_DELIVERY])
ORDER_PROGRESS = [S.CONFIRMED, S.PROCESSING, S.PACKED, S.OUT_FOR_DELIVERY, S.DELIVERED]


def views(*states: FulfillmentState) -> list[FulfillmentView]:
    return [FulfillmentView(s) for s in states]


class TestTransitionTable:
    def test_the_main_line_moves_one_step_at_a_time(self) -> None:
        for current, following in itertools.pairwise(LIFECYCLE):
            assert can_transition(current, following)

    @given(main_line, main_line)
    def test_no_step_of_the_main_line_may_be_skipped_or_undone(
        self, current: FulfillmentState, to: FulfillmentState
    ) -> None:
        if can_transition(current, to):
            assert LIFECYCLE.index(to) == LIFECYCLE.index(current) + 1

    def test_cancellation_is_possible_until_the_parcel_is_at_the_door(self) -> None:
        assert {F.PENDING, F.PROCESSING, F.PACKED, F.PICKED_UP, F.IN_TRANSIT} == CANCELLABLE

    def test_a_refused_id_check_returns_the_parcel_from_the_door_only(self) -> None:
        sources = {s for s, targets in TRANSITIONS.items() if F.RETURNED_TO_HUB in targets}
        assert sources == {F.OUT_FOR_DELIVERY}

    def test_final_states_allow_nothing(self) -> None:
        for state in (F.CANCELLED, F.RETURNED_TO_HUB, F.RETURNED):
            assert allowed_next(state) == ()

    def test_allowed_next_lists_the_string_values(self) -> None:
        assert allowed_next("pending") == ("processing", "cancelled")

    def test_steps_are_the_main_line_after_pending(self) -> None:
        assert [s.value for s in STEPS] == [
            "processing",
            "packed",
            "picked_up",
            "in_transit",
            "out_for_delivery",
            "delivered",
        ]

    def test_every_state_has_a_row(self) -> None:
        assert set(TRANSITIONS) == set(FulfillmentState)


class TestDerivedOrderStatus:
    def test_all_pending_keeps_a_confirmed_order_confirmed(self) -> None:
        assert derive(views(F.PENDING, F.PENDING), current_status="confirmed") == (
            S.CONFIRMED,
            FS.NOT_FULFILLED,
        )

    def test_any_processing_makes_the_order_processing(self) -> None:
        assert derive(views(F.PROCESSING, F.PENDING), current_status="confirmed")[0] is (
            S.PROCESSING
        )

    def test_some_packed_is_still_processing_and_partially_fulfilled(self) -> None:
        assert derive(views(F.PACKED, F.PROCESSING), current_status="processing") == (
            S.PROCESSING,
            FS.PARTIALLY_FULFILLED,
        )

    def test_every_fulfillment_packed_makes_the_order_packed_and_fulfilled(self) -> None:
        assert derive(views(F.PACKED, F.PACKED), current_status="processing") == (
            S.PACKED,
            FS.FULFILLED,
        )

    def test_some_left_the_hub_is_partially_shipped(self) -> None:
        assert derive(views(F.IN_TRANSIT, F.PACKED), current_status="packed") == (
            S.PACKED,
            FS.PARTIALLY_SHIPPED,
        )

    def test_all_left_the_hub_is_shipped(self) -> None:
        assert derive(views(F.PICKED_UP, F.IN_TRANSIT), current_status="packed") == (
            S.PACKED,
            FS.SHIPPED,
        )

    def test_any_out_for_delivery_makes_the_order_out_for_delivery(self) -> None:
        assert derive(views(F.OUT_FOR_DELIVERY, F.PACKED), current_status="packed") == (
            S.OUT_FOR_DELIVERY,
            FS.PARTIALLY_SHIPPED,
        )

    def test_one_delivered_and_one_on_the_road_is_out_for_delivery_and_shipped(self) -> None:
        assert derive(views(F.DELIVERED, F.IN_TRANSIT), current_status="out_for_delivery") == (
            S.OUT_FOR_DELIVERY,
            FS.SHIPPED,
        )

    def test_all_delivered_is_delivered_and_fulfilled(self) -> None:
        assert derive(views(F.DELIVERED, F.DELIVERED), current_status="out_for_delivery") == (
            S.DELIVERED,
            FS.FULFILLED,
        )

    def test_cancelled_fulfillments_are_ignored_while_another_is_live(self) -> None:
        assert derive(views(F.CANCELLED, F.DELIVERED), current_status="out_for_delivery") == (
            S.DELIVERED,
            FS.FULFILLED,
        )

    def test_all_cancelled_is_cancelled_and_keeps_the_order_status(self) -> None:
        assert derive(views(F.CANCELLED, F.CANCELLED), current_status="confirmed") == (
            S.CONFIRMED,
            FS.CANCELLED,
        )

    def test_an_order_without_fulfillments_is_not_fulfilled(self) -> None:
        assert derive([], current_status="pending") == (S.PENDING, FS.NOT_FULFILLED)

    def test_a_pending_order_is_not_moved_by_its_fulfillments(self) -> None:
        assert derive(views(F.PROCESSING), current_status="pending")[0] is S.PENDING

    def test_a_refused_delivery_is_returned_and_leaves_the_order_out_for_delivery(self) -> None:
        assert derive(views(F.RETURNED_TO_HUB), current_status="out_for_delivery") == (
            S.OUT_FOR_DELIVERY,
            FS.RETURNED,
        )

    def test_one_refused_one_delivered_is_delivered_and_partially_returned(self) -> None:
        assert derive(views(F.RETURNED_TO_HUB, F.DELIVERED), current_status="out_for_delivery") == (
            S.DELIVERED,
            FS.PARTIALLY_RETURNED,
        )

    def test_returned_item_units_make_it_partially_returned(self) -> None:
        fulfillments = [FulfillmentView(F.DELIVERED, quantity=3, returned_quantity=1)]
        assert derive(fulfillments, current_status="delivered") == (
            S.DELIVERED,
            FS.PARTIALLY_RETURNED,
        )

    def test_every_unit_returned_makes_it_returned(self) -> None:
        fulfillments = [
            FulfillmentView(F.DELIVERED, quantity=3, returned_quantity=3),
            FulfillmentView(F.RETURNED, quantity=2),
        ]
        assert derive(fulfillments, current_status="delivered") == (S.DELIVERED, FS.RETURNED)


def _fulfillment_progress(states: list[FulfillmentState]) -> int:
    """A rank of fulfillmentStatus along the lifecycle (fulfilled comes twice: packed,
    then delivered)."""
    status = derive(views(*states), current_status="confirmed")[1]
    if status is FS.FULFILLED and all(s is F.DELIVERED for s in states):
        return 5
    return [
        FS.NOT_FULFILLED,
        FS.PARTIALLY_FULFILLED,
        FS.FULFILLED,
        FS.PARTIALLY_SHIPPED,
        FS.SHIPPED,
    ].index(status)


class TestDerivationProperties:
    @given(st.lists(main_line, min_size=1, max_size=5), st.data())
    def test_one_step_forward_never_moves_the_order_back(
        self, states: list[FulfillmentState], data: st.DataObject
    ) -> None:
        index = data.draw(st.integers(0, len(states) - 1))
        current = states[index]
        if current is F.DELIVERED:
            return
        after = list(states)
        after[index] = LIFECYCLE[LIFECYCLE.index(current) + 1]
        before_status = derive(views(*states), current_status="confirmed")[0]
        after_status = derive(views(*after), current_status=before_status)[0]
        assert ORDER_PROGRESS.index(after_status) >= ORDER_PROGRESS.index(before_status)
        assert _fulfillment_progress(after) >= _fulfillment_progress(states)

    @given(st.lists(main_line, min_size=1, max_size=5), working_order)
    def test_the_derived_status_is_one_the_order_table_allows(
        self, states: list[FulfillmentState], current: OrderStatus
    ) -> None:
        status = derive(views(*states), current_status=current)[0]
        assert status is current or status in ORDER_TRANSITIONS[current]

    @given(st.lists(main_line, min_size=1, max_size=5), working_order)
    def test_the_order_never_moves_back(
        self, states: list[FulfillmentState], current: OrderStatus
    ) -> None:
        status = derive(views(*states), current_status=current)[0]
        assert ORDER_PROGRESS.index(status) >= ORDER_PROGRESS.index(current)

    @given(st.integers(1, 6), working_order, st.integers(0, 3))
    def test_all_delivered_means_delivered_and_fulfilled(
        self, n: int, current: OrderStatus, cancelled: int
    ) -> None:
        states = [F.DELIVERED] * n + [F.CANCELLED] * cancelled
        assert derive(views(*states), current_status=current) == (S.DELIVERED, FS.FULFILLED)

    @given(st.lists(main_line, min_size=1, max_size=5), st.integers(1, 3))
    def test_cancelled_fulfillments_change_nothing_while_others_are_live(
        self, states: list[FulfillmentState], cancelled: int
    ) -> None:
        with_cancelled = states + [F.CANCELLED] * cancelled
        assert derive(views(*with_cancelled), current_status="confirmed") == derive(
            views(*states), current_status="confirmed"
        )

    @given(st.lists(main_line, min_size=1, max_size=5))
    def test_the_order_of_fulfillments_does_not_matter(
        self, states: list[FulfillmentState]
    ) -> None:
        assert derive(views(*states), current_status="confirmed") == derive(
            views(*reversed(states)), current_status="confirmed"
        )

    @given(st.lists(any_state, max_size=5), st.sampled_from(list(OrderStatus)))
    def test_terminal_and_unpaid_orders_keep_their_status(
        self, states: list[FulfillmentState], current: OrderStatus
    ) -> None:
        if current in (S.PENDING, S.CANCELLED, S.REFUNDED):
            assert derive(views(*states), current_status=current)[0] is current

    @given(st.lists(main_line, min_size=1, max_size=5))
    def test_packed_everywhere_is_exactly_when_the_order_is_at_least_packed(
        self, states: list[FulfillmentState]
    ) -> None:
        status = derive(views(*states), current_status="confirmed")[0]
        all_packed = all(LIFECYCLE.index(s) >= LIFECYCLE.index(F.PACKED) for s in states)
        any_at_door = any(LIFECYCLE.index(s) >= LIFECYCLE.index(F.OUT_FOR_DELIVERY) for s in states)
        assert (ORDER_PROGRESS.index(status) >= ORDER_PROGRESS.index(S.PACKED)) == (
            all_packed or any_at_door
        )
