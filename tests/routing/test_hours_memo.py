"""Opening intervals are memoised; the memo answers exactly what a fresh computation would."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from orderflow.routing import hours

MONDAY_NOON = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 12:00 in America/Chicago


class TestMemoisedIntervals:
    def test_changed_hours_are_not_answered_from_the_memo(self) -> None:
        week = {"mon": ["09:00", "21:00"]}
        assert hours.is_open(week, "America/Chicago", MONDAY_NOON)
        week["mon"] = ["13:00", "21:00"]  # the same dict, edited in place
        assert not hours.is_open(week, "America/Chicago", MONDAY_NOON)

    def test_a_returned_list_can_be_changed_without_touching_the_memo(self) -> None:
        week = {"mon": ["09:00", "21:00"]}
        first = hours.intervals(week, "America/Chicago", MONDAY_NOON)
        first.clear()
        assert hours.intervals(week, "America/Chicago", MONDAY_NOON) != []

    def test_hours_that_are_not_a_plain_dict_are_still_evaluated(self) -> None:
        week = MappingProxyType({"mon": ["09:00", "21:00"]})
        assert hours.is_open(week, "America/Chicago", MONDAY_NOON)

    def test_tuples_and_lists_give_the_same_intervals(self) -> None:
        week = {"mon": ("09:00", "21:00"), "tue": [("09:00", "12:00")]}
        same_as_lists = {"mon": ["09:00", "21:00"], "tue": [["09:00", "12:00"]]}
        assert hours.intervals(week, "UTC", MONDAY_NOON) == hours.intervals(
            same_as_lists, "UTC", MONDAY_NOON
        )
