"""How an order's money is split between vendors and the platform (pure, integer cents).

Rules (docs/payments.md):

* A vendor's fee is its per-vendor override in basis points if set, else the default for its
  type (``brand`` → ``settings.brand_fee_bps``, ``distributor`` → ``settings.distributor_fee_bps``).
* Per sub-order: ``platform_fee = bps_of(subtotal, fee_bps)`` (half-up) and
  ``vendor_payout = subtotal - platform_fee``.
* The delivery fee is platform revenue (the marketplace's hubs and couriers deliver). It is
  allocated across sub-orders in proportion to their subtotals by largest remainder, as
  ``delivery_fee_share``, only so that a sub-order's refund can include its share of delivery.
  Hence ``Σ(payout + fee + delivery share) == Σ subtotal + delivery fee`` exactly.
* Refunds (:func:`allocate_refund`): a refund is spread over sub-orders in proportion to what is
  still refundable on each (unless an explicit allocation is given). Within a sub-order the
  refunded money comes back from the vendor, the platform fee and the delivery share in
  proportion to ``payout : fee : delivery share``, computed on cumulative amounts so that a full
  refund in any number of steps returns exactly the payout, the fee and the delivery share. The
  vendor never gives back more than its payout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from orderflow.kit.money import allocate, bps_of


def fee_bps_for(
    vendor_type: str, override_bps: int | None, *, brand_bps: int, distributor_bps: int
) -> int:
    """The platform fee of a vendor in basis points: its override, else its type's default."""
    if override_bps is not None:
        if not 0 <= override_bps <= 10_000:
            raise ValueError(f"fee override {override_bps} bps is outside 0..10000")
        return override_bps
    if vendor_type == "brand":
        return brand_bps
    if vendor_type == "distributor":
        return distributor_bps
    raise ValueError(f"unknown vendor type {vendor_type!r}")


@dataclass(frozen=True)
class SplitInput:
    sub_order_id: str
    vendor_id: str
    vendor_type: str
    subtotal_amount: int
    fee_bps: int


@dataclass(frozen=True)
class Split:
    sub_order_id: str
    vendor_id: str
    vendor_type: str
    subtotal_amount: int
    fee_bps: int
    platform_fee_amount: int
    delivery_fee_share_amount: int
    vendor_payout_amount: int

    @property
    def refundable_amount(self) -> int:
        """What the customer paid for this sub-order: goods plus its delivery share."""
        return self.subtotal_amount + self.delivery_fee_share_amount


def compute_splits(inputs: Sequence[SplitInput], *, delivery_fee_amount: int) -> list[Split]:
    """Platform fee, vendor payout and delivery share of each sub-order (same order as inputs)."""
    if delivery_fee_amount < 0:
        raise ValueError("delivery fee must be non-negative")
    for item in inputs:
        if item.subtotal_amount < 0:
            raise ValueError("subtotal must be non-negative")
        if not 0 <= item.fee_bps <= 10_000:
            raise ValueError(f"fee {item.fee_bps} bps is outside 0..10000")
    shares = allocate(delivery_fee_amount, [item.subtotal_amount for item in inputs])
    splits = []
    for item, share in zip(inputs, shares, strict=True):
        fee = bps_of(item.subtotal_amount, item.fee_bps)
        splits.append(
            Split(
                sub_order_id=item.sub_order_id,
                vendor_id=item.vendor_id,
                vendor_type=item.vendor_type,
                subtotal_amount=item.subtotal_amount,
                fee_bps=item.fee_bps,
                platform_fee_amount=fee,
                delivery_fee_share_amount=share,
                vendor_payout_amount=item.subtotal_amount - fee,
            )
        )
    return splits


# --- refunds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundState:
    """A sub-order's split plus what has already been refunded from it."""

    sub_order_id: str
    vendor_payout_amount: int
    platform_fee_amount: int
    delivery_fee_share_amount: int
    refunded_amount: int = 0
    vendor_refunded_amount: int = 0
    fee_refunded_amount: int = 0

    @property
    def paid_amount(self) -> int:
        return self.vendor_payout_amount + self.platform_fee_amount + self.delivery_fee_share_amount

    @property
    def remaining_amount(self) -> int:
        return self.paid_amount - self.refunded_amount

    @classmethod
    def of(cls, split: Split) -> RefundState:
        return cls(
            sub_order_id=split.sub_order_id,
            vendor_payout_amount=split.vendor_payout_amount,
            platform_fee_amount=split.platform_fee_amount,
            delivery_fee_share_amount=split.delivery_fee_share_amount,
        )


class RefundShare(NamedTuple):
    """One sub-order's part of a refund.

    ``transfer_reversal_amount`` is the vendor's part (reversed from its transfer, or withheld
    from the transfer if it has not been made yet); ``fee_refunded_amount`` the platform fee
    given back; the rest of ``customer_refund_amount`` is delivery revenue given back.
    """

    customer_refund_amount: int
    transfer_reversal_amount: int
    fee_refunded_amount: int

    @property
    def delivery_refunded_amount(self) -> int:
        return (
            self.customer_refund_amount - self.transfer_reversal_amount - self.fee_refunded_amount
        )


class RefundExceedsRemaining(ValueError):
    """The refund (or one sub-order's part of it) is more than is left to refund."""


def allocate_refund(
    amount: int,
    states: Sequence[RefundState | Split],
    *,
    allocation: Mapping[str, int] | None = None,
) -> dict[str, RefundShare]:
    """Spread a refund of ``amount`` cents over sub-orders (see the module docstring)."""
    rows = [s if isinstance(s, RefundState) else RefundState.of(s) for s in states]
    if amount < 0:
        raise ValueError("refund amount must be non-negative")
    if allocation is None:
        if amount > sum(r.remaining_amount for r in rows):
            raise RefundExceedsRemaining("refund exceeds what is left to refund")
        parts = allocate(amount, [r.remaining_amount for r in rows])
    else:
        known = {r.sub_order_id for r in rows}
        unknown = set(allocation) - known
        if unknown:
            raise ValueError(f"unknown sub-orders in allocation: {sorted(unknown)}")
        if any(v < 0 for v in allocation.values()):
            raise ValueError("allocation amounts must be non-negative")
        if sum(allocation.values()) != amount:
            raise ValueError("allocation does not add up to the refund amount")
        parts = [allocation.get(r.sub_order_id, 0) for r in rows]
    result: dict[str, RefundShare] = {}
    for row, part in zip(rows, parts, strict=True):
        if part > row.remaining_amount:
            raise RefundExceedsRemaining(f"refund exceeds what is left on {row.sub_order_id}")
        result[row.sub_order_id] = _share(row, part)
    return result


def _share(row: RefundState, part: int) -> RefundShare:
    if part == 0:
        return RefundShare(0, 0, 0)
    weights = [row.vendor_payout_amount, row.platform_fee_amount, row.delivery_fee_share_amount]
    # Targets on cumulative amounts keep repeated partial refunds from drifting.
    target_vendor, target_fee, _ = allocate(row.refunded_amount + part, weights)
    vendor_left = row.vendor_payout_amount - row.vendor_refunded_amount
    fee_left = row.platform_fee_amount - row.fee_refunded_amount
    delivery_left = row.remaining_amount - vendor_left - fee_left
    vendor = min(max(0, target_vendor - row.vendor_refunded_amount), vendor_left, part)
    fee = min(max(0, target_fee - row.fee_refunded_amount), fee_left, part - vendor)
    excess = (part - vendor - fee) - delivery_left
    if excess > 0:
        # Largest remainder is not monotonic: move what delivery cannot take to the others.
        extra = min(excess, vendor_left - vendor)
        vendor += extra
        fee += excess - extra
    return RefundShare(part, vendor, fee)
