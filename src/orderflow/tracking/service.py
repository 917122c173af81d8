"""Tracking reads: who may watch an order, its stored events, and the tracking page's model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.catalog.service import catalog_service
from orderflow.kit.clock import isoformat
from orderflow.orders.schemas import Order as OrderDocument
from orderflow.orders.service import order_service
from orderflow.tracking import repository as repo
from orderflow.tracking.errors import InvalidResumePoint
from orderflow.tracking.fanout import Message, wire_text


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lng: float
    label: str


@dataclass
class TrackingPage:
    """Everything the tracking page renders on the server."""

    order: OrderDocument
    events: list[dict[str, Any]]
    vendors: dict[str, str]
    hubs: list[MapPoint]
    destination: MapPoint | None
    courier: MapPoint | None
    last_sequence: int
    items_by_vendor: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class TrackingService:
    def authorize(self, session: Session, order_id: str, *, principal: Principal) -> int:
        """The order's latest event sequence; ``OrderNotFound`` (404) unless ``principal`` may
        see the order."""
        order_service.get(session, order_id, principal=principal)
        return repo.latest_sequence(session, order_id)

    def history(
        self, session: Session, order_id: str, *, after: int = 0, upto: int | None = None
    ) -> list[Message]:
        """Stored events with ``after < sequence <= upto`` as wire messages, oldest first."""
        return [
            Message(e.sequence, wire_text(_payload(e)))
            for e in repo.list_events(session, order_id, after=after, upto=upto)
        ]

    def page(self, session: Session, order_id: str, *, principal: Principal) -> TrackingPage:
        order = order_service.get(session, order_id, principal=principal)
        events = [_payload(e) for e in repo.list_events(session, order_id)]
        vendor_rows = catalog_service.vendors_by_id(session, {i.vendor_id for i in order.items})
        hub_rows = catalog_service.hubs_by_id(session, {f.hub_id for f in order.fulfillments})
        items_by_vendor: dict[str, list[dict[str, Any]]] = {}
        for item in order.items:
            items_by_vendor.setdefault(item.vendor_id, []).append(
                {
                    "title": item.title,
                    "quantity": item.quantity,
                    "price": item.price,
                    "status": item.status,
                }
            )
        address = order.shipping_address
        destination = None
        if isinstance(address.get("lat"), int | float) and isinstance(
            address.get("lng"), int | float
        ):
            destination = MapPoint(float(address["lat"]), float(address["lng"]), "Delivery address")
        courier = None
        location = repo.last_location(session, order_id)
        if location is not None:
            courier = _point(location.data, "Courier")
        return TrackingPage(
            order=order,
            events=events,
            vendors={v_id: v.name for v_id, v in vendor_rows.items()},
            hubs=[MapPoint(h.lat, h.lng, h.name) for h in hub_rows.values()],
            destination=destination,
            courier=courier,
            last_sequence=events[-1]["sequence"] if events else 0,
            items_by_vendor=items_by_vendor,
        )


def resume_point(after: str | None, last_event_id: str | None = None) -> int:
    """The sequence to resume after: ``Last-Event-ID`` wins over ``after``; default 0 (all)."""
    raw = last_event_id if last_event_id not in (None, "") else after
    if raw in (None, ""):
        return 0
    assert raw is not None
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidResumePoint(
            f"the resume point must be an event sequence (a whole number >= 0), not {raw!r}"
        ) from exc
    if value < 0:
        raise InvalidResumePoint("the resume point must be >= 0")
    return value


def _payload(event: Any) -> dict[str, Any]:
    return {
        "orderId": event.order_id,
        "timestamp": isoformat(event.created_at),
        "event": event.event,
        "data": event.data or {},
        "sequence": event.sequence,
        "title": event.title,
        "description": event.description,
    }


def _point(data: dict[str, Any], label: str) -> MapPoint | None:
    lat, lng = data.get("lat"), data.get("lng")
    if isinstance(lat, int | float) and isinstance(lng, int | float):
        return MapPoint(float(lat), float(lng), label)
    return None


tracking_service = TrackingService()
