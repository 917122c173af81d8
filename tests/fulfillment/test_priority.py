"""Fulfillment priority: the seed's calculatePriority, boundaries included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfillment.priority import Priority, priority_for

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
hours = st.floats(min_value=-100, max_value=24 * 30, allow_nan=False)
delivery_types = st.sampled_from(["standard", "express", "scheduled"])


class TestRanks:
    def test_ranks_sort_high_before_medium_before_normal(self) -> None:
        assert [p.rank for p in (Priority.HIGH, Priority.MEDIUM, Priority.NORMAL)] == [0, 1, 2]

    def test_values_are_the_seed_strings(self) -> None:
        assert [p.value for p in Priority] == ["high", "medium", "normal"]


class TestExpress:
    @given(hours)
    def test_express_is_always_high(self, h: float) -> None:
        assert priority_for("express", NOW + timedelta(hours=h), NOW) is Priority.HIGH

    def test_express_without_a_schedule_is_high(self) -> None:
        assert priority_for("express", None, NOW) is Priority.HIGH


class TestScheduled:
    def test_just_under_24_hours_away_is_high(self) -> None:
        at = NOW + timedelta(hours=24) - timedelta(microseconds=1)
        assert priority_for("scheduled", at, NOW) is Priority.HIGH

    def test_exactly_24_hours_away_is_medium(self) -> None:
        assert priority_for("scheduled", NOW + timedelta(hours=24), NOW) is Priority.MEDIUM

    def test_just_under_48_hours_away_is_medium(self) -> None:
        at = NOW + timedelta(hours=48) - timedelta(microseconds=1)
        assert priority_for("scheduled", at, NOW) is Priority.MEDIUM

    def test_exactly_48_hours_away_is_normal(self) -> None:
        assert priority_for("scheduled", NOW + timedelta(hours=48), NOW) is Priority.NORMAL

    def test_a_schedule_in_the_past_is_due_now_so_high(self) -> None:
        assert priority_for("scheduled", NOW - timedelta(hours=1), NOW) is Priority.HIGH

    @given(hours)
    def test_priority_follows_the_hours_until_delivery(self, h: float) -> None:
        at = NOW + timedelta(hours=h)
        expected = Priority.HIGH if h < 24 else Priority.MEDIUM if h < 48 else Priority.NORMAL
        assert priority_for("scheduled", at, NOW) is expected

    @given(hours, hours)
    def test_a_later_schedule_is_never_more_urgent(self, a: float, b: float) -> None:
        early, late = sorted((a, b))
        first = priority_for("scheduled", NOW + timedelta(hours=early), NOW)
        second = priority_for("scheduled", NOW + timedelta(hours=late), NOW)
        assert first.rank <= second.rank


class TestStandard:
    def test_standard_without_a_schedule_is_normal(self) -> None:
        assert priority_for("standard", None, NOW) is Priority.NORMAL

    def test_scheduled_without_a_date_is_normal(self) -> None:
        assert priority_for("scheduled", None, NOW) is Priority.NORMAL

    @given(delivery_types, st.none() | hours)
    def test_the_result_is_always_one_of_the_three(self, kind: str, h: float | None) -> None:
        at = None if h is None else NOW + timedelta(hours=h)
        assert priority_for(kind, at, NOW) in set(Priority)
