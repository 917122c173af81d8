"""Money math of returns and modifications (pure, integer cents).

A sub-order's *balance* is what the customer has paid for it and not had back:
``subtotal + delivery share - refunded`` (payments/splits.py keeps those figures cumulative:
an extra charge adds to them, a refund adds to ``refunded``).

Returns: units worth ``v`` out of the ``V`` still returnable on a sub-order with balance ``B``
refund ``v`` plus ``(B - V) * v / V`` of what is left of its delivery share (floor), spread over
the returned items by value with largest remainder. Returning the last units refunds exactly
``B``: whatever the steps, a full return gives back everything paid, never more.

Modifications: the new goods and delivery share of each sub-order (compute_splits) against its
balance give a delta per sub-order; a negative delta is refunded from that sub-order (its vendor
reverses its share), a positive one is charged extra with its goods part allocated to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orderflow.kit.money import allocate


@dataclass(frozen=True)
class ReturnableItem:
    item_id: str
    sub_order_id: str
    unit_price_amount: int
    returnable_quantity: int


@dataclass(frozen=True)
class ReturnRefund:
    per_item: dict[str, int]
    per_sub_order: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_sub_order.values())


def return_refund(
    items: Sequence[ReturnableItem],
    balances: Mapping[str, int],
    requested: Mapping[str, int],
) -> ReturnRefund:
    """The refund of returning ``requested`` units (item id -> quantity) of ``items``.

    ``balances``: sub-order id -> balance. Quantities must already be checked against
    ``returnable_quantity`` (ValueError otherwise).
    """
    by_id = {item.item_id: item for item in items}
    for item_id, quantity in requested.items():
        item = by_id.get(item_id)
        if item is None or not 0 < quantity <= item.returnable_quantity:
            raise ValueError(f"{item_id}: {quantity} units cannot be returned")
    per_item: dict[str, int] = {}
    per_sub: dict[str, int] = {}
    subs: dict[str, list[ReturnableItem]] = defaultdict(list)
    for item in items:
        subs[item.sub_order_id].append(item)
    for sub_id, sub_items in subs.items():
        returned = [i for i in sub_items if i.item_id in requested]
        if not returned:
            continue
        balance = max(0, balances.get(sub_id, 0))
        still = sum(i.unit_price_amount * i.returnable_quantity for i in sub_items)
        values = [i.unit_price_amount * requested[i.item_id] for i in returned]
        value = sum(values)
        rest = max(0, balance - still)
        delivery = rest if value == still else rest * value // still
        shares = allocate(delivery, values)
        amounts = [v + s for v, s in zip(values, shares, strict=True)]
        total = sum(amounts)
        if total > balance:
            # Only when earlier refunds took more than the delivery share: cap at the balance.
            amounts = allocate(balance, values)
            total = balance
        for item, amount in zip(returned, amounts, strict=True):
            per_item[item.item_id] = amount
        per_sub[sub_id] = total
    return ReturnRefund(per_item=per_item, per_sub_order=per_sub)


@dataclass(frozen=True)
class SubOrderTarget:
    """A sub-order before and after a change set."""

    sub_order_id: str
    balance_amount: int
    goods_amount: int
    new_goods_amount: int
    new_delivery_share_amount: int

    @property
    def new_amount(self) -> int:
        return self.new_goods_amount + self.new_delivery_share_amount

    @property
    def delta(self) -> int:
        return self.new_amount - self.balance_amount


@dataclass(frozen=True)
class Settlement:
    """What a change set moves: refunds per sub-order, and an extra charge with its goods part."""

    refund_allocation: dict[str, int]
    charge_amount: int
    charge_goods_allocation: dict[str, int]

    @property
    def refund_amount(self) -> int:
        return sum(self.refund_allocation.values())

    @property
    def net_amount(self) -> int:
        """Positive: the customer pays more; negative: the customer gets money back."""
        return self.charge_amount - self.refund_amount


def settle(targets: Sequence[SubOrderTarget]) -> Settlement:
    """Per sub-order deltas into one refund allocation and one extra charge."""
    refunds: dict[str, int] = {}
    goods: dict[str, int] = {}
    charge = 0
    for t in targets:
        if t.delta < 0:
            refunds[t.sub_order_id] = -t.delta
        elif t.delta > 0:
            charge += t.delta
            goods_part = min(t.delta, max(0, t.new_goods_amount - t.goods_amount))
            if goods_part > 0:
                goods[t.sub_order_id] = goods_part
    return Settlement(
        refund_allocation=refunds, charge_amount=charge, charge_goods_allocation=goods
    )


def delivery_targets(
    current: Mapping[str, int], new_goods: Mapping[str, int], new_total: int
) -> dict[str, int]:
    """Each sub-order's delivery share after a change set.

    ``current``: the delivery money each sub-order holds now (what its customer paid for
    delivery, net of refunds); ``new_goods``: the goods of every sub-order after the change (0
    for an emptied one). A sub-order that keeps goods keeps its share; only the change of the
    delivery fee is spread, an increase by new goods, a decrease in proportion to the shares
    held. So a change that leaves the delivery fee alone moves no delivery money between
    vendors. An emptied sub-order gives its share back.
    """
    if new_total < 0:
        raise ValueError("the delivery fee cannot be negative")
    live = [s for s in new_goods if new_goods[s] > 0]
    targets = {s: 0 for s in set(current) | set(new_goods)}
    if not live:
        return targets
    kept = {s: max(0, current.get(s, 0)) for s in live}
    change = new_total - sum(kept.values())
    if change >= 0:
        parts = allocate(change, [new_goods[s] for s in live])
    else:
        parts = allocate(change, [kept[s] for s in live])
    for s, part in zip(live, parts, strict=True):
        targets[s] = kept[s] + part
    return targets
