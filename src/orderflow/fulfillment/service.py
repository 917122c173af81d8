"""Fulfillment rules: the hub and courier steps, courier location, the hub queue, cancellation.

``transition`` is the one function that moves a fulfillment along its lifecycle
(fulfillment/state.py): it checks who is calling and the transition table, consumes the stock
once at ``packed``, appends the step's tracking event and re-derives the order's statuses.
Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.config import Settings
from orderflow.db.models import Fulfillment, Notification
from orderflow.errors import BadRequest, Forbidden, Invalid
from orderflow.fulfillment import repository as repo
from orderflow.fulfillment.errors import (
    CourierRequired,
    FulfillmentNotFound,
    HubNotFound,
    IdCheckRequired,
    IllegalFulfillmentTransition,
    NotAssignedCourier,
    NotOnTheRoad,
    NotYourHub,
    OrderNotConfirmed,
)
from orderflow.fulfillment.schemas import CourierLocation, FulfillmentItem
from orderflow.fulfillment.schemas import Fulfillment as FulfillmentDocument
from orderflow.fulfillment.state import (
    CANCELLABLE,
    LEFT_HUB,
    LIFECYCLE,
    ON_THE_ROAD,
    STEP_EVENTS,
    STEPS,
    STOCK_CONSUMED,
    FulfillmentState,
    allowed_next,
    derive,
)
from orderflow.inventory.service import inventory_service
from orderflow.kit import geo
from orderflow.kit.clock import as_utc, isoformat
from orderflow.kit.ids import new_id
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, Page
from orderflow.orders.state import FulfillmentStatus, OrderStatus
from orderflow.tracking.repository import append_event
from orderflow.workers.outbox import add_invalidate, add_job

if TYPE_CHECKING:
    from orderflow.orders.service import OrderService

F = FulfillmentState

# The hub queue without a status filter: everything not finished.
OPEN: tuple[FulfillmentState, ...] = LIFECYCLE[:-1]
# Sorts fulfillments without a promised time after every promised one.
_NEVER = datetime(9999, 12, 31, tzinfo=UTC)

_STEP_TEXT: dict[FulfillmentState, tuple[str, str]] = {
    F.PROCESSING: ("Order being prepared", "The hub started preparing your items."),
    F.PACKED: ("Order packed", "Your items are packed and waiting for a courier."),
    F.PICKED_UP: ("Picked up", "A courier picked up your parcel at the hub."),
    F.IN_TRANSIT: ("In transit", "Your parcel is on its way."),
    F.OUT_FOR_DELIVERY: ("Out for delivery", "Your parcel is out for delivery."),
    F.DELIVERED: ("Delivered", "Your parcel was delivered."),
}
RETURNED_TO_HUB_EVENT = "order.returned_to_hub"
LOCATION_EVENT = "order.location"


def _orders() -> OrderService:
    # orders.service imports this module (placement, cancellation): import it late.
    from orderflow.orders.service import order_service

    return order_service


def _order_cache_keys(order_id: str) -> list[str]:
    from orderflow.orders.service import order_cache_keys

    return order_cache_keys(order_id)


class FulfillmentService:
    # ------------------------------------------------------------ the lifecycle

    def transition(
        self,
        session: Session,
        fulfillment_id: str,
        *,
        to: FulfillmentState | str,
        principal: Principal,
        now: datetime,
        settings: Settings,
        courier_id: str | None = None,
        id_verified: bool | None = None,
    ) -> FulfillmentDocument:
        """Move a fulfillment one step (``to`` is one of ``state.STEPS``).

        ``picked_up`` needs ``courier_id`` (assigned by the hub or admin). ``delivered`` of a
        parcel with an age-restricted item needs ``id_verified``: ``False`` sends it back to the
        hub instead (``returned_to_hub``, goods restocked).
        """
        target = FulfillmentState(to)
        if target not in STEPS:
            raise Invalid(f"{target.value} is not a step; steps are {', '.join(STEPS)}")
        fulfillment = self._load(session, fulfillment_id, principal=principal, lock=True)
        order = repo.get_order(session, fulfillment.order_id)
        assert order is not None
        if order.status == OrderStatus.PENDING:
            raise OrderNotConfirmed(
                f"order {order.display_id} is not paid yet; its fulfillments start once it is "
                "confirmed"
            )
        current = FulfillmentState(fulfillment.status)
        if target.value not in allowed_next(current):
            raise _illegal(current, target)
        items = [i for i in repo.items_of(session, [fulfillment.id]) if i.status == "active"]
        final, values = _step_values(
            target, items, courier_id=courier_id, id_verified=id_verified, now=now
        )
        if not repo.move(session, fulfillment.id, sources=[current.value], values=values):
            # Lost a race with another step on the same fulfillment.
            moved = repo.get(session, fulfillment.id)
            assert moved is not None
            raise _illegal(FulfillmentState(moved.status), target)

        if final in STOCK_CONSUMED and repo.mark_stock_consumed(session, fulfillment.id, now=now):
            inventory_service.consume(session, fulfillment_id=fulfillment.id, now=now)
        if final is F.RETURNED_TO_HUB:
            self._restock(session, fulfillment.hub_id, items, now=now)
        self._append_step_event(
            session,
            fulfillment,
            final,
            courier_id=values.get("courier_id", fulfillment.courier_id),
            now=now,
        )
        if final is F.PICKED_UP and settings.capture_policy == "manual":
            self._capture_on_first_pickup(session, fulfillment)
        self.sync_order(session, fulfillment.order_id, now=now)
        return self._document(session, fulfillment.id)

    def _append_step_event(
        self,
        session: Session,
        fulfillment: Fulfillment,
        state: FulfillmentState,
        *,
        courier_id: str | None,
        now: datetime,
    ) -> None:
        data: dict[str, Any] = {"fulfillmentId": fulfillment.id, "hubId": fulfillment.hub_id}
        if courier_id:
            data["courierId"] = courier_id
        if state is F.RETURNED_TO_HUB:
            event = RETURNED_TO_HUB_EVENT
            title = "Delivery refused"
            description = (
                "The courier could not verify the recipient's age, so the parcel goes back to "
                "the hub."
            )
            data["reason"] = "id_not_verified"
        else:
            event = STEP_EVENTS[state]
            title, description = _STEP_TEXT[state]
        append_event(
            session,
            order_id=fulfillment.order_id,
            event=event,
            title=title,
            description=description,
            data=data,
            now=now,
            fulfillment_id=fulfillment.id,
        )

    def _capture_on_first_pickup(self, session: Session, fulfillment: Fulfillment) -> None:
        """Manual capture takes the money when the first parcel of the order leaves its hub."""
        others = [
            f
            for f in repo.of_order(session, fulfillment.order_id)
            if f.id != fulfillment.id and FulfillmentState(f.status) in LEFT_HUB
        ]
        if not others:
            add_job(
                session,
                "payments.capture",
                key=f"capture:{fulfillment.order_id}",
                order_id=fulfillment.order_id,
            )

    def sync_order(
        self, session: Session, order_id: str, *, now: datetime
    ) -> tuple[OrderStatus, FulfillmentStatus]:
        """Re-derive the order's ``status`` / ``fulfillmentStatus`` from its fulfillments and
        write them when they changed (also after item returns or cancellations)."""
        statuses = repo.order_statuses(session, [order_id]).get(order_id)
        if statuses is None:
            raise FulfillmentNotFound(f"there is no order {order_id}")
        current_status, current_fulfillment_status = statuses
        views = repo.views_of_order(session, order_id)
        status, fulfillment_status = derive(views, current_status=current_status)
        if (status.value, fulfillment_status.value) != (
            current_status,
            current_fulfillment_status,
        ):
            _orders().sync_fulfillment_status(
                session, order_id, status=status, fulfillment_status=fulfillment_status, now=now
            )
        return status, fulfillment_status

    # ------------------------------------------------------------ courier location

    def report_location(
        self,
        session: Session,
        fulfillment_id: str,
        *,
        principal: Principal,
        lat: float,
        lng: float,
        now: datetime,
        settings: Settings,
    ) -> FulfillmentDocument:
        """Store the courier's position and recompute the ETA (fulfillment and order)."""
        fulfillment = self._load(session, fulfillment_id, principal=principal, lock=True)
        if principal.role == "hub":
            raise Forbidden("only the assigned courier (or an admin) reports its position")
        state = FulfillmentState(fulfillment.status)
        if state not in ON_THE_ROAD:
            raise NotOnTheRoad(
                f"the fulfillment is {state.value}; a position is reported only while it is "
                f"{', '.join(s.value for s in ON_THE_ROAD)}",
                extra={"currentStatus": state.value},
            )
        order = repo.get_order(session, fulfillment.order_id)
        assert order is not None
        values: dict[str, Any] = {
            "courier_lat": lat,
            "courier_lng": lng,
            "location_at": now,
            "updated_at": now,
        }
        destination = geo.locate(order.shipping_address)
        eta: datetime | None = None
        if destination is not None:
            km = geo.haversine_km(geo.Point(lat, lng), destination)
            eta = now + timedelta(hours=km / settings.courier_speed_kmh)
            values["estimated_delivery_at"] = eta
        repo.set_values(session, fulfillment.id, values)
        if eta is not None:
            latest = max(repo.estimated_deliveries(session, order.id), default=eta)
            repo.set_order_estimated_delivery(session, order.id, as_utc(latest), now=now)
            add_invalidate(session, _order_cache_keys(order.id), order_id=order.id)
        append_event(
            session,
            order_id=order.id,
            event=LOCATION_EVENT,
            title="Courier location",
            description="The courier's position was updated.",
            data={
                "fulfillmentId": fulfillment.id,
                "lat": lat,
                "lng": lng,
                "estimatedDelivery": isoformat(eta) if eta else None,
            },
            now=now,
            fulfillment_id=fulfillment.id,
        )
        return self._document(session, fulfillment.id)

    # ------------------------------------------------------------ cancellation

    def cancel_open(
        self,
        session: Session,
        *,
        order_id: str,
        now: datetime,
        reason: str,
        sub_order_id: str | None = None,
    ) -> list[str]:
        """Cancel the order's fulfillments that are not at the door yet; returns their ids.

        With ``sub_order_id`` only that sub-order's items are cancelled (marked ``cancelled``);
        a fulfillment left without active items is cancelled. Stock: held units are released,
        units already consumed (packed) go back on the hub's shelf. The hubs that were told
        about a cancelled fulfillment are told again (``hubs.notify``). Idempotent.
        """
        fulfillments = [
            f
            for f in repo.of_order(session, order_id, lock=True)
            if FulfillmentState(f.status) in CANCELLABLE
        ]
        items = repo.items_of(session, [f.id for f in fulfillments])
        by_id = {f.id: f for f in fulfillments}
        to_cancel: list[Fulfillment] = []
        if sub_order_id is None:
            to_cancel = fulfillments
        else:
            mine = [i for i in items if i.sub_order_id == sub_order_id and i.status == "active"]
            cancelled = dict(repo.cancel_items(session, [i.id for i in mine], now=now))
            touched = [i for i in mine if i.id in cancelled]
            for fulfillment_id in sorted({i.fulfillment_id for i in touched if i.fulfillment_id}):
                fulfillment = by_id[fulfillment_id]
                gone = [i for i in touched if i.fulfillment_id == fulfillment_id]
                self._give_back_items(session, fulfillment, gone, order_id=order_id, now=now)
                remaining = [
                    i
                    for i in items
                    if i.fulfillment_id == fulfillment_id
                    and i.status == "active"
                    and i.id not in cancelled
                ]
                if not remaining:
                    to_cancel.append(fulfillment)
        done: list[str] = []
        for fulfillment in to_cancel:
            if not repo.move(
                session,
                fulfillment.id,
                sources=[s.value for s in CANCELLABLE],
                values={"status": F.CANCELLED.value, "failure_reason": reason, "updated_at": now},
            ):
                continue
            if sub_order_id is None:
                live = [
                    i for i in items if i.fulfillment_id == fulfillment.id and i.status == "active"
                ]
                self._give_back_items(session, fulfillment, live, order_id=order_id, now=now)
            if fulfillment.hub_notified_at is not None:
                add_job(
                    session,
                    "hubs.notify",
                    key=f"hub-notify:{fulfillment.id}:cancelled",
                    order_id=order_id,
                    fulfillment_id=fulfillment.id,
                    event="cancelled",
                )
            done.append(fulfillment.id)
        if done or sub_order_id is not None:
            self.sync_order(session, order_id, now=now)
        return done

    def _give_back_items(
        self,
        session: Session,
        fulfillment: Fulfillment,
        items: Sequence[repo.ItemRow],
        *,
        order_id: str,
        now: datetime,
    ) -> None:
        """Held units are released; consumed ones (packed or further) are restocked."""
        if not items:
            return
        if fulfillment.stock_consumed:
            self._restock(session, fulfillment.hub_id, items, now=now)
        else:
            inventory_service.release(
                session,
                order_id=order_id,
                order_item_ids=[i.id for i in items],
                fulfillment_id=fulfillment.id,
                now=now,
            )

    def _restock(
        self, session: Session, hub_id: str, items: Sequence[repo.ItemRow], *, now: datetime
    ) -> None:
        units: dict[str, int] = defaultdict(int)
        for item in items:
            units[item.variant_id] += item.quantity - item.returned_quantity
        for variant_id, quantity in sorted(units.items()):
            if quantity > 0:
                inventory_service.restock(
                    session, hub_id=hub_id, variant_id=variant_id, quantity=quantity, now=now
                )

    # ------------------------------------------------------------ hub notification

    def mark_hubs_notified(self, session: Session, *, order_id: str, now: datetime) -> list[str]:
        """The ``fulfillment.create`` step: enqueue ``hubs.notify`` for each live fulfillment of
        a confirmed order the hub has not heard of; returns their ids. Idempotent."""
        statuses = repo.order_statuses(session, [order_id]).get(order_id)
        if statuses is None or statuses[0] in (OrderStatus.PENDING, OrderStatus.CANCELLED):
            return []
        notified: list[str] = []
        for fulfillment in repo.of_order(session, order_id):
            if fulfillment.hub_notified_at is not None or fulfillment.status == F.CANCELLED:
                continue
            if repo.mark_hub_notified(session, fulfillment.id, now=now):
                add_job(
                    session,
                    "hubs.notify",
                    key=f"hub-notify:{fulfillment.id}:created",
                    order_id=order_id,
                    fulfillment_id=fulfillment.id,
                    event="created",
                )
                notified.append(fulfillment.id)
        repo.finish_pipeline(session, order_id, now=now)
        return notified

    def hub_message(
        self, session: Session, *, fulfillment_id: str, event: str, now: datetime
    ) -> HubMessage | None:
        """The ``hubs.notify`` message for ``event`` (``created`` | ``cancelled``), recorded once
        in ``notifications`` (its body frozen for the retries). None when there is nothing to
        send: already sent, or the hub has no webhook URL (recorded as ``skipped``)."""
        key = f"hub:{fulfillment_id}:{event}"
        notification = repo.get_notification(session, key)
        if notification is None:
            fulfillment = repo.get(session, fulfillment_id)
            if fulfillment is None:
                return None
            hub = repo.get_hub(session, fulfillment.hub_id)
            assert hub is not None
            document = self._document(session, fulfillment_id)
            notification = Notification(
                id=new_id("ntf"),
                dedupe_key=key,
                order_id=fulfillment.order_id,
                recipient_kind="hub",
                recipient_id=hub.id,
                channel="webhook",
                event=f"fulfillment.{event}",
                subject=None,
                body={
                    "id": key,
                    "event": f"fulfillment.{event}",
                    "occurredAt": isoformat(now),
                    "fulfillment": document.model_dump(mode="json", by_alias=True),
                },
                status="pending" if hub.webhook_url else "skipped",
                attempts=0,
                created_at=now,
            )
            repo.add_notification(session, notification)
        if notification.status != "pending":
            return None
        hub = repo.get_hub(session, notification.recipient_id)
        assert hub is not None
        return HubMessage(
            notification_id=notification.id,
            event=notification.event,
            url=hub.webhook_url or "",
            secret=hub.webhook_secret,
            body=dict(notification.body),
        )

    def record_hub_attempt(
        self, session: Session, notification_id: str, *, error: str | None, now: datetime
    ) -> None:
        """Count one delivery attempt: sent, or the error kept for the next try."""
        values: dict[str, Any] = {"attempts": Notification.attempts + 1, "last_error": error}
        if error is None:
            values.update(status="sent", sent_at=now)
        repo.update_notification(session, notification_id, values)

    def give_up_hub_message(self, session: Session, notification_id: str, *, error: str) -> None:
        repo.update_notification(
            session, notification_id, {"status": "failed", "last_error": error}
        )

    # ------------------------------------------------------------ reads

    def get(
        self, session: Session, fulfillment_id: str, *, principal: Principal
    ) -> FulfillmentDocument:
        fulfillment = self._load(session, fulfillment_id, principal=principal)
        return self._document(session, fulfillment.id)

    def hub_queue(
        self,
        session: Session,
        hub_id: str,
        *,
        principal: Principal,
        status: FulfillmentState | str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[FulfillmentDocument]:
        """The hub's fulfillments of confirmed orders: highest priority first, then the
        earliest promised time (none promised last). Without ``status``: the open ones."""
        if principal.role == "hub" and principal.hub_id != hub_id:
            raise NotYourHub(f"your token is for hub {principal.hub_id}, not {hub_id}")
        if principal.role not in ("hub", "admin"):
            raise Forbidden("the hub queue is for the hub's staff and admins")
        if repo.get_hub(session, hub_id) is None:
            raise HubNotFound(f"there is no hub {hub_id}")
        statuses = [FulfillmentState(status).value] if status else [s.value for s in OPEN]
        limit = max(1, min(limit, MAX_LIMIT))
        rows = repo.hub_queue(
            session,
            hub_id,
            statuses=statuses,
            after=_decode_queue_cursor(cursor) if cursor else None,
            limit=limit + 1,
            far_future=_NEVER,
        )
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            promised = as_utc(last.promised_at) if last.promised_at else _NEVER
            next_cursor = Cursor(f"{last.priority_rank};{promised.isoformat()}", last.id).encode()
        return Page[FulfillmentDocument](
            items=self._documents(session, page), next_cursor=next_cursor
        )

    # ------------------------------------------------------------ internals

    def _load(
        self, session: Session, fulfillment_id: str, *, principal: Principal, lock: bool = False
    ) -> Fulfillment:
        fulfillment = repo.get(session, fulfillment_id, lock=lock)
        if fulfillment is None:
            raise FulfillmentNotFound(f"there is no fulfillment {fulfillment_id}")
        _authorize(fulfillment, principal)
        return fulfillment

    def _document(self, session: Session, fulfillment_id: str) -> FulfillmentDocument:
        fulfillment = repo.get(session, fulfillment_id)
        assert fulfillment is not None
        return self._documents(session, [fulfillment])[0]

    def _documents(
        self, session: Session, fulfillments: Sequence[Fulfillment]
    ) -> list[FulfillmentDocument]:
        ids = [f.id for f in fulfillments]
        order_ids = {f.order_id for f in fulfillments}
        items: dict[str, list[repo.ItemRow]] = defaultdict(list)
        for item in repo.items_of(session, ids):
            if item.fulfillment_id:
                items[item.fulfillment_id].append(item)
        orders = repo.get_orders(session, order_ids)
        statuses = repo.order_statuses(session, order_ids)
        return [
            _to_document(f, items[f.id], orders[f.order_id], statuses[f.order_id])
            for f in fulfillments
        ]


fulfillment_service = FulfillmentService()


@dataclass(frozen=True)
class HubMessage:
    """One webhook POST to a hub (``hubs.notify``)."""

    notification_id: str
    event: str
    url: str
    secret: str | None
    body: dict[str, Any]


def _authorize(fulfillment: Fulfillment, principal: Principal) -> None:
    """Hubs act on their own fulfillments, couriers on those assigned to them (else 403)."""
    if principal.role == "admin":
        return
    if principal.role == "hub":
        if fulfillment.hub_id != principal.hub_id:
            raise NotYourHub(
                f"this fulfillment is handled by another hub; your token is for {principal.hub_id}"
            )
        return
    if principal.role == "courier":
        if fulfillment.courier_id != principal.sub:
            raise NotAssignedCourier(
                "this fulfillment is not assigned to you; the hub assigns it at picked_up"
            )
        return
    raise Forbidden("fulfillments are for hubs, couriers and admins")


def _step_values(
    target: FulfillmentState,
    items: Sequence[repo.ItemRow],
    *,
    courier_id: str | None,
    id_verified: bool | None,
    now: datetime,
) -> tuple[FulfillmentState, dict[str, Any]]:
    """The state a step really ends in and the columns it writes; refuses missing or
    misplaced ``courierId`` / ``idVerified`` (422)."""
    values: dict[str, Any] = {"updated_at": now}
    final = target
    if target is F.PICKED_UP:
        if not courier_id:
            raise CourierRequired("give the courierId of the courier taking the parcel")
        values["courier_id"] = courier_id
    elif courier_id is not None:
        raise Invalid("courierId is given with picked_up only (when the courier is assigned)")
    if id_verified is not None and target is not F.DELIVERED:
        raise Invalid("idVerified is given with delivered only")
    if target is F.DELIVERED:
        values["id_verified"] = id_verified
        if any(i.age_restricted for i in items):
            if id_verified is None:
                raise IdCheckRequired(
                    "this parcel holds age-restricted items: send idVerified true once "
                    "the recipient's ID was checked, or false to return it to the hub"
                )
            if not id_verified:
                final = F.RETURNED_TO_HUB
                values["failure_reason"] = "the recipient's age could not be verified"
    values["status"] = final.value
    return final, values


def _illegal(current: FulfillmentState, target: FulfillmentState) -> IllegalFulfillmentTransition:
    allowed = [s for s in allowed_next(current) if s in STEPS]
    detail = f"a fulfillment that is {current.value} cannot become {target.value}; " + (
        f"allowed: {', '.join(allowed)}" if allowed else "no step is allowed from here"
    )
    return IllegalFulfillmentTransition(
        detail, extra={"currentStatus": current.value, "allowed": allowed}
    )


def _decode_queue_cursor(token: str) -> tuple[int, datetime, str]:
    cursor = Cursor.decode(token)
    rank, _, promised = cursor.sort_key.partition(";")
    try:
        return int(rank), as_utc(datetime.fromisoformat(promised)), cursor.id
    except ValueError as exc:
        raise BadRequest("cursor is not one this API returned; start again without it") from exc


def _to_document(
    fulfillment: Fulfillment,
    items: Sequence[repo.ItemRow],
    order: repo.OrderRow,
    statuses: tuple[str, str],
) -> FulfillmentDocument:
    location = None
    if (
        fulfillment.courier_lat is not None
        and fulfillment.courier_lng is not None
        and fulfillment.location_at is not None
    ):
        location = CourierLocation(
            lat=fulfillment.courier_lat, lng=fulfillment.courier_lng, at=fulfillment.location_at
        )
    state = FulfillmentState(fulfillment.status)
    return FulfillmentDocument(
        id=fulfillment.id,
        order_id=fulfillment.order_id,
        display_id=order.display_id,
        hub_id=fulfillment.hub_id,
        status=state.value,
        priority=fulfillment.priority,
        promised_at=fulfillment.promised_at,
        estimated_processing_minutes=fulfillment.estimated_processing_minutes,
        estimated_delivery=fulfillment.estimated_delivery_at,
        delivery_type=order.delivery_type,
        shipping_address=order.shipping_address,
        courier_id=fulfillment.courier_id,
        location=location,
        stock_consumed=fulfillment.stock_consumed,
        id_verified=fulfillment.id_verified,
        age_restricted=any(i.age_restricted and i.status == "active" for i in items),
        items=[
            FulfillmentItem(
                id=i.id,
                variant_id=i.variant_id,
                sku=i.sku,
                title=i.title,
                quantity=i.quantity,
                returned_quantity=i.returned_quantity,
                age_restricted=i.age_restricted,
                status=i.status,
            )
            for i in items
        ],
        allowed_steps=[s for s in allowed_next(state) if s in STEPS],
        order_status=statuses[0],
        order_fulfillment_status=statuses[1],
        hub_notified_at=fulfillment.hub_notified_at,
        created_at=fulfillment.created_at,
        updated_at=fulfillment.updated_at,
    )
