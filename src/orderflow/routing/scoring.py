"""How a hub is scored for a shipment. Pure.

Every term is normalised to [0, 1] (1 = best) and independent of the other candidates, so a
score can be read on its own; the score is the weighted sum of the terms:

    score = w_distance   * 1 / (1 + distance_km / 10)
          + w_coverage   * units the hub can ship / units still to route
          + w_processing * 1 / (1 + processing_minutes / 60)
          + w_capacity   * remaining_capacity / daily_capacity
          + w_cost       * 1 / (1 + cost_amount / 1000)

Money: the delivery fee is ``base + per_km * distance`` (cents, half-up) plus the express
surcharge; the fulfillment cost is that fee plus handling (processing minutes x
``routing_handling_amount_per_minute``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from orderflow.config import Settings

DISTANCE_SCALE_KM = 10.0
PROCESSING_SCALE_MINUTES = 60.0
COST_SCALE_AMOUNT = 1000.0
TERMS = ("distance", "coverage", "processing", "capacity", "cost")


@dataclass(frozen=True)
class Weights:
    distance: float = 1.0
    coverage: float = 3.0
    processing: float = 0.5
    capacity: float = 0.5
    cost: float = 1.0
    handling_amount_per_minute: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            distance=settings.routing_weight_distance,
            coverage=settings.routing_weight_coverage,
            processing=settings.routing_weight_processing,
            capacity=settings.routing_weight_capacity,
            cost=settings.routing_weight_cost,
            handling_amount_per_minute=settings.routing_handling_amount_per_minute,
        )

    def as_record(self) -> dict[str, float]:
        return {term: float(getattr(self, term)) for term in TERMS}


def round_km(distance_km: float) -> float:
    """Distances are kept to the metre so fees are reproducible."""
    return round(distance_km, 3)


def delivery_fee_amount(
    *,
    base_amount: int,
    per_km_amount: int,
    distance_km: float,
    express_surcharge_amount: int = 0,
    express: bool = False,
) -> int:
    """``base + per_km * km`` in cents, rounded half-up, plus the surcharge for express."""
    variable = (Decimal(per_km_amount) * Decimal(repr(round_km(distance_km)))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return base_amount + int(variable) + (express_surcharge_amount if express else 0)


def fulfillment_cost_amount(
    *, delivery_fee_amount: int, processing_minutes: int, handling_amount_per_minute: int
) -> int:
    """What the shipment costs to run: the courier leg plus handling time at the hub."""
    return delivery_fee_amount + processing_minutes * handling_amount_per_minute


@dataclass(frozen=True)
class Terms:
    distance: float
    coverage: float
    processing: float
    capacity: float
    cost: float


def terms(
    *,
    distance_km: float,
    coverage: float,
    processing_minutes: int,
    remaining_capacity: int,
    daily_capacity: int,
    cost_amount: int,
) -> Terms:
    capacity = remaining_capacity / daily_capacity if daily_capacity > 0 else 0.0
    return Terms(
        distance=1.0 / (1.0 + max(distance_km, 0.0) / DISTANCE_SCALE_KM),
        coverage=min(max(coverage, 0.0), 1.0),
        processing=1.0 / (1.0 + max(processing_minutes, 0) / PROCESSING_SCALE_MINUTES),
        capacity=min(max(capacity, 0.0), 1.0),
        cost=1.0 / (1.0 + max(cost_amount, 0) / COST_SCALE_AMOUNT),
    )


def score(t: Terms, weights: Weights) -> tuple[float, Mapping[str, float]]:
    """The total and its breakdown: each term's weighted contribution, plus ``total``."""
    parts = {term: getattr(weights, term) * getattr(t, term) for term in TERMS}
    total = sum(parts[term] for term in TERMS)
    breakdown = {term: round(value, 6) for term, value in parts.items()}
    breakdown["total"] = round(total, 6)
    return total, breakdown
