"""Hub opening hours in the hub's own timezone (routing/hours.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.routing.hours import (
    InvalidHours,
    can_deliver_at,
    closes_at,
    dispatch_time,
    earliest_arrival,
    express_possible,
    is_open,
    next_open,
    validate_hours,
)

CHICAGO = "America/Chicago"
WEEKDAYS = {d: ["09:00", "21:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
SHOP = {**WEEKDAYS, "sat": ["10:00", "18:00"]}  # closed on Sunday
ALL_DAY = {d: ["00:00", "23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# 2026-12-05 is a Saturday; Chicago is UTC-6 in December.
SAT_0959 = utc(2026, 12, 5, 15, 59)
SAT_1000 = utc(2026, 12, 5, 16, 0)
SAT_1800 = utc(2026, 12, 6, 0, 0)
MON_0900 = utc(2026, 12, 7, 15, 0)


class TestIsOpen:
    def test_closed_a_minute_before_opening(self) -> None:
        assert not is_open(SHOP, CHICAGO, SAT_0959)

    def test_open_at_the_opening_minute(self) -> None:
        assert is_open(SHOP, CHICAGO, SAT_1000)

    def test_closed_at_the_closing_minute(self) -> None:
        assert not is_open(SHOP, CHICAGO, SAT_1800)
        assert is_open(SHOP, CHICAGO, SAT_1800 - timedelta(seconds=1))

    def test_a_missing_day_is_closed(self) -> None:
        sunday_noon = utc(2026, 12, 6, 18, 0)
        assert not is_open(SHOP, CHICAGO, sunday_noon)

    def test_hours_are_read_in_the_hubs_timezone(self) -> None:
        # 14:30 UTC on a Monday is 09:30 in New York (open) and 08:30 in Chicago (closed).
        monday = utc(2026, 12, 7, 14, 30)
        assert is_open(WEEKDAYS, "America/New_York", monday)
        assert not is_open(WEEKDAYS, CHICAGO, monday)

    def test_23_59_as_closing_time_means_until_midnight(self) -> None:
        assert is_open(ALL_DAY, CHICAGO, utc(2026, 12, 6, 5, 59, 30))

    def test_hours_past_midnight_run_into_the_next_day(self) -> None:
        bar = {"fri": ["18:00", "02:00"]}
        saturday_0100_local = utc(2026, 12, 5, 7, 0)
        saturday_0300_local = utc(2026, 12, 5, 9, 0)
        assert is_open(bar, CHICAGO, saturday_0100_local)
        assert not is_open(bar, CHICAGO, saturday_0300_local)

    def test_a_day_may_have_several_intervals(self) -> None:
        split = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}
        assert is_open(split, CHICAGO, utc(2026, 12, 7, 17, 59))
        assert not is_open(split, CHICAGO, utc(2026, 12, 7, 18, 30))
        assert is_open(split, CHICAGO, utc(2026, 12, 7, 19, 0))

    def test_opening_times_follow_daylight_saving_time(self) -> None:
        # Chicago is UTC-6 until 2026-03-08, UTC-5 after: 09:00 local moves from 15:00Z to 14:00Z.
        assert is_open(WEEKDAYS, CHICAGO, utc(2026, 3, 6, 15, 0))
        assert not is_open(WEEKDAYS, CHICAGO, utc(2026, 3, 6, 14, 30))
        assert is_open(WEEKDAYS, CHICAGO, utc(2026, 3, 9, 14, 0))


class TestNextOpen:
    def test_when_open_it_is_now(self) -> None:
        assert next_open(SHOP, CHICAGO, SAT_1000 + timedelta(hours=1)) == SAT_1000 + timedelta(
            hours=1
        )

    def test_before_opening_it_is_the_opening_time(self) -> None:
        assert next_open(SHOP, CHICAGO, SAT_0959) == SAT_1000

    def test_after_saturday_closing_it_skips_the_closed_sunday(self) -> None:
        assert next_open(SHOP, CHICAGO, SAT_1800) == MON_0900

    def test_a_hub_without_hours_never_opens(self) -> None:
        assert next_open({}, CHICAGO, SAT_1000) is None

    def test_a_hub_open_one_day_a_week_opens_within_the_week(self) -> None:
        mondays = {"mon": ["09:00", "10:00"]}
        assert next_open(mondays, CHICAGO, MON_0900 + timedelta(hours=2)) == MON_0900 + timedelta(
            days=7
        )

    @given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)))
    def test_the_next_opening_is_open_and_nothing_opens_before_it(self, naive: datetime) -> None:
        at = naive.replace(tzinfo=UTC)
        found = next_open(SHOP, CHICAGO, at)
        assert found is not None
        assert found >= at
        assert is_open(SHOP, CHICAGO, found)
        if found > at:
            assert not is_open(SHOP, CHICAGO, at)
            assert not is_open(SHOP, CHICAGO, found - timedelta(minutes=1))


class TestDispatch:
    def test_goods_ready_while_open_leave_at_once(self) -> None:
        assert dispatch_time(SHOP, CHICAGO, SAT_1000) == SAT_1000

    def test_goods_ready_after_closing_leave_at_the_next_opening(self) -> None:
        assert dispatch_time(SHOP, CHICAGO, SAT_1800 + timedelta(minutes=5)) == MON_0900

    def test_closes_at_is_the_end_of_the_current_interval(self) -> None:
        assert closes_at(SHOP, CHICAGO, SAT_1000) == SAT_1800
        assert closes_at(SHOP, CHICAGO, SAT_0959) is None

    def test_earliest_arrival_waits_for_opening_then_processes_then_travels(self) -> None:
        arrival = earliest_arrival(
            SHOP, CHICAGO, SAT_0959 - timedelta(hours=2), processing_minutes=30, travel_minutes=20
        )
        assert arrival == SAT_1000 + timedelta(minutes=50)


class TestScheduledSlot:
    def test_a_slot_inside_hours_that_can_be_reached_works(self) -> None:
        assert can_deliver_at(
            SHOP,
            CHICAGO,
            MON_0900 + timedelta(hours=3),
            now=SAT_1000,
            processing_minutes=30,
            travel_minutes=20,
        )

    def test_a_slot_on_a_closed_day_does_not_work(self) -> None:
        sunday_noon = utc(2026, 12, 6, 18, 0)
        assert not can_deliver_at(
            SHOP, CHICAGO, sunday_noon, now=SAT_1000, processing_minutes=30, travel_minutes=20
        )

    def test_a_slot_sooner_than_processing_and_travel_does_not_work(self) -> None:
        assert not can_deliver_at(
            SHOP,
            CHICAGO,
            SAT_1000 + timedelta(minutes=40),
            now=SAT_1000,
            processing_minutes=30,
            travel_minutes=20,
        )

    def test_a_slot_in_the_past_does_not_work(self) -> None:
        assert not can_deliver_at(
            SHOP,
            CHICAGO,
            SAT_1000,
            now=SAT_1000 + timedelta(hours=1),
            processing_minutes=0,
            travel_minutes=0,
        )


class TestExpress:
    def test_possible_while_open_and_before_the_cutoff(self) -> None:
        assert express_possible(SHOP, CHICAGO, "17:00", SAT_1000)

    def test_impossible_after_the_cutoff(self) -> None:
        assert not express_possible(
            SHOP, CHICAGO, "17:00", SAT_1000 + timedelta(hours=7, minutes=1)
        )

    def test_impossible_when_processing_would_end_after_the_cutoff(self) -> None:
        now = SAT_1000 + timedelta(hours=6, minutes=45)  # 16:45 local
        assert express_possible(SHOP, CHICAGO, "17:00", now, processing_minutes=15)
        assert not express_possible(SHOP, CHICAGO, "17:00", now, processing_minutes=16)

    def test_impossible_while_closed(self) -> None:
        assert not express_possible(SHOP, CHICAGO, "17:00", SAT_0959)


class TestValidation:
    def test_well_formed_hours_pass(self) -> None:
        validate_hours(SHOP)

    @pytest.mark.parametrize(
        "hours",
        [
            {"monday": ["09:00", "17:00"]},
            {"mon": ["9am", "5pm"]},
            {"mon": ["09:00", "25:00"]},
            {"mon": ["09:00"]},
            {"mon": "09:00-17:00"},
        ],
    )
    def test_malformed_hours_are_rejected(self, hours: dict[str, object]) -> None:
        with pytest.raises(InvalidHours):
            validate_hours(hours)

    def test_an_unknown_timezone_is_rejected(self) -> None:
        with pytest.raises(InvalidHours):
            is_open(SHOP, "Mars/Olympus_Mons", SAT_1000)
