"""Routing against the database (routing/service.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from orderflow.db.session import Database
from orderflow.kit.geo import Point
from orderflow.routing.errors import NoRoute
from orderflow.routing.planner import NO_CAPACITY, OUTSIDE_RADIUS, RouteLine, RoutingPlan
from orderflow.routing.service import routing_service, start_of_local_day
from tests.factories import create_hub, create_variant, create_vendor, set_stock
from tests.routing.records import add_fulfillments

DOWNTOWN = Point(41.8789, -87.6359)
EVANSTON = (42.0451, -87.6877)
# Monday 2026-12-07, 23:30 in Chicago (05:30 UTC on the 8th): late, so day boundaries matter.
LATE_MONDAY = datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
NOON = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def route(
    db: Database, lines: list[RouteLine], *, now: datetime = NOON, **kwargs: Any
) -> RoutingPlan:
    with db.read() as session:
        return routing_service.plan(
            session,
            lines=lines,
            destination=kwargs.pop("destination", DOWNTOWN),
            delivery_type=kwargs.pop("delivery_type", "standard"),
            scheduled_at=kwargs.pop("scheduled_at", None),
            now=now,
        )


@contextmanager
def count_selects(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def catalog(db: Database) -> dict[str, str]:
    vendor = create_vendor(db)
    beer = create_variant(db, vendor_id=vendor.id)
    wine = create_variant(db, vendor_id=vendor.id)
    return {"vendor": vendor.id, "beer": beer.id, "wine": wine.id}


class TestPlan:
    def test_routes_to_the_hub_that_holds_the_stock(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        empty = create_hub(db)
        full = create_hub(db, lat=41.90, lng=-87.65)
        set_stock(db, full.id, catalog["beer"], 10)
        set_stock(db, empty.id, catalog["wine"], 10)
        p = route(db, [RouteLine("l1", catalog["beer"], catalog["vendor"], 3)])
        assert [s.hub_id for s in p.shipments] == [full.id]
        assert p.shipments[0].allocations[0].quantity == 3

    def test_only_unreserved_stock_is_available(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        hub = create_hub(db)
        set_stock(db, hub.id, catalog["beer"], 5, reserved=4)
        with pytest.raises(NoRoute) as caught:
            route(db, [RouteLine("l1", catalog["beer"], catalog["vendor"], 2)])
        assert caught.value.extra["lines"][0]["available"] == 1

    def test_inactive_hubs_are_not_considered(self, db: Database, catalog: dict[str, str]) -> None:
        closed = create_hub(db, active=False)
        set_stock(db, closed.id, catalog["beer"], 10)
        with pytest.raises(NoRoute):
            route(db, [RouteLine("l1", catalog["beer"], catalog["vendor"], 1)])

    def test_a_multi_vendor_order_consolidates_at_a_common_hub(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        other = create_vendor(db, type="distributor")
        gin = create_variant(db, vendor_id=other.id)
        near = create_hub(db)
        common = create_hub(db, lat=41.92, lng=-87.66)
        set_stock(db, near.id, catalog["beer"], 10)
        set_stock(db, common.id, catalog["beer"], 10)
        set_stock(db, common.id, gin.id, 10)
        p = route(
            db,
            [
                RouteLine("l1", catalog["beer"], catalog["vendor"], 1),
                RouteLine("l2", gin.id, other.id, 1),
            ],
        )
        assert p.consolidated and [s.hub_id for s in p.shipments] == [common.id]

    def test_a_hub_too_far_from_the_address_is_excluded(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        hub = create_hub(db, lat=EVANSTON[0], lng=EVANSTON[1], service_radius_km=5.0)
        set_stock(db, hub.id, catalog["beer"], 10)
        with pytest.raises(NoRoute) as caught:
            route(db, [RouteLine("l1", catalog["beer"], catalog["vendor"], 1)])
        assert caught.value.extra["excluded"] == [{"hubId": hub.id, "reasons": [OUTSIDE_RADIUS]}]

    def test_candidates_load_in_three_queries_however_many_hubs(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        for i in range(6):
            hub = create_hub(db, lat=41.87 + i * 0.01)
            set_stock(db, hub.id, catalog["beer"], 1)
            set_stock(db, hub.id, catalog["wine"], 1)
        with count_selects(db) as statements:
            p = route(
                db,
                [
                    RouteLine("l1", catalog["beer"], catalog["vendor"], 4),
                    RouteLine("l2", catalog["wine"], catalog["vendor"], 2),
                ],
            )
        assert len(statements) <= 3
        assert sum(a.quantity for s in p.shipments for a in s.allocations) == 6


class TestCapacity:
    def test_todays_fulfillments_use_up_the_daily_capacity(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        busy = create_hub(db, daily_capacity=2)
        spare = create_hub(db, lat=41.95, lng=-87.65)
        for hub in (busy, spare):
            set_stock(db, hub.id, catalog["beer"], 10)
        add_fulfillments(
            db, busy.id, catalog["beer"], catalog["vendor"], [NOON - timedelta(hours=2)] * 2
        )
        p = route(db, [RouteLine("l1", catalog["beer"], catalog["vendor"], 1)])
        assert [s.hub_id for s in p.shipments] == [spare.id]
        busy_alt = next(a for a in p.alternatives if a.hub_id == busy.id)
        assert NO_CAPACITY in busy_alt.reasons

    def test_the_day_is_the_hubs_local_day(self, db: Database, catalog: dict[str, str]) -> None:
        hub = create_hub(db, daily_capacity=3)
        # 22:00 Monday in Chicago is 04:00 UTC Tuesday: still "today" at 23:30 Monday local.
        monday_evening = datetime(2026, 12, 8, 4, 0, tzinfo=UTC)
        sunday_night = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 23:00 Sunday in Chicago
        add_fulfillments(
            db, hub.id, catalog["beer"], catalog["vendor"], [monday_evening, sunday_night]
        )
        with db.read() as session:
            (candidate,) = routing_service.candidates(
                session, variant_ids=[catalog["beer"]], now=LATE_MONDAY
            )
        assert candidate.remaining_capacity == 2

    def test_cancelled_fulfillments_do_not_count(
        self, db: Database, catalog: dict[str, str]
    ) -> None:
        hub = create_hub(db, daily_capacity=5)
        add_fulfillments(
            db,
            hub.id,
            catalog["beer"],
            catalog["vendor"],
            [NOON - timedelta(hours=1)],
            status="cancelled",
        )
        with db.read() as session:
            (candidate,) = routing_service.candidates(
                session, variant_ids=[catalog["beer"]], now=NOON
            )
        assert candidate.remaining_capacity == 5

    def test_local_midnight_follows_the_timezone(self) -> None:
        assert start_of_local_day("America/Chicago", LATE_MONDAY) == datetime(
            2026, 12, 7, 6, 0, tzinfo=UTC
        )
        assert start_of_local_day("Europe/Berlin", LATE_MONDAY) == datetime(
            2026, 12, 7, 23, 0, tzinfo=UTC
        )


class TestReach:
    def test_hubs_are_listed_nearest_first_with_whether_they_serve_the_point(
        self, db: Database
    ) -> None:
        evanston = create_hub(db, lat=EVANSTON[0], lng=EVANSTON[1], service_radius_km=5.0)
        loop = create_hub(db)
        with db.read() as session:
            views = routing_service.serviceable_hubs(session, destination=DOWNTOWN, now=NOON)
        assert [v.hub_id for v in views] == [loop.id, evanston.id]
        assert [v.serves_address for v in views] == [True, False]
        assert views[1].distance_km > 15

    def test_reach_says_whether_express_and_a_scheduled_slot_are_possible(
        self, db: Database
    ) -> None:
        hub = create_hub(
            db,
            opening_hours={"mon": ["09:00", "17:00"]},
            express_cutoff="11:00",
        )
        monday_10 = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
        monday_1130 = monday_10 + timedelta(minutes=90)
        view = routing_service.reach(
            hub, destination=DOWNTOWN, scheduled_at=monday_10 + timedelta(hours=3), now=monday_10
        )
        assert view.serves_address and view.express_possible and view.open_at_scheduled
        later = routing_service.reach(
            hub, destination=DOWNTOWN, scheduled_at=monday_10 + timedelta(hours=9), now=monday_1130
        )
        assert not later.express_possible and not later.open_at_scheduled
