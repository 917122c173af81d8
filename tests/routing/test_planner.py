"""The routing planner (routing/planner.py): which hubs ship what, and why."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orderflow.kit.geo import Point, haversine_km
from orderflow.routing.planner import (
    EXPRESS_CUTOFF,
    EXPRESS_TOO_SLOW,
    INVALID_HOURS,
    LOWER_SCORE,
    NO_CAPACITY,
    NO_STOCK,
    OUTSIDE_RADIUS,
    SCHEDULED_CLOSED,
    SCHEDULED_TOO_SOON,
    HubCandidate,
    NoRoute,
    RouteLine,
    RoutingPlan,
    Weights,
    plan,
)

HOME = Point(41.8781, -87.6298)  # the shipping address
ALL_WEEK = {d: ["08:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday 10:00 in Chicago
KM_PER_DEGREE_LAT = 111.195


def north(km: float) -> Point:
    return Point(HOME.lat + km / KM_PER_DEGREE_LAT, HOME.lng)


def hub(hub_id: str, stock: dict[str, int], *, km: float = 1.0, **overrides: Any) -> HubCandidate:
    values: dict[str, Any] = {
        "hub_id": hub_id,
        "name": f"Hub {hub_id}",
        "location": north(km),
        "stock": stock,
        "processing_minutes": 30,
        "remaining_capacity": 100,
        "daily_capacity": 200,
        "delivery_base_amount": 499,
        "delivery_per_km_amount": 50,
        "express_surcharge_amount": 500,
        "service_radius_km": 40.0,
        "timezone": "America/Chicago",
        "opening_hours": ALL_WEEK,
        "express_cutoff": "20:00",
    }
    values.update(overrides)
    return HubCandidate(**values)


def line(line_id: str, variant_id: str, quantity: int, vendor_id: str = "ven_a") -> RouteLine:
    return RouteLine(line_id, variant_id, vendor_id, quantity)


def route(
    lines: list[RouteLine],
    hubs: list[HubCandidate],
    *,
    delivery_type: str = "standard",
    scheduled_at: datetime | None = None,
    now: datetime = NOW,
    weights: Weights | None = None,
    express_max_minutes: int = 120,
) -> RoutingPlan:
    return plan(
        lines,
        hubs,
        destination=HOME,
        delivery_type=delivery_type,
        scheduled_at=scheduled_at,
        now=now,
        weights=weights or Weights(),
        courier_speed_kmh=30.0,
        express_max_minutes=express_max_minutes,
    )


def alternative(p: RoutingPlan, hub_id: str) -> Any:
    return next(a for a in p.alternatives if a.hub_id == hub_id)


class TestConsolidation:
    def test_one_hub_holding_every_vendors_lines_ships_everything_once(self) -> None:
        lines = [line("l1", "beer", 2, "brand"), line("l2", "wine", 1, "distributor")]
        p = route(lines, [hub("h1", {"beer": 5, "wine": 5}, km=8), hub("h2", {"beer": 9}, km=1)])
        assert p.consolidated
        assert [s.hub_id for s in p.shipments] == ["h1"]
        assert p.delivery_fee_amount == p.shipments[0].delivery_fee_amount
        assert {(a.line_id, a.quantity) for a in p.shipments[0].allocations} == {
            ("l1", 2),
            ("l2", 1),
        }

    def test_without_a_common_hub_each_hub_ships_its_part_and_fees_add_up(self) -> None:
        lines = [line("l1", "beer", 2, "brand"), line("l2", "wine", 1, "distributor")]
        p = route(lines, [hub("h1", {"beer": 5}, km=2), hub("h2", {"wine": 5}, km=3)])
        assert not p.consolidated
        assert sorted(s.hub_id for s in p.shipments) == ["h1", "h2"]
        assert p.delivery_fee_amount == sum(s.delivery_fee_amount for s in p.shipments)
        assert p.estimated_delivery_at == max(s.estimated_delivery_at for s in p.shipments)

    def test_a_line_no_hub_holds_alone_is_split_across_hubs(self) -> None:
        p = route([line("l1", "beer", 7)], [hub("h1", {"beer": 4}), hub("h2", {"beer": 5}, km=2)])
        shipped = {s.hub_id: s.allocations[0].quantity for s in p.shipments}
        assert shipped == {"h2": 5, "h1": 2}

    def test_the_split_starts_at_the_hub_that_covers_most(self) -> None:
        p = route([line("l1", "beer", 10)], [hub("h1", {"beer": 2}), hub("h2", {"beer": 9}, km=5)])
        assert [s.hub_id for s in p.shipments] == ["h2", "h1"]

    def test_two_lines_of_one_variant_share_the_hubs_stock(self) -> None:
        p = route(
            [line("l1", "beer", 3), line("l2", "beer", 3)],
            [hub("h1", {"beer": 4}), hub("h2", {"beer": 4}, km=2)],
        )
        per_hub = {s.hub_id: sum(a.quantity for a in s.allocations) for s in p.shipments}
        assert per_hub == {"h1": 4, "h2": 2}

    def test_equal_hubs_are_broken_by_hub_id(self) -> None:
        hubs = [hub("h2", {"beer": 5}), hub("h1", {"beer": 5})]
        assert route([line("l1", "beer", 1)], hubs).shipments[0].hub_id == "h1"


class TestExclusions:
    def test_a_hub_outside_its_service_radius_is_excluded_with_the_reason(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [hub("far", {"beer": 5}, km=3, service_radius_km=2), hub("ok", {"beer": 5}, km=5)],
        )
        assert p.shipments[0].hub_id == "ok"
        far = alternative(p, "far")
        assert not far.eligible and OUTSIDE_RADIUS in far.reasons and far.score is None

    def test_a_hub_without_remaining_capacity_is_excluded(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [hub("full", {"beer": 5}, remaining_capacity=0), hub("ok", {"beer": 5}, km=5)],
        )
        assert p.shipments[0].hub_id == "ok"
        assert NO_CAPACITY in alternative(p, "full").reasons

    def test_express_excludes_a_hub_past_its_cutoff(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [hub("late", {"beer": 5}, express_cutoff="09:00"), hub("ok", {"beer": 5}, km=5)],
            delivery_type="express",
        )
        assert p.shipments[0].hub_id == "ok"
        assert EXPRESS_CUTOFF in alternative(p, "late").reasons

    def test_express_excludes_a_hub_too_slow_for_the_promise(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [
                hub("slow", {"beer": 5}, km=30, processing_minutes=100),
                hub("ok", {"beer": 5}, km=35),
            ],
            delivery_type="express",
        )
        assert p.shipments[0].hub_id == "ok"
        assert EXPRESS_TOO_SLOW in alternative(p, "slow").reasons

    def test_express_adds_the_surcharge_to_the_fee(self) -> None:
        hubs = [hub("h1", {"beer": 5}, km=0)]
        standard = route([line("l1", "beer", 1)], hubs)
        express = route([line("l1", "beer", 1)], hubs, delivery_type="express")
        assert express.delivery_fee_amount - standard.delivery_fee_amount == 500

    def test_scheduled_excludes_a_hub_closed_at_the_slot(self) -> None:
        slot = NOW + timedelta(hours=13)  # Monday 23:00 local
        p = route(
            [line("l1", "beer", 1)],
            [
                hub("day", {"beer": 5}),
                hub("late", {"beer": 5}, km=5, opening_hours={"mon": ["08:00", "23:59"]}),
            ],
            delivery_type="scheduled",
            scheduled_at=slot,
        )
        assert p.shipments[0].hub_id == "late"
        assert p.shipments[0].estimated_delivery_at == slot
        assert SCHEDULED_CLOSED in alternative(p, "day").reasons

    def test_scheduled_excludes_a_hub_that_cannot_make_the_slot(self) -> None:
        slot = NOW + timedelta(minutes=45)
        p = route(
            [line("l1", "beer", 1)],
            [hub("slow", {"beer": 5}, processing_minutes=60), hub("ok", {"beer": 5}, km=2)],
            delivery_type="scheduled",
            scheduled_at=slot,
        )
        assert p.shipments[0].hub_id == "ok"
        assert SCHEDULED_TOO_SOON in alternative(p, "slow").reasons

    def test_alternatives_list_every_hub_with_why_it_was_not_chosen(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [hub("a", {"beer": 5}), hub("b", {"beer": 5}, km=5), hub("c", {"wine": 5})],
        )
        assert {a.hub_id: a.reasons for a in p.alternatives} == {
            "a": (),
            "b": (LOWER_SCORE,),
            "c": (NO_STOCK,),
        }
        assert alternative(p, "a").chosen and not alternative(p, "b").chosen


class TestNoRoute:
    def test_insufficient_stock_says_which_line_and_by_how_much(self) -> None:
        with pytest.raises(NoRoute) as caught:
            route(
                [line("l1", "beer", 5), line("l2", "wine", 1)],
                [hub("h1", {"beer": 2, "wine": 1}), hub("h2", {"beer": 1})],
            )
        assert caught.value.extra["lines"] == [
            {
                "lineId": "l1",
                "variantId": "beer",
                "vendorId": "ven_a",
                "requested": 5,
                "available": 3,
                "short": 2,
            }
        ]
        assert caught.value.status == 422 and caught.value.code == "no_route"

    def test_stock_at_unreachable_hubs_does_not_count(self) -> None:
        with pytest.raises(NoRoute) as caught:
            route([line("l1", "beer", 1)], [hub("far", {"beer": 9}, km=50)])
        assert caught.value.extra["excluded"] == [{"hubId": "far", "reasons": [OUTSIDE_RADIUS]}]
        assert "no hub can deliver to this address" in caught.value.detail

    def test_no_hubs_at_all_is_no_route(self) -> None:
        with pytest.raises(NoRoute):
            route([line("l1", "beer", 1)], [])


class TestTimesAndMoney:
    def test_the_eta_is_opening_plus_processing_plus_travel(self) -> None:
        before_opening = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 06:00 local, opens 08:00
        p = route([line("l1", "beer", 1)], [hub("h1", {"beer": 1}, km=15)], now=before_opening)
        s = p.shipments[0]
        opening = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
        assert s.dispatch_at == opening + timedelta(minutes=30)
        assert s.estimated_delivery_at == s.dispatch_at + timedelta(minutes=30)  # 15 km at 30 km/h

    def test_the_fee_is_base_plus_per_km_rounded_half_up(self) -> None:
        p = route([line("l1", "beer", 1)], [hub("h1", {"beer": 1}, km=1.01)])
        s = p.shipments[0]
        assert s.distance_km == pytest.approx(1.01, abs=0.001)
        expected_variable = int(50 * s.distance_km + 0.5)
        assert s.delivery_fee_amount == 499 + expected_variable

    def test_the_cost_is_the_fee_plus_handling_time(self) -> None:
        p = route([line("l1", "beer", 1)], [hub("h1", {"beer": 1}, processing_minutes=20)])
        s = p.shipments[0]
        assert s.cost_amount == s.delivery_fee_amount + 20 * Weights().handling_amount_per_minute

    def test_the_record_is_json_with_camel_case_keys(self) -> None:
        p = route([line("l1", "beer", 2)], [hub("h1", {"beer": 1}), hub("h2", {"beer": 1}, km=3)])
        record = json.loads(json.dumps(p.as_record()))
        assert record["consolidated"] is False
        assert record["hubIds"] == ["h1", "h2"]
        assert set(record["shipments"][0]) >= {
            "hubId",
            "allocations",
            "distanceKm",
            "estimatedProcessingMinutes",
            "estimatedDeliveryAt",
            "deliveryFeeAmount",
            "costAmount",
            "score",
            "breakdown",
        }
        assert record["shipments"][0]["breakdown"]["total"] == pytest.approx(p.shipments[0].score)
        assert record["estimatedDeliveryAt"].endswith("Z")

    def test_the_plan_does_not_depend_on_the_order_of_candidates(self) -> None:
        hubs = [hub(f"h{i}", {"beer": i + 1, "wine": 3 - i}, km=i * 2.0) for i in range(4)]
        lines = [line("l1", "beer", 5), line("l2", "wine", 4)]
        first = route(lines, hubs).as_record()
        shuffled = hubs[:]
        random.Random(7).shuffle(shuffled)
        assert route(lines, shuffled).as_record() == first


# ---------------------------------------------------------------- properties

distances = st.floats(min_value=0.0, max_value=30.0)


class TestScoringProperties:
    @given(near=distances, gap=st.floats(min_value=0.2, max_value=9.0))
    def test_a_closer_hub_with_full_coverage_beats_a_farther_one(
        self, near: float, gap: float
    ) -> None:
        lines = [line("l1", "beer", 3), line("l2", "wine", 2, "ven_b")]
        stock = {"beer": 3, "wine": 2}
        # The farther hub gets the smaller id, so a tie would wrongly pick it.
        p = route(lines, [hub("a_far", stock, km=near + gap), hub("b_near", stock, km=near)])
        assert [s.hub_id for s in p.shipments] == ["b_near"]

    @given(
        km=distances,
        split_at=st.integers(min_value=1, max_value=9),
        quantity=st.integers(min_value=2, max_value=10),
    )
    def test_a_single_covering_hub_beats_a_split_when_costs_are_equal(
        self, km: float, split_at: int, quantity: int
    ) -> None:
        assume(split_at < quantity)
        lines = [line("l1", "beer", quantity)]
        hubs = [
            hub("a_part", {"beer": split_at}, km=km),
            hub("b_part", {"beer": quantity - split_at}, km=km),
            hub("z_whole", {"beer": quantity}, km=km),
        ]
        p = route(lines, hubs)
        assert p.consolidated
        assert [s.hub_id for s in p.shipments] == ["z_whole"]

    @given(
        near=distances,
        gap=st.floats(min_value=0.5, max_value=9.0),
        saving=st.integers(min_value=100, max_value=2000),
    )
    def test_weights_choose_between_the_closer_and_the_cheaper_hub(
        self, near: float, gap: float, saving: int
    ) -> None:
        # The far hub's base fee is cheaper by more than its extra kilometres cost.
        stock = {"beer": 5}
        close = hub("close", stock, km=near, delivery_base_amount=499 + saving + int(50 * gap) + 1)
        cheap = hub("cheap", stock, km=near + gap)
        lines = [line("l1", "beer", 1)]
        by_cost = Weights(distance=0.0, coverage=1.0, processing=0.0, capacity=0.0, cost=10.0)
        by_distance = Weights(distance=10.0, coverage=1.0, processing=0.0, capacity=0.0, cost=0.0)
        assert route(lines, [close, cheap], weights=by_cost).shipments[0].hub_id == "cheap"
        assert route(lines, [close, cheap], weights=by_distance).shipments[0].hub_id == "close"

    def test_a_heavy_capacity_weight_prefers_the_less_busy_hub(self) -> None:
        busy = hub("a_busy", {"beer": 5}, remaining_capacity=10)
        idle = hub("b_idle", {"beer": 5}, km=15, remaining_capacity=200)
        lines = [line("l1", "beer", 1)]
        assert route(lines, [busy, idle]).shipments[0].hub_id == "a_busy"
        heavy = replace(Weights(), capacity=10.0)
        assert route(lines, [busy, idle], weights=heavy).shipments[0].hub_id == "b_idle"


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[RouteLine], list[HubCandidate]]:
    variants = ["v1", "v2", "v3"]
    n_lines = draw(st.integers(min_value=1, max_value=5))
    lines = [
        line(
            f"l{i}",
            draw(st.sampled_from(variants)),
            draw(st.integers(min_value=1, max_value=12)),
            draw(st.sampled_from(["ven_a", "ven_b"])),
        )
        for i in range(n_lines)
    ]
    n_hubs = draw(st.integers(min_value=0, max_value=5))
    hubs = [
        hub(
            f"h{i}",
            {v: draw(st.integers(min_value=0, max_value=10)) for v in variants},
            km=draw(st.floats(min_value=0.0, max_value=50.0)),
            remaining_capacity=draw(st.sampled_from([0, 1, 50])),
            processing_minutes=draw(st.integers(min_value=0, max_value=90)),
            delivery_base_amount=draw(st.integers(min_value=0, max_value=1500)),
        )
        for i in range(n_hubs)
    ]
    return lines, hubs


def reachable(h: HubCandidate) -> bool:
    return haversine_km(h.location, HOME) <= h.service_radius_km and h.remaining_capacity > 0


class TestAllocationProperties:
    @settings(max_examples=300)
    @given(networks())
    def test_allocations_sum_to_the_request_and_never_exceed_stock(
        self, network: tuple[list[RouteLine], list[HubCandidate]]
    ) -> None:
        lines, hubs = network
        try:
            p = route(lines, hubs)
        except NoRoute:
            return
        by_id = {h.hub_id: h for h in hubs}
        shipped = {ln.line_id: 0 for ln in lines}
        for s in p.shipments:
            assert reachable(by_id[s.hub_id])
            used: dict[str, int] = {}
            for a in s.allocations:
                assert a.quantity > 0
                shipped[a.line_id] += a.quantity
                used[a.variant_id] = used.get(a.variant_id, 0) + a.quantity
            for variant, n in used.items():
                assert n <= by_id[s.hub_id].stock.get(variant, 0)
        assert shipped == {ln.line_id: ln.quantity for ln in lines}
        assert len({s.hub_id for s in p.shipments}) == len(p.shipments)
        assert p.consolidated == (len(p.shipments) == 1)

    @settings(max_examples=300)
    @given(networks())
    def test_no_route_exactly_when_reachable_stock_is_short(
        self, network: tuple[list[RouteLine], list[HubCandidate]]
    ) -> None:
        lines, hubs = network
        demand: dict[str, int] = {}
        for ln in lines:
            demand[ln.variant_id] = demand.get(ln.variant_id, 0) + ln.quantity
        supply = {v: sum(h.stock.get(v, 0) for h in hubs if reachable(h)) for v in demand}
        short = any(supply[v] < n for v, n in demand.items())
        try:
            route(lines, hubs)
        except NoRoute as exc:
            assert short
            assert sum(x["short"] for x in exc.extra["lines"]) == sum(
                max(n - supply[v], 0) for v, n in demand.items()
            )
        else:
            assert not short

    @given(networks(), st.data())
    def test_whenever_one_reachable_hub_covers_everything_the_order_ships_once(
        self, network: tuple[list[RouteLine], list[HubCandidate]], data: st.DataObject
    ) -> None:
        lines, hubs = network
        demand: dict[str, int] = {}
        for ln in lines:
            demand[ln.variant_id] = demand.get(ln.variant_id, 0) + ln.quantity
        whole = hub(
            data.draw(st.sampled_from(["h_whole", "a_whole"])),
            {v: n + data.draw(st.integers(min_value=0, max_value=3)) for v, n in demand.items()},
            km=data.draw(st.floats(min_value=0.0, max_value=39.0)),
        )
        covering = {
            h.hub_id
            for h in [*hubs, whole]
            if reachable(h) and all(h.stock.get(v, 0) >= n for v, n in demand.items())
        }
        p = route(lines, [*hubs, whole])
        assert p.consolidated
        assert p.shipments[0].hub_id in covering


class TestBrokenHubData:
    def test_a_hub_with_unreadable_hours_is_skipped_not_a_crash(self) -> None:
        p = route(
            [line("l1", "beer", 1)],
            [
                hub("a_broken", {"beer": 5}, opening_hours={"mon": ["9am", "5pm"]}),
                hub("b_tz", {"beer": 5}, timezone="Mars/Base"),
                hub("c_ok", {"beer": 5}, km=5),
            ],
            delivery_type="express",
        )
        assert [s.hub_id for s in p.shipments] == ["c_ok"]
        assert alternative(p, "a_broken").reasons == (INVALID_HOURS,)
        assert alternative(p, "b_tz").reasons == (INVALID_HOURS,)


class TestTimingProperties:
    @given(
        now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
        processing=st.integers(min_value=0, max_value=600),
        km=st.floats(min_value=0.0, max_value=39.0),
        weekend_closed=st.booleans(),
    )
    def test_a_shipment_leaves_while_open_after_processing_and_arrives_after_travel(
        self, now: datetime, processing: int, km: float, weekend_closed: bool
    ) -> None:
        from orderflow.routing import hours as h

        opening = dict(ALL_WEEK)
        if weekend_closed:
            del opening["sat"], opening["sun"]
        at = now.replace(tzinfo=UTC)
        p = route(
            [line("l1", "beer", 1)],
            [hub("h1", {"beer": 1}, km=km, processing_minutes=processing, opening_hours=opening)],
            now=at,
        )
        s = p.shipments[0]
        assert s.dispatch_at >= at + timedelta(minutes=processing)
        assert h.is_open(opening, "America/Chicago", s.dispatch_at)
        travel = s.estimated_delivery_at - s.dispatch_at
        assert timedelta(0) <= travel - timedelta(minutes=s.distance_km * 2) < timedelta(minutes=1)
