"""The routing planner (the seed's routeOrder / selectOptimalHub / findCommonFulfillmentHubs).

Pure: order lines and hub candidates in, a ``RoutingPlan`` out. ``now`` is an argument.

1. Each hub is assessed: out of its service radius, without remaining daily capacity, never
   open, or unable to meet the delivery type (express cut-off / ``express_max_minutes``; a
   scheduled slot outside its hours or too early) means excluded, with the reasons kept.
2. If the eligible hubs together lack stock for some line, ``NoRoute`` says which and by how much.
3. Consolidation: when one eligible hub covers every line of every vendor, everything ships from
   the best-scoring such hub as one shipment.
4. Otherwise shipments are chosen greedily: score every hub on the demand still open, take the
   best (ties: lowest hub id), give it all it can ship, repeat. A line may be split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from orderflow.kit.clock import isoformat
from orderflow.kit.geo import Point, haversine_km
from orderflow.routing import hours
from orderflow.routing.errors import NoRoute
from orderflow.routing.scoring import (
    Weights,
    delivery_fee_amount,
    fulfillment_cost_amount,
    round_km,
    score,
    terms,
)

__all__ = [
    "Allocation",
    "Alternative",
    "Assessment",
    "HubCandidate",
    "NoRoute",
    "RouteLine",
    "RoutingPlan",
    "Shipment",
    "Weights",
    "assess",
    "plan",
]

DeliveryType = Literal["standard", "express", "scheduled"]

# Reasons a hub is left out (stable codes, stored in the alternatives)
OUTSIDE_RADIUS = "outside_service_radius"
NO_CAPACITY = "no_remaining_capacity"
NEVER_OPEN = "never_open"
EXPRESS_CUTOFF = "express_cutoff_passed"
EXPRESS_TOO_SLOW = "express_too_slow"
SCHEDULED_CLOSED = "scheduled_slot_outside_hours"
SCHEDULED_TOO_SOON = "scheduled_slot_too_soon"
NO_STOCK = "no_stock"
LOWER_SCORE = "lower_score"
INVALID_HOURS = "invalid_opening_hours"


@dataclass(frozen=True)
class RouteLine:
    line_id: str
    variant_id: str
    vendor_id: str
    quantity: int


@dataclass(frozen=True)
class HubCandidate:
    hub_id: str
    name: str
    location: Point
    stock: Mapping[str, int]  # available (on hand - reserved) per variant
    processing_minutes: int
    remaining_capacity: int
    daily_capacity: int
    delivery_base_amount: int
    delivery_per_km_amount: int
    express_surcharge_amount: int
    service_radius_km: float
    timezone: str
    opening_hours: Mapping[str, Any]
    express_cutoff: str


@dataclass(frozen=True)
class Allocation:
    line_id: str
    variant_id: str
    vendor_id: str
    quantity: int

    def as_record(self) -> dict[str, Any]:
        return {
            "lineId": self.line_id,
            "variantId": self.variant_id,
            "vendorId": self.vendor_id,
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class Shipment:
    hub_id: str
    allocations: tuple[Allocation, ...]
    distance_km: float
    estimated_processing_minutes: int
    dispatch_at: datetime
    estimated_delivery_at: datetime
    delivery_fee_amount: int
    cost_amount: int
    score: float
    breakdown: Mapping[str, float]

    def as_record(self) -> dict[str, Any]:
        return {
            "hubId": self.hub_id,
            "allocations": [a.as_record() for a in self.allocations],
            "distanceKm": self.distance_km,
            "estimatedProcessingMinutes": self.estimated_processing_minutes,
            "dispatchAt": isoformat(self.dispatch_at),
            "estimatedDeliveryAt": isoformat(self.estimated_delivery_at),
            "deliveryFeeAmount": self.delivery_fee_amount,
            "costAmount": self.cost_amount,
            "score": round(self.score, 6),
            "breakdown": dict(self.breakdown),
        }


@dataclass(frozen=True)
class Alternative:
    """A hub that was considered: whether it could serve, why not, and how it scored."""

    hub_id: str
    name: str
    eligible: bool
    reasons: tuple[str, ...]
    distance_km: float
    coverage: float  # share of the order's units it holds
    score: float | None  # on the whole order; None when excluded
    chosen: bool

    def as_record(self) -> dict[str, Any]:
        return {
            "hubId": self.hub_id,
            "name": self.name,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "distanceKm": self.distance_km,
            "coverage": round(self.coverage, 6),
            "score": None if self.score is None else round(self.score, 6),
            "chosen": self.chosen,
        }


@dataclass(frozen=True)
class RoutingPlan:
    shipments: tuple[Shipment, ...]
    consolidated: bool
    delivery_fee_amount: int
    estimated_delivery_at: datetime
    alternatives: tuple[Alternative, ...]
    delivery_type: str = "standard"
    reason: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {
            "deliveryType": self.delivery_type,
            "consolidated": self.consolidated,
            "hubIds": [s.hub_id for s in self.shipments],
            "reason": self.reason,
            "deliveryFeeAmount": self.delivery_fee_amount,
            "estimatedDeliveryAt": isoformat(self.estimated_delivery_at),
            "weights": dict(self.weights),
            "shipments": [s.as_record() for s in self.shipments],
            "alternatives": [a.as_record() for a in self.alternatives],
        }


@dataclass(frozen=True)
class Assessment:
    """What one hub can do for a destination and delivery type, regardless of stock."""

    hub_id: str
    distance_km: float
    travel_minutes: int
    reasons: tuple[str, ...]
    dispatch_at: datetime | None
    estimated_delivery_at: datetime | None

    @property
    def eligible(self) -> bool:
        return not self.reasons


def travel_minutes(distance_km: float, courier_speed_kmh: float) -> int:
    """Courier time, rounded up to whole minutes (so ETAs are whole minutes too)."""
    if courier_speed_kmh <= 0:
        return 0
    return math.ceil(round(distance_km / courier_speed_kmh * 60.0, 6))


def assess(
    hub: HubCandidate,
    *,
    destination: Point,
    delivery_type: str,
    scheduled_at: datetime | None,
    now: datetime,
    courier_speed_kmh: float,
    express_max_minutes: int,
) -> Assessment:
    """Can ``hub`` serve ``destination`` with ``delivery_type``? Reasons when it cannot."""
    try:
        return _assess(
            hub,
            destination=destination,
            delivery_type=delivery_type,
            scheduled_at=scheduled_at,
            now=now,
            courier_speed_kmh=courier_speed_kmh,
            express_max_minutes=express_max_minutes,
        )
    except hours.InvalidHours:
        # A hub whose stored hours cannot be read is skipped, never a 500 for the customer.
        distance = round_km(haversine_km(hub.location, destination))
        return Assessment(
            hub.hub_id,
            distance,
            travel_minutes(distance, courier_speed_kmh),
            (INVALID_HOURS,),
            None,
            None,
        )


def _assess(
    hub: HubCandidate,
    *,
    destination: Point,
    delivery_type: str,
    scheduled_at: datetime | None,
    now: datetime,
    courier_speed_kmh: float,
    express_max_minutes: int,
) -> Assessment:
    exact = haversine_km(hub.location, destination)
    distance = round_km(exact)
    travel = travel_minutes(distance, courier_speed_kmh)
    reasons: list[str] = []
    if exact > hub.service_radius_km:
        reasons.append(OUTSIDE_RADIUS)
    if hub.remaining_capacity <= 0:
        reasons.append(NO_CAPACITY)
    start = hours.next_open(hub.opening_hours, hub.timezone, now)
    dispatch = (
        None
        if start is None
        else hours.dispatch_time(
            hub.opening_hours,
            hub.timezone,
            start + timedelta(minutes=hub.processing_minutes),
        )
    )
    if dispatch is None:
        reasons.append(NEVER_OPEN)
        return Assessment(hub.hub_id, distance, travel, tuple(reasons), None, None)
    eta = dispatch + timedelta(minutes=travel)
    if delivery_type == "express":
        if not hours.express_possible(
            hub.opening_hours,
            hub.timezone,
            hub.express_cutoff,
            now,
            processing_minutes=hub.processing_minutes,
        ):
            reasons.append(EXPRESS_CUTOFF)
        elif eta - now > timedelta(minutes=express_max_minutes):
            reasons.append(EXPRESS_TOO_SLOW)
    elif delivery_type == "scheduled" and scheduled_at is not None:
        if not hours.is_open(hub.opening_hours, hub.timezone, scheduled_at):
            reasons.append(SCHEDULED_CLOSED)
        elif eta > scheduled_at:
            reasons.append(SCHEDULED_TOO_SOON)
        else:
            dispatch = max(dispatch, scheduled_at - timedelta(minutes=travel))
            eta = scheduled_at
    return Assessment(hub.hub_id, distance, travel, tuple(reasons), dispatch, eta)


# ---------------------------------------------------------------- allocation helpers


def _supply(
    lines: Sequence[RouteLine], remaining: Mapping[str, int], stock: Mapping[str, int]
) -> dict[str, int]:
    """Units per line the hub can ship now; lines of one variant share its stock, in order."""
    left = dict(stock)
    take: dict[str, int] = {}
    for line in lines:
        n = min(remaining[line.line_id], max(left.get(line.variant_id, 0), 0))
        if n > 0:
            take[line.line_id] = n
            left[line.variant_id] -= n
    return take


def _shortfalls(
    lines: Sequence[RouteLine], eligible: Sequence[HubCandidate]
) -> list[dict[str, Any]]:
    total: dict[str, int] = {}
    for hub in eligible:
        for variant, n in hub.stock.items():
            total[variant] = total.get(variant, 0) + max(n, 0)
    short = []
    for line in lines:
        available = min(line.quantity, total.get(line.variant_id, 0))
        total[line.variant_id] = total.get(line.variant_id, 0) - available
        if available < line.quantity:
            short.append(
                {
                    "lineId": line.line_id,
                    "variantId": line.variant_id,
                    "vendorId": line.vendor_id,
                    "requested": line.quantity,
                    "available": available,
                    "short": line.quantity - available,
                }
            )
    return short


@dataclass(frozen=True)
class _Option:
    hub: HubCandidate
    assessment: Assessment
    take: Mapping[str, int]
    delivery_fee_amount: int
    cost_amount: int
    score: float
    breakdown: Mapping[str, float]

    @property
    def units(self) -> int:
        return sum(self.take.values())

    def rank(self) -> tuple[float, str]:
        return (-self.score, self.hub.hub_id)


def _option(
    hub: HubCandidate,
    assessment: Assessment,
    lines: Sequence[RouteLine],
    remaining: Mapping[str, int],
    *,
    express: bool,
    weights: Weights,
) -> _Option:
    take = _supply(lines, remaining, hub.stock)
    open_units = sum(remaining.values())
    fee = delivery_fee_amount(
        base_amount=hub.delivery_base_amount,
        per_km_amount=hub.delivery_per_km_amount,
        distance_km=assessment.distance_km,
        express_surcharge_amount=hub.express_surcharge_amount,
        express=express,
    )
    cost = fulfillment_cost_amount(
        delivery_fee_amount=fee,
        processing_minutes=hub.processing_minutes,
        handling_amount_per_minute=weights.handling_amount_per_minute,
    )
    total, breakdown = score(
        terms(
            distance_km=assessment.distance_km,
            coverage=sum(take.values()) / open_units if open_units else 0.0,
            processing_minutes=hub.processing_minutes,
            remaining_capacity=hub.remaining_capacity,
            daily_capacity=hub.daily_capacity,
            cost_amount=cost,
        ),
        weights,
    )
    return _Option(hub, assessment, take, fee, cost, total, breakdown)


def _shipment(option: _Option, lines: Sequence[RouteLine]) -> Shipment:
    a = option.assessment
    assert a.dispatch_at is not None and a.estimated_delivery_at is not None
    return Shipment(
        hub_id=option.hub.hub_id,
        allocations=tuple(
            Allocation(line.line_id, line.variant_id, line.vendor_id, option.take[line.line_id])
            for line in lines
            if option.take.get(line.line_id, 0) > 0
        ),
        distance_km=a.distance_km,
        estimated_processing_minutes=option.hub.processing_minutes,
        dispatch_at=a.dispatch_at,
        estimated_delivery_at=a.estimated_delivery_at,
        delivery_fee_amount=option.delivery_fee_amount,
        cost_amount=option.cost_amount,
        score=option.score,
        breakdown=option.breakdown,
    )


def _validate_lines(lines: Sequence[RouteLine]) -> None:
    if not lines:
        raise ValueError("nothing to route: no lines")
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("line ids must be unique")
    if any(line.quantity <= 0 for line in lines):
        raise ValueError("line quantities must be positive")


# ---------------------------------------------------------------- the planner


def plan(
    lines: Sequence[RouteLine],
    candidates: Sequence[HubCandidate],
    *,
    destination: Point,
    delivery_type: str,
    scheduled_at: datetime | None,
    now: datetime,
    weights: Weights,
    courier_speed_kmh: float,
    express_max_minutes: int,
) -> RoutingPlan:
    """Route ``lines`` to hubs. Raises ``NoRoute`` when reachable stock does not cover them."""
    _validate_lines(lines)
    hubs = sorted(candidates, key=lambda h: h.hub_id)
    assessments = {
        h.hub_id: assess(
            h,
            destination=destination,
            delivery_type=delivery_type,
            scheduled_at=scheduled_at,
            now=now,
            courier_speed_kmh=courier_speed_kmh,
            express_max_minutes=express_max_minutes,
        )
        for h in hubs
    }
    eligible = [h for h in hubs if assessments[h.hub_id].eligible]
    express = delivery_type == "express"
    demand = {line.line_id: line.quantity for line in lines}
    total_units = sum(demand.values())

    first_round = {
        h.hub_id: _option(h, assessments[h.hub_id], lines, demand, express=express, weights=weights)
        for h in eligible
    }
    short = _shortfalls(lines, eligible)
    if short:
        raise NoRoute(
            _no_route_detail(short, hubs, assessments),
            extra={
                "lines": short,
                "excluded": [
                    {"hubId": h.hub_id, "reasons": list(assessments[h.hub_id].reasons)}
                    for h in hubs
                    if not assessments[h.hub_id].eligible
                ],
            },
        )

    covering = [o for o in first_round.values() if o.units == total_units]
    chosen: list[_Option]
    if covering:
        best = min(covering, key=_Option.rank)
        chosen = [best]
        reason = (
            f"{best.hub.hub_id} holds every line, so the order ships as one consolidated "
            f"shipment (best score of {len(covering)} covering hub(s))"
        )
    else:
        chosen = _greedy(lines, eligible, assessments, demand, express=express, weights=weights)
        reason = (
            f"no single hub holds every line; split over {len(chosen)} hubs chosen greedily "
            "by score on the units still to route"
        )

    shipments = tuple(_shipment(o, lines) for o in chosen)
    chosen_ids = {s.hub_id for s in shipments}
    alternatives = tuple(
        _alternative(h, assessments[h.hub_id], first_round.get(h.hub_id), lines, chosen_ids)
        for h in hubs
    )
    return RoutingPlan(
        shipments=shipments,
        consolidated=len(shipments) == 1,
        delivery_fee_amount=sum(s.delivery_fee_amount for s in shipments),
        estimated_delivery_at=max(s.estimated_delivery_at for s in shipments),
        alternatives=alternatives,
        delivery_type=delivery_type,
        reason=reason,
        weights=weights.as_record(),
    )


def _greedy(
    lines: Sequence[RouteLine],
    eligible: Sequence[HubCandidate],
    assessments: Mapping[str, Assessment],
    demand: Mapping[str, int],
    *,
    express: bool,
    weights: Weights,
) -> list[_Option]:
    remaining = dict(demand)
    pool = list(eligible)
    chosen: list[_Option] = []
    while sum(remaining.values()) > 0:
        options = [
            o
            for o in (
                _option(
                    h, assessments[h.hub_id], lines, remaining, express=express, weights=weights
                )
                for h in pool
            )
            if o.units > 0
        ]
        # _shortfalls() proved the pool holds enough, so there is always an option here.
        best = min(options, key=_Option.rank)
        chosen.append(best)
        pool.remove(best.hub)
        for line_id, n in best.take.items():
            remaining[line_id] -= n
    return chosen


def _alternative(
    hub: HubCandidate,
    assessment: Assessment,
    option: _Option | None,
    lines: Sequence[RouteLine],
    chosen: set[str],
) -> Alternative:
    total = sum(line.quantity for line in lines)
    held = sum(_supply(lines, {ln.line_id: ln.quantity for ln in lines}, hub.stock).values())
    reasons = assessment.reasons
    if held == 0:
        reasons = (*reasons, NO_STOCK)
    elif not reasons and hub.hub_id not in chosen:
        reasons = (LOWER_SCORE,)
    return Alternative(
        hub_id=hub.hub_id,
        name=hub.name,
        eligible=assessment.eligible,
        reasons=reasons,
        distance_km=assessment.distance_km,
        coverage=held / total if total else 0.0,
        score=None if option is None else option.score,
        chosen=hub.hub_id in chosen,
    )


def _no_route_detail(
    short: Sequence[Mapping[str, Any]],
    hubs: Sequence[HubCandidate],
    assessments: Mapping[str, Assessment],
) -> str:
    lines = ", ".join(
        f"{s['variantId']} (wanted {s['requested']}, {s['available']} available)" for s in short
    )
    if not any(a.eligible for a in assessments.values()):
        why = "no hub can deliver to this address" if hubs else "there are no active hubs"
        if hubs:
            codes = sorted({r for a in assessments.values() for r in a.reasons})
            why += f" ({', '.join(codes)})"
        return f"{why}; not enough stock for {lines}"
    return f"the hubs that can deliver here do not hold enough stock for {lines}"
