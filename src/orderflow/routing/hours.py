"""Hub opening hours, evaluated in the hub's own IANA timezone. Pure: every function takes the time.

Hours are ``{"mon": ["09:00", "21:00"], "tue": [...], ...}``; a day may also hold several
intervals (``[["09:00", "12:00"], ["13:00", "21:00"]]``). A missing or empty day is closed.
``"23:59"`` and ``"24:00"`` as a closing time both mean "until midnight"; a closing time
earlier than the opening time runs past midnight into the next day (``["18:00", "02:00"]``).
Instants go in and come out timezone-aware; results are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OpeningHours = Mapping[str, Any]
# How far ahead next_open looks; a week covers every weekly pattern, plus a day for overnights.
_LOOKAHEAD_DAYS = 8


class InvalidHours(ValueError):
    """Opening hours or a timezone that cannot be understood."""


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidHours(f"{tz!r} is not an IANA timezone such as 'America/Chicago'") from exc


def parse_clock(value: str) -> tuple[int, int]:
    """``"HH:MM"`` to (hour, minute); ``"24:00"`` is allowed (end of day)."""
    try:
        hh, mm = value.split(":")
        hour, minute = int(hh), int(mm)
    except (AttributeError, ValueError) as exc:
        raise InvalidHours(f"{value!r} is not a time of day like '09:30'") from exc
    if not (0 <= minute < 60 and (0 <= hour < 24 or (hour == 24 and minute == 0))):
        raise InvalidHours(f"{value!r} is not a time of day like '09:30'")
    return hour, minute


def day_intervals(value: Any) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """One day's entry as a list of ((open h, m), (close h, m))."""
    if not value:
        return []
    if isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, str) for v in value):
        pairs: Sequence[Any] = [value]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        pairs = value
    else:
        raise InvalidHours(f"{value!r} is not ['HH:MM', 'HH:MM'] or a list of such pairs")
    result = []
    for pair in pairs:
        if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
            raise InvalidHours(f"{pair!r} is not an ['open', 'close'] pair")
        result.append((parse_clock(str(pair[0])), parse_clock(str(pair[1]))))
    return result


def validate_hours(hours: OpeningHours) -> None:
    """Raise InvalidHours when ``hours`` has unknown days or malformed times."""
    unknown = set(hours) - set(DAYS)
    if unknown:
        raise InvalidHours(f"unknown day(s) {sorted(unknown)}; use {', '.join(DAYS)}")
    for day in DAYS:
        day_intervals(hours.get(day))


def _local(d: date, hm: tuple[int, int], tz: ZoneInfo) -> datetime:
    hour, minute = hm
    if hour == 24:
        return datetime.combine(d + timedelta(days=1), time(0, 0), tz)
    return datetime.combine(d, time(hour, minute), tz)


def _intervals_of(
    hours: OpeningHours, d: date, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The opening intervals that start on local date ``d``, in UTC."""
    for opens, closes in day_intervals(hours.get(DAYS[d.weekday()])):
        if closes == (23, 59):
            closes = (24, 0)
        start = _local(d, opens, tz)
        end = _local(d, closes, tz)
        if end <= start:  # runs past midnight
            end = _local(d + timedelta(days=1), closes, tz)
        yield start.astimezone(UTC), end.astimezone(UTC)


@lru_cache(maxsize=4096)
def _zone_cached(tz: str) -> ZoneInfo:
    return zone(tz)


@lru_cache(maxsize=4096)
def _intervals_cached(
    hours_json: str, tz: str, first: date, days: int
) -> tuple[tuple[datetime, datetime], ...]:
    hours = json.loads(hours_json)
    zi = _zone_cached(tz)
    found = [iv for n in range(days + 1) for iv in _intervals_of(hours, first + timedelta(n), zi)]
    return tuple(sorted(found))


def intervals(
    hours: OpeningHours, tz: str, start: datetime, days: int = _LOOKAHEAD_DAYS
) -> list[tuple[datetime, datetime]]:
    """Opening intervals (UTC, sorted) starting from the local day before ``start`` on.

    Memoised per (hours, timezone, local start day, days): the result depends on nothing else,
    and routing asks for the same hub's week many times per order.
    """
    zi = _zone_cached(tz)
    first = start.astimezone(zi).date() - timedelta(days=1)
    try:
        key = json.dumps(hours, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # not plain JSON: compute without the cache
        found = [
            iv for n in range(days + 1) for iv in _intervals_of(hours, first + timedelta(n), zi)
        ]
        return sorted(found)
    return list(_intervals_cached(key, tz, first, days))


def is_open(hours: OpeningHours, tz: str, at: datetime) -> bool:
    return any(s <= at < e for s, e in intervals(hours, tz, at, days=1))


def next_open(hours: OpeningHours, tz: str, at: datetime) -> datetime | None:
    """``at`` itself when open, else the next opening (UTC); ``None`` if it never opens."""
    for s, e in intervals(hours, tz, at):
        if s <= at < e:
            return at.astimezone(UTC)
        if s > at:
            return s
    return None


def closes_at(hours: OpeningHours, tz: str, at: datetime) -> datetime | None:
    """When the interval that contains ``at`` ends; ``None`` when closed at ``at``."""
    ends = [e for s, e in intervals(hours, tz, at, days=1) if s <= at < e]
    return max(ends) if ends else None


def dispatch_time(hours: OpeningHours, tz: str, ready_at: datetime) -> datetime | None:
    """When goods ready at ``ready_at`` leave: then if the hub is open, else at its next opening."""
    return next_open(hours, tz, ready_at)


def can_deliver_at(
    hours: OpeningHours,
    tz: str,
    slot: datetime,
    *,
    now: datetime,
    processing_minutes: int,
    travel_minutes: float,
) -> bool:
    """A scheduled slot works when it lies in opening hours and the earliest arrival is by then."""
    if slot <= now or not is_open(hours, tz, slot):
        return False
    earliest = earliest_arrival(
        hours, tz, now, processing_minutes=processing_minutes, travel_minutes=travel_minutes
    )
    return earliest is not None and earliest <= slot


def earliest_arrival(
    hours: OpeningHours,
    tz: str,
    now: datetime,
    *,
    processing_minutes: int,
    travel_minutes: float,
) -> datetime | None:
    """Start at the next opening, process, dispatch while open, then travel."""
    start = next_open(hours, tz, now)
    if start is None:
        return None
    dispatch = dispatch_time(hours, tz, start + timedelta(minutes=processing_minutes))
    if dispatch is None:
        return None
    return dispatch + timedelta(minutes=travel_minutes)


def express_possible(
    hours: OpeningHours,
    tz: str,
    express_cutoff: str,
    now: datetime,
    *,
    processing_minutes: int = 0,
) -> bool:
    """Open now, and the order can be dispatched (now + processing) by today's local cut-off."""
    if not is_open(hours, tz, now):
        return False
    zi = zone(tz)
    local_now = now.astimezone(zi)
    cutoff = _local(local_now.date(), parse_clock(express_cutoff), zi)
    return now + timedelta(minutes=processing_minutes) <= cutoff
