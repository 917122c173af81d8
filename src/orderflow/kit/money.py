"""Money is integer minor units (cents). Nothing here touches floating point."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

CENTS = Decimal(100)


def to_cents(amount: Decimal | int | str) -> int:
    """Dollars (exact decimal) to integer cents. Raises ValueError on sub-cent precision."""
    value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    cents = value * CENTS
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than 2 decimal places")
    return int(cents)


def to_dollars(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS).quantize(Decimal("0.01"))


def _dollars_json(value: Decimal) -> float:
    # float(Decimal('12.34')) is the double whose shortest repr is '12.34': exact on the wire.
    return float(value)


Dollars = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, json_schema_extra={"format": "money"}),
    PlainSerializer(_dollars_json, return_type=float, when_used="json"),
]
"""Money in a schema: a JSON number in major units with at most 2 decimals."""

NonNegativeDollars = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(_dollars_json, return_type=float, when_used="json"),
]


def bps_of(amount: int, bps: int) -> int:
    """``amount * bps / 10_000`` rounded half-up, in integer arithmetic."""
    if amount < 0:
        return -bps_of(-amount, bps)
    return (amount * bps + 5_000) // 10_000


def percent_to_bps(percent: Decimal) -> int:
    return int((percent * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder.

    The parts always add up to ``total`` exactly; ties go to the earlier weight.
    All-zero weights split evenly.
    """
    if not weights:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over no parts")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    sign = -1 if total < 0 else 1
    remaining_total = abs(total)
    effective = list(weights) if sum(weights) > 0 else [1] * len(weights)
    weight_sum = sum(effective)
    floors = [remaining_total * w // weight_sum for w in effective]
    remainders = [remaining_total * w % weight_sum for w in effective]
    leftover = remaining_total - sum(floors)
    order = sorted(range(len(effective)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [sign * part for part in floors]
