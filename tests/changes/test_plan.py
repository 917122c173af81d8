"""The change-set planner: seed modifications to a new line set, all or nothing (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderflow.changes.plan import (
    ItemState,
    Limits,
    Modification,
    VariantFacts,
    plan_changes,
)

LIMITS = Limits(max_lines=5, max_line_quantity=10)
VARIANTS = {
    "v_new": VariantFacts("v_new", "ven_b", 700, True),
    "v_gone": VariantFacts("v_gone", "ven_b", 700, False),
}


def _items(status_a: str = "pending", status_b: str = "pending") -> list[ItemState]:
    return [
        ItemState("i1", "l1", "v1", "ven_a", "s1", 2, 1000, "f1", status_a),
        ItemState("i2", "l2", "v2", "ven_a", "s1", 1, 500, "f2", status_b),
    ]


def _plan(*mods: Modification, order_status: str = "confirmed", **kw: str):  # type: ignore[no-untyped-def]
    items = _items(**kw)
    return plan_changes(
        order_status=order_status,
        items=items,
        modifications=list(mods),
        variants=VARIANTS,
        fulfillment_statuses={i.fulfillment_id: i.fulfillment_status for i in items},  # type: ignore[misc]
        limits=LIMITS,
    )


class TestValidChangeSets:
    def test_a_quantity_update_changes_only_that_item(self) -> None:
        plan = _plan(Modification("update_quantity", "more", item_id="i1", quantity=5))
        assert plan.ok
        assert [(c.item_id, c.delta) for c in plan.item_changes] == [("i1", 3)]
        assert plan.variant_deltas() == {"v1": 3}
        assert plan.requires_routing

    def test_a_removal_sets_the_item_to_zero_and_needs_no_routing(self) -> None:
        plan = _plan(Modification("remove_item", "no", item_id="i2"))
        assert plan.ok
        assert plan.variant_deltas() == {"v2": -1}
        assert not plan.requires_routing

    def test_adding_the_same_variant_twice_makes_one_new_line(self) -> None:
        plan = _plan(
            Modification("add_item", "gift", variant_id="v_new", quantity=1),
            Modification("add_item", "gift", variant_id="v_new", quantity=2),
        )
        assert plan.ok
        assert [(a.variant_id, a.quantity, a.unit_price_amount) for a in plan.additions] == [
            ("v_new", 3, 700)
        ]

    def test_an_address_change_is_allowed_while_parcels_are_packed(self) -> None:
        plan = _plan(
            Modification("change_address", "moved", new_address={"city": "Evanston"}),
            status_a="packed",
        )
        assert plan.ok
        assert plan.new_address == {"city": "Evanston"}

    def test_a_no_op_update_changes_nothing(self) -> None:
        plan = _plan(Modification("update_quantity", "same", item_id="i1", quantity=2))
        assert plan.ok
        assert plan.item_changes == ()


class TestRefusedChangeSets:
    def test_an_item_in_a_packed_fulfillment_is_a_conflict_naming_it(self) -> None:
        plan = _plan(
            Modification("update_quantity", "more", item_id="i1", quantity=3), status_a="packed"
        )
        assert not plan.ok
        assert plan.conflicts[0].fulfillment_id == "f1"

    def test_the_address_cannot_change_once_a_parcel_is_out_for_delivery(self) -> None:
        plan = _plan(
            Modification("change_address", "moved", new_address={"city": "X"}),
            status_b="out_for_delivery",
        )
        assert [c.fulfillment_id for c in plan.conflicts] == ["f2"]

    def test_a_delivered_order_cannot_be_modified_at_all(self) -> None:
        plan = _plan(Modification("remove_item", "no", item_id="i1"), order_status="delivered")
        assert plan.conflicts[0].code == "order_not_modifiable"

    def test_one_invalid_step_invalidates_the_whole_change_set(self) -> None:
        plan = _plan(
            Modification("update_quantity", "ok", item_id="i1", quantity=3),
            Modification("add_item", "bad", variant_id="v_gone", quantity=1),
        )
        assert not plan.ok
        assert [e.field for e in plan.errors] == ["modifications[1].variantId"]

    def test_add_item_without_a_variant_is_invalid(self) -> None:
        plan = _plan(Modification("add_item", "x", quantity=1))
        assert plan.errors[0].code == "missing_variant"

    def test_an_unknown_item_is_invalid(self) -> None:
        plan = _plan(Modification("remove_item", "x", item_id="nope"))
        assert plan.errors[0].code == "unknown_item"

    def test_changing_one_item_twice_is_invalid(self) -> None:
        plan = _plan(
            Modification("update_quantity", "x", item_id="i1", quantity=3),
            Modification("remove_item", "y", item_id="i1"),
        )
        assert plan.errors[0].code == "item_changed_twice"

    def test_removing_every_item_is_invalid(self) -> None:
        plan = _plan(
            Modification("remove_item", "x", item_id="i1"),
            Modification("remove_item", "y", item_id="i2"),
        )
        assert plan.errors[0].code == "empty_order"

    def test_a_quantity_above_the_limit_is_invalid(self) -> None:
        plan = _plan(Modification("update_quantity", "x", item_id="i1", quantity=11))
        assert plan.errors[0].code == "quantity_too_large"

    def test_an_empty_change_set_is_invalid(self) -> None:
        assert _plan().errors[0].code == "empty_change_set"


_mods = st.one_of(
    st.builds(
        Modification,
        type=st.just("update_quantity"),
        reason=st.just("r"),
        item_id=st.sampled_from(["i1", "i2", "zz"]),
        quantity=st.integers(-1, 12),
    ),
    st.builds(
        Modification,
        type=st.just("remove_item"),
        reason=st.just("r"),
        item_id=st.sampled_from(["i1", "i2"]),
    ),
    st.builds(
        Modification,
        type=st.just("add_item"),
        reason=st.just("r"),
        variant_id=st.sampled_from(["v_new", "v_gone", None]),
        quantity=st.integers(0, 12),
    ),
)
_statuses = st.sampled_from(["pending", "processing", "packed", "in_transit"])


class TestPlannerProperties:
    @given(st.lists(_mods, max_size=5), _statuses, _statuses)
    def test_a_valid_plan_keeps_every_quantity_within_limits_and_some_item(
        self, mods: list[Modification], status_a: str, status_b: str
    ) -> None:
        plan = _plan(*mods, status_a=status_a, status_b=status_b)
        if not plan.ok:
            return
        after = {i.item_id: i.quantity for i in _items()}
        for change in plan.item_changes:
            assert after[change.item_id] == change.old_quantity
            after[change.item_id] = change.new_quantity
        assert all(0 <= q <= LIMITS.max_line_quantity for q in after.values())
        assert sum(after.values()) + sum(a.quantity for a in plan.additions) > 0
        assert all(1 <= a.quantity <= LIMITS.max_line_quantity for a in plan.additions)

    @given(st.lists(_mods, min_size=1, max_size=5), _statuses, _statuses)
    def test_items_of_packed_or_shipped_fulfillments_never_change_in_a_valid_plan(
        self, mods: list[Modification], status_a: str, status_b: str
    ) -> None:
        plan = _plan(*mods, status_a=status_a, status_b=status_b)
        frozen = {
            i.item_id
            for i in _items(status_a, status_b)
            if i.fulfillment_status not in ("pending", "processing")
        }
        touched = {m.item_id for m in mods if m.item_id in {"i1", "i2"}}
        if touched & frozen:
            assert not plan.ok
        if plan.ok:
            assert not {c.item_id for c in plan.item_changes} & frozen
