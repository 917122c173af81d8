"""Routing: load hub candidates for an order and run the planner; explain stored decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from orderflow.config import Settings, get_settings
from orderflow.db.models import Hub
from orderflow.kit.clock import as_utc
from orderflow.kit.geo import Point
from orderflow.kit.money import to_dollars
from orderflow.routing import hours
from orderflow.routing import repository as repo
from orderflow.routing.errors import RoutedOrderNotFound
from orderflow.routing.planner import (
    EXPRESS_CUTOFF,
    EXPRESS_TOO_SLOW,
    NEVER_OPEN,
    OUTSIDE_RADIUS,
    SCHEDULED_CLOSED,
    SCHEDULED_TOO_SOON,
    HubCandidate,
    RouteLine,
    RoutingPlan,
    Weights,
    assess,
    plan,
)
from orderflow.routing.schemas import RoutedFulfillment, RoutedItem, RoutingExplanation


@dataclass(frozen=True)
class HubReach:
    """What one hub can do for a destination, ignoring stock and capacity."""

    hub_id: str
    name: str
    distance_km: float
    serves_address: bool  # within its service radius
    express_possible: bool  # open now, before its cut-off, and fast enough
    open_at_scheduled: bool  # the slot is in its hours and reachable (True when no slot)
    reasons: tuple[str, ...]


def start_of_local_day(tz: str, now: datetime) -> datetime:
    """Midnight of ``now``'s local date in ``tz``, as UTC."""
    zi = hours.zone(tz)
    return datetime.combine(now.astimezone(zi).date(), time(0, 0), zi).astimezone(UTC)


def candidate_from_hub(hub: Hub, *, stock: dict[str, int], remaining_capacity: int) -> HubCandidate:
    return HubCandidate(
        hub_id=hub.id,
        name=hub.name,
        location=Point(hub.lat, hub.lng),
        stock=stock,
        processing_minutes=hub.processing_minutes,
        remaining_capacity=remaining_capacity,
        daily_capacity=hub.daily_capacity,
        delivery_base_amount=hub.delivery_base_amount,
        delivery_per_km_amount=hub.delivery_per_km_amount,
        express_surcharge_amount=hub.express_surcharge_amount,
        service_radius_km=hub.service_radius_km,
        timezone=hub.timezone,
        opening_hours=hub.opening_hours or {},
        express_cutoff=hub.express_cutoff,
    )


class RoutingService:
    def candidates(
        self, session: Session, *, variant_ids: Iterable[str], now: datetime
    ) -> list[HubCandidate]:
        """Active hubs with their available stock of ``variant_ids`` and capacity left today.

        Three queries: hubs, stock levels, today's fulfillment counts (each hub's own day).
        """
        hubs = repo.active_hubs(session)
        if not hubs:
            return []
        stock = repo.available_stock(session, [h.id for h in hubs], set(variant_ids))
        used = repo.fulfillments_since(
            session, {h.id: start_of_local_day(h.timezone, now) for h in hubs}
        )
        return [
            candidate_from_hub(
                h,
                stock=stock.get(h.id, {}),
                remaining_capacity=max(h.daily_capacity - used.get(h.id, 0), 0),
            )
            for h in hubs
        ]

    def plan(
        self,
        session: Session,
        *,
        lines: Sequence[RouteLine],
        destination: Point,
        delivery_type: str,
        scheduled_at: datetime | None,
        now: datetime,
        settings: Settings | None = None,
    ) -> RoutingPlan:
        """Route ``lines`` to ``destination``; raises ``NoRoute`` (422) when stock falls short."""
        settings = settings or get_settings()
        candidates = self.candidates(
            session, variant_ids={line.variant_id for line in lines}, now=now
        )
        return plan(
            lines,
            candidates,
            destination=destination,
            delivery_type=delivery_type,
            scheduled_at=None if scheduled_at is None else as_utc(scheduled_at),
            now=now,
            weights=Weights.from_settings(settings),
            courier_speed_kmh=settings.courier_speed_kmh,
            express_max_minutes=settings.express_max_minutes,
        )

    def reach(
        self,
        hub: Hub,
        *,
        destination: Point,
        scheduled_at: datetime | None,
        now: datetime,
        settings: Settings | None = None,
    ) -> HubReach:
        """Pure view of one hub for validation: radius, express and scheduled-slot feasibility."""
        settings = settings or get_settings()
        candidate = candidate_from_hub(hub, stock={}, remaining_capacity=hub.daily_capacity)

        def reasons(delivery_type: str) -> tuple[str, ...]:
            return assess(
                candidate,
                destination=destination,
                delivery_type=delivery_type,
                scheduled_at=None if scheduled_at is None else as_utc(scheduled_at),
                now=now,
                courier_speed_kmh=settings.courier_speed_kmh,
                express_max_minutes=settings.express_max_minutes,
            ).reasons

        standard = assess(
            candidate,
            destination=destination,
            delivery_type="standard",
            scheduled_at=None,
            now=now,
            courier_speed_kmh=settings.courier_speed_kmh,
            express_max_minutes=settings.express_max_minutes,
        )
        express = reasons("express")
        scheduled = reasons("scheduled") if scheduled_at is not None else ()
        return HubReach(
            hub_id=hub.id,
            name=hub.name,
            distance_km=standard.distance_km,
            serves_address=OUTSIDE_RADIUS not in standard.reasons,
            express_possible=not {EXPRESS_CUTOFF, EXPRESS_TOO_SLOW, NEVER_OPEN} & set(express),
            open_at_scheduled=not {SCHEDULED_CLOSED, SCHEDULED_TOO_SOON, NEVER_OPEN}
            & set(scheduled),
            reasons=tuple(sorted(set(standard.reasons) | set(express) | set(scheduled))),
        )

    def serviceable_hubs(
        self,
        session: Session,
        *,
        destination: Point,
        now: datetime,
        scheduled_at: datetime | None = None,
        settings: Settings | None = None,
    ) -> list[HubReach]:
        """Each active hub's reach for ``destination``, nearest first; see ``serves_address``."""
        views = [
            self.reach(
                h, destination=destination, scheduled_at=scheduled_at, now=now, settings=settings
            )
            for h in repo.active_hubs(session)
        ]
        return sorted(views, key=lambda v: (v.distance_km, v.hub_id))

    def explain(self, session: Session, order_id: str) -> RoutingExplanation:
        """The stored routing decision of an order and each of its shipments."""
        order = repo.get_order(session, order_id)
        if order is None:
            raise RoutedOrderNotFound(f"there is no order {order_id}")
        items_by_fulfillment: dict[str | None, list[RoutedItem]] = {}
        for item in repo.order_items(session, order_id):
            items_by_fulfillment.setdefault(item.fulfillment_id, []).append(
                RoutedItem(
                    item_id=item.id,
                    line_id=item.line_id,
                    variant_id=item.variant_id,
                    vendor_id=item.vendor_id,
                    quantity=item.quantity,
                )
            )
        fulfillments = [
            RoutedFulfillment(
                id=f.id,
                hub_id=f.hub_id,
                hub_name=hub_name,
                status=f.status,
                distance_km=f.distance_km,
                estimated_processing_minutes=f.estimated_processing_minutes,
                estimated_delivery=f.estimated_delivery_at,
                delivery_fee=to_dollars(f.delivery_fee_amount),
                cost=to_dollars(f.cost_amount),
                items=items_by_fulfillment.get(f.id, []),
                routing=f.routing or {},
            )
            for f, hub_name in repo.order_fulfillments(session, order_id)
        ]
        return RoutingExplanation(
            order_id=order.id,
            display_id=order.display_id,
            delivery_type=order.delivery_type,
            consolidated_shipping=order.consolidated_shipping,
            delivery_fee=to_dollars(order.delivery_fee_amount),
            estimated_delivery=order.estimated_delivery_at,
            decision=order.routing,
            fulfillments=fulfillments,
        )


routing_service = RoutingService()
