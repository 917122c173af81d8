"""Pure statistics of the analytics summary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.analytics.stats import percentile, rate

values = st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=1)
quantiles = st.floats(min_value=0, max_value=100)


class TestPercentile:
    def test_no_values_have_no_percentile(self) -> None:
        assert percentile([], 50) is None

    def test_interpolates_between_closest_ranks(self) -> None:
        assert percentile([3600, 10800], 50) == 7200
        assert percentile([3600, 10800], 90) == pytest.approx(10080)
        assert percentile([1, 2, 3, 4, 5], 50) == 3

    @given(values, quantiles)
    def test_lies_between_the_smallest_and_the_largest_value(
        self, data: list[float], q: float
    ) -> None:
        result = percentile(data, q)
        assert result is not None
        assert min(data) - 1e-6 <= result <= max(data) + 1e-6

    @given(values, quantiles, quantiles)
    def test_never_decreases_as_q_grows(self, data: list[float], a: float, b: float) -> None:
        low, high = sorted((a, b))
        assert percentile(data, low) <= percentile(data, high) + 1e-6  # type: ignore[operator]

    @given(values)
    def test_0_and_100_are_the_minimum_and_the_maximum(self, data: list[float]) -> None:
        assert percentile(data, 0) == min(data)
        assert percentile(data, 100) == max(data)

    def test_q_outside_0_to_100_is_refused(self) -> None:
        with pytest.raises(ValueError):
            percentile([1.0], 101)


class TestRate:
    @given(st.integers(0, 10_000), st.integers(1, 10_000))
    def test_is_a_fraction_of_the_whole(self, part: int, extra: int) -> None:
        assert 0 <= rate(part, part + extra) <= 1

    def test_nothing_to_divide_is_zero(self) -> None:
        assert rate(0, 0) == 0.0
