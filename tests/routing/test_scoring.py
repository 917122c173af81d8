"""Hub scores, delivery fees and fulfillment costs (routing/scoring.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderflow.config import Settings
from orderflow.routing.scoring import (
    Weights,
    delivery_fee_amount,
    fulfillment_cost_amount,
    score,
    terms,
)


def fee(km: float, *, express: bool = False) -> int:
    return delivery_fee_amount(
        base_amount=499,
        per_km_amount=50,
        distance_km=km,
        express_surcharge_amount=500,
        express=express,
    )


class TestDeliveryFee:
    def test_the_fee_is_base_plus_per_km(self) -> None:
        assert fee(4.0) == 699

    def test_half_a_cent_rounds_up(self) -> None:
        assert fee(0.01) == 500  # 0.5 cent -> 1
        assert fee(0.009) == 499  # 0.45 cent -> 0

    def test_express_adds_the_surcharge(self) -> None:
        assert fee(4.0, express=True) == 1199

    @given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
    def test_farther_never_costs_less(self, a: float, b: float) -> None:
        near, far = sorted((a, b))
        assert fee(near) <= fee(far)


class TestCost:
    def test_the_cost_is_the_fee_plus_handling_minutes(self) -> None:
        assert (
            fulfillment_cost_amount(
                delivery_fee_amount=699, processing_minutes=30, handling_amount_per_minute=50
            )
            == 2199
        )


def t(**overrides: float) -> dict[str, float]:
    values: dict[str, float] = {
        "distance_km": 5.0,
        "coverage": 1.0,
        "processing_minutes": 30,
        "remaining_capacity": 100,
        "daily_capacity": 200,
        "cost_amount": 1500,
    }
    values.update(overrides)
    return values


def total(**overrides: float) -> float:
    v = t(**overrides)
    return score(
        terms(
            distance_km=v["distance_km"],
            coverage=v["coverage"],
            processing_minutes=int(v["processing_minutes"]),
            remaining_capacity=int(v["remaining_capacity"]),
            daily_capacity=int(v["daily_capacity"]),
            cost_amount=int(v["cost_amount"]),
        ),
        Weights(),
    )[0]


class TestScore:
    def test_every_term_is_between_zero_and_one(self) -> None:
        x = terms(
            distance_km=0,
            coverage=2.0,
            processing_minutes=0,
            remaining_capacity=900,
            daily_capacity=100,
            cost_amount=0,
        )
        assert (x.distance, x.coverage, x.processing, x.capacity, x.cost) == (1, 1, 1, 1, 1)

    def test_the_breakdown_adds_up_to_the_total(self) -> None:
        total_, breakdown = score(
            terms(
                distance_km=3,
                coverage=0.5,
                processing_minutes=45,
                remaining_capacity=10,
                daily_capacity=100,
                cost_amount=999,
            ),
            Weights(),
        )
        parts = sum(v for k, v in breakdown.items() if k != "total")
        assert abs(parts - total_) < 1e-5
        assert abs(breakdown["total"] - total_) < 1e-5

    @given(st.floats(min_value=0, max_value=100), st.floats(min_value=0.01, max_value=50))
    def test_closer_scores_higher(self, km: float, more: float) -> None:
        assert total(distance_km=km) > total(distance_km=km + more)

    @given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=5000))
    def test_cheaper_scores_higher(self, cost: int, more: int) -> None:
        assert total(cost_amount=cost) > total(cost_amount=cost + more)

    def test_more_coverage_faster_processing_and_more_capacity_score_higher(self) -> None:
        assert total(coverage=1.0) > total(coverage=0.5)
        assert total(processing_minutes=10) > total(processing_minutes=60)
        assert total(remaining_capacity=150) > total(remaining_capacity=50)

    def test_weights_come_from_the_settings(self) -> None:
        w = Weights.from_settings(
            Settings(routing_weight_cost=7.5, routing_handling_amount_per_minute=20)
        )
        assert w.cost == 7.5 and w.handling_amount_per_minute == 20
        assert w.distance == Settings().routing_weight_distance
