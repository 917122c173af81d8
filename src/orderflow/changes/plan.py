"""The change-set planner (pure): seed ``OrderModification``s to a new line set, all or nothing.

Input: the order's status, its items (one row per line and hub, with the status of the
fulfillment that ships it) and the requested modifications in order. Output: the quantity of
every touched item, the lines to add, the new address, and every problem found. A plan with a
problem applies nothing: ``conflicts`` (409: a stage forbids the change, naming the blocking
fulfillment) win over ``errors`` (422: the request itself is wrong).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from orderflow.changes import rules

ModificationType = Literal["add_item", "remove_item", "update_quantity", "change_address"]


@dataclass(frozen=True)
class Modification:
    """The seed's ``OrderModification`` (plus ``variant_id`` for ``add_item``)."""

    type: ModificationType
    reason: str
    item_id: str | None = None
    variant_id: str | None = None
    quantity: int | None = None
    new_address: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ItemState:
    item_id: str
    line_id: str
    variant_id: str
    vendor_id: str
    sub_order_id: str
    quantity: int
    unit_price_amount: int
    fulfillment_id: str | None
    fulfillment_status: str | None
    active: bool = True


@dataclass(frozen=True)
class VariantFacts:
    """What the planner needs to know about a variant an ``add_item`` names."""

    variant_id: str
    vendor_id: str
    price_amount: int
    active: bool


@dataclass(frozen=True)
class Limits:
    max_lines: int
    max_line_quantity: int


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None
    fulfillment_id: str | None = None

    def as_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.fulfillment_id is not None:
            error["details"] = {"fulfillmentId": self.fulfillment_id}
        return error


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    variant_id: str
    sub_order_id: str
    old_quantity: int
    new_quantity: int

    @property
    def delta(self) -> int:
        return self.new_quantity - self.old_quantity


@dataclass(frozen=True)
class NewLine:
    variant_id: str
    vendor_id: str
    quantity: int
    unit_price_amount: int


@dataclass(frozen=True)
class ChangePlan:
    item_changes: tuple[ItemChange, ...] = ()
    additions: tuple[NewLine, ...] = ()
    new_address: Mapping[str, Any] | None = None
    conflicts: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.errors

    @property
    def increases(self) -> tuple[ItemChange, ...]:
        return tuple(c for c in self.item_changes if c.delta > 0)

    @property
    def decreases(self) -> tuple[ItemChange, ...]:
        return tuple(c for c in self.item_changes if c.delta < 0)

    @property
    def requires_routing(self) -> bool:
        """New units must find stock (or the destination moved): the router decides where."""
        return bool(self.additions or self.increases or self.new_address is not None)

    def variant_deltas(self) -> dict[str, int]:
        """Net change of units per variant (additions included); zero deltas are left out."""
        deltas: dict[str, int] = defaultdict(int)
        for change in self.item_changes:
            deltas[change.variant_id] += change.delta
        for line in self.additions:
            deltas[line.variant_id] += line.quantity
        return {v: d for v, d in sorted(deltas.items()) if d != 0}


def plan_changes(
    *,
    order_status: str,
    items: Sequence[ItemState],
    modifications: Sequence[Modification],
    variants: Mapping[str, VariantFacts],
    fulfillment_statuses: Mapping[str, str],
    limits: Limits,
) -> ChangePlan:
    """Apply ``modifications`` in order to ``items`` on paper; see the module docstring.

    ``fulfillment_statuses`` are the statuses of the order's fulfillments (for the address rule).
    """
    conflicts: list[Problem] = []
    errors: list[Problem] = []
    refusal = rules.order_edit_refusal(order_status)
    if refusal is not None:
        return ChangePlan(conflicts=(Problem("order_not_modifiable", refusal),))
    if not modifications:
        return ChangePlan(errors=(Problem("empty_change_set", "name at least one modification"),))

    by_id = {item.item_id: item for item in items if item.active}
    quantities = {item_id: item.quantity for item_id, item in by_id.items()}
    touched: dict[str, int] = {}
    additions: dict[str, NewLine] = {}
    new_address: Mapping[str, Any] | None = None

    for index, mod in enumerate(modifications):
        where = f"modifications[{index}]"
        if mod.type == "change_address":
            if mod.new_address is None:
                errors.append(Problem("missing_address", "change_address needs newAddress", where))
            elif new_address is not None:
                errors.append(
                    Problem("duplicate_address", "change the address once per change set", where)
                )
            else:
                new_address = mod.new_address
                for fulfillment_id, status in sorted(fulfillment_statuses.items()):
                    why = rules.address_edit_refusal(status)
                    if why is not None:
                        conflicts.append(
                            Problem(
                                "fulfillment_too_far",
                                f"the address cannot change: {why} (fulfillment {fulfillment_id})",
                                where,
                                fulfillment_id,
                            )
                        )
            continue
        if mod.type == "add_item":
            problem = _check_addition(mod, variants, limits, where)
            if problem is not None:
                errors.append(problem)
                continue
            assert mod.variant_id is not None and mod.quantity is not None
            facts = variants[mod.variant_id]
            previous = additions.get(mod.variant_id)
            additions[mod.variant_id] = NewLine(
                variant_id=facts.variant_id,
                vendor_id=facts.vendor_id,
                quantity=mod.quantity + (previous.quantity if previous else 0),
                unit_price_amount=facts.price_amount,
            )
            continue
        # remove_item / update_quantity
        item = by_id.get(mod.item_id or "")
        if mod.item_id is None:
            errors.append(Problem("missing_item", f"{mod.type} needs itemId", f"{where}.itemId"))
            continue
        if item is None:
            errors.append(
                Problem(
                    "unknown_item",
                    f"{mod.item_id} is not an active item of this order",
                    f"{where}.itemId",
                )
            )
            continue
        if mod.item_id in touched:
            errors.append(
                Problem(
                    "item_changed_twice",
                    f"{mod.item_id} is changed by modifications[{touched[mod.item_id]}] already; "
                    "send one change per item",
                    f"{where}.itemId",
                )
            )
            continue
        touched[mod.item_id] = index
        why = rules.item_edit_refusal(item.fulfillment_status)
        if why is not None:
            conflicts.append(
                Problem(
                    "fulfillment_too_far",
                    f"{mod.item_id} cannot change: {why} (fulfillment {item.fulfillment_id})",
                    f"{where}.itemId",
                    item.fulfillment_id,
                )
            )
            continue
        if mod.type == "remove_item":
            quantities[item.item_id] = 0
            continue
        if mod.quantity is None or mod.quantity < 1:
            errors.append(
                Problem(
                    "invalid_quantity",
                    "update_quantity needs a quantity of at least 1 (use remove_item to drop it)",
                    f"{where}.quantity",
                )
            )
            continue
        quantities[item.item_id] = mod.quantity

    changes = tuple(
        ItemChange(
            item_id=item_id,
            variant_id=by_id[item_id].variant_id,
            sub_order_id=by_id[item_id].sub_order_id,
            old_quantity=by_id[item_id].quantity,
            new_quantity=quantities[item_id],
        )
        for item_id in sorted(quantities)
        if quantities[item_id] != by_id[item_id].quantity
    )
    errors.extend(_check_result(by_id, quantities, additions, limits))
    return ChangePlan(
        item_changes=changes,
        additions=tuple(additions[v] for v in sorted(additions)),
        new_address=new_address,
        conflicts=tuple(conflicts),
        errors=tuple(errors),
        reasons=tuple(m.reason for m in modifications),
    )


def _check_addition(
    mod: Modification, variants: Mapping[str, VariantFacts], limits: Limits, where: str
) -> Problem | None:
    if mod.item_id is not None:
        return Problem(
            "unexpected_item",
            "add_item adds a new line: give variantId, not itemId (use update_quantity "
            "to change an existing item)",
            f"{where}.itemId",
        )
    if mod.variant_id is None:
        return Problem("missing_variant", "add_item needs variantId", f"{where}.variantId")
    if mod.quantity is None or not 1 <= mod.quantity <= limits.max_line_quantity:
        return Problem(
            "invalid_quantity",
            f"add_item needs a quantity between 1 and {limits.max_line_quantity}",
            f"{where}.quantity",
        )
    facts = variants.get(mod.variant_id)
    if facts is None or not facts.active:
        return Problem(
            "unknown_variant", f"{mod.variant_id} is not sold (anymore)", f"{where}.variantId"
        )
    return None


def _check_result(
    by_id: Mapping[str, ItemState],
    quantities: Mapping[str, int],
    additions: Mapping[str, NewLine],
    limits: Limits,
) -> list[Problem]:
    problems: list[Problem] = []
    per_line: dict[str, int] = defaultdict(int)
    per_variant: dict[str, int] = defaultdict(int)
    for item_id, quantity in quantities.items():
        per_line[by_id[item_id].line_id] += quantity
        per_variant[by_id[item_id].variant_id] += quantity
    for line in additions.values():
        per_variant[line.variant_id] += line.quantity
    lines_left = sum(1 for q in per_line.values() if q > 0) + len(additions)
    if lines_left == 0:
        problems.append(
            Problem(
                "empty_order",
                "this change set would remove every item; cancel the order instead",
                "modifications",
            )
        )
    if lines_left > limits.max_lines:
        problems.append(
            Problem(
                "too_many_lines",
                f"an order has at most {limits.max_lines} lines; this one would have {lines_left}",
                "modifications",
            )
        )
    for variant_id, quantity in sorted(per_variant.items()):
        if quantity > limits.max_line_quantity:
            problems.append(
                Problem(
                    "quantity_too_large",
                    f"{variant_id}: {quantity} units in all, at most {limits.max_line_quantity}",
                    "modifications",
                )
            )
    return problems
