"""Order rules: validate, place, read, and the one function that changes an order's status."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.config import Settings, get_settings
from orderflow.db.models import Fulfillment, Hub, Order, OrderItem, SubOrder
from orderflow.errors import BadRequest
from orderflow.fulfillment.priority import priority_for
from orderflow.inventory.errors import InsufficientStock
from orderflow.inventory.service import Hold, inventory_service
from orderflow.kit import geo
from orderflow.kit.clock import as_utc
from orderflow.kit.ids import new_display_id, new_id
from orderflow.kit.money import to_dollars
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, Page
from orderflow.orders import repository as repo
from orderflow.orders.cache import order_cache
from orderflow.orders.documents import order_document
from orderflow.orders.errors import (
    IllegalOrderTransition,
    NotYourOrder,
    OrderNotFound,
    OrderValidationFailed,
    StockRaceLost,
)
from orderflow.orders.schemas import (
    Order as OrderDocument,
)
from orderflow.orders.schemas import (
    OrderCreation,
    OrderEvent,
    OrderItemIn,
    ValidationIssue,
    ValidationResult,
)
from orderflow.orders.state import (
    TRANSITIONS,
    FulfillmentStatus,
    OrderStatus,
    allowed_from,
)
from orderflow.orders.validation import CatalogVariant, Facts, HubView, Rules, validate_order
from orderflow.payments.splits import SplitInput, compute_splits, fee_bps_for
from orderflow.routing.errors import NoRoute
from orderflow.routing.planner import RouteLine, RoutingPlan
from orderflow.routing.service import routing_service
from orderflow.runtime import Runtime
from orderflow.tracking.facts import OrderFacts
from orderflow.tracking.repository import append_event
from orderflow.workers.outbox import add_invalidate, add_job

_ADMIN = Principal(sub="orderflow-cache", role="admin")


def order_cache_keys(order_id: str, customer_id: str | None = None) -> list[str]:
    """The cache entries that hold (parts of) an order; dropped on every change."""
    return order_cache.keys(order_id, customer_id)


class OrderService:
    # ------------------------------------------------------------ validation

    def validate(
        self,
        session: Session,
        creation: OrderCreation,
        *,
        now: datetime,
        settings: Settings | None = None,
    ) -> ValidationResult:
        """The seed's validateOrder as a dry run: loads what the checks need, changes nothing."""
        facts, _, _ = self._facts(session, creation, settings=settings or get_settings(), now=now)
        return validate_order(creation, facts, now=now)

    def _facts(
        self, session: Session, creation: OrderCreation, *, settings: Settings, now: datetime
    ) -> tuple[Facts, geo.Point | None, dict[str, int | None]]:
        catalog = repo.load_catalog(session, (i.variant_id for i in creation.items))
        fee_overrides = {row.variant.vendor_id: row.platform_fee_bps for row in catalog}
        require_account = settings.payment_gateway == "stripe"
        variants = {
            row.variant.id: CatalogVariant(
                id=row.variant.id,
                sku=row.variant.sku,
                title=row.variant.title,
                vendor_id=row.variant.vendor_id,
                vendor_type=row.vendor_type,
                price_amount=row.variant.price_amount,
                age_restricted=row.variant.age_restricted,
                active=row.variant.active,
                vendor_payable=not require_account or bool(row.stripe_account_id),
            )
            for row in catalog
        }
        point = geo.locate(creation.shipping_address.model_dump(by_alias=True))
        hubs = repo.load_active_hubs(session)
        views = [
            _hub_view(hub, point, creation.scheduled_delivery, settings=settings, now=now)
            for hub in hubs
        ]
        availability = inventory_service.availability(session, sorted(variants)) if variants else {}
        rules = Rules(
            max_lines=settings.max_lines,
            max_line_quantity=settings.max_line_quantity,
            minimum_scheduled_lead_minutes=settings.minimum_scheduled_lead_minutes,
            max_schedule_days=settings.max_schedule_days,
        )
        facts = Facts(
            variants=variants,
            hubs=views,
            availability=availability,
            address_located=point is not None,
            rules=rules,
        )
        return facts, point, fee_overrides

    # ------------------------------------------------------------ placement

    def place(
        self,
        session: Session,
        creation: OrderCreation,
        *,
        principal: Principal,
        now: datetime,
        settings: Settings | None = None,
    ) -> OrderDocument:
        """Validate, route, split and insert the order, reserving its stock in this transaction.

        The order starts ``pending`` at pipeline step ``validate``; the ``orders.validate`` job
        (outbox, after commit) moves it on to payment.
        """
        settings = settings or get_settings()
        if principal.role != "admin" and creation.customer_id != principal.sub:
            raise NotYourOrder(
                f"you are signed in as {principal.sub}; an order's customerId must be you"
            )
        facts, point, fee_overrides = self._facts(session, creation, settings=settings, now=now)
        result = validate_order(creation, facts, now=now)
        if not result.valid or point is None:
            raise _validation_failed(result.errors)
        order_id = new_id("ord")
        lines = {new_id("line"): item for item in creation.items}
        try:
            plan = routing_service.plan(
                session,
                lines=[
                    RouteLine(line_id, item.variant_id, item.vendor_id, item.quantity)
                    for line_id, item in lines.items()
                ],
                destination=point,
                delivery_type=creation.delivery_type,
                scheduled_at=creation.scheduled_delivery,
                now=now,
                settings=settings,
            )
        except NoRoute as exc:
            raise OrderValidationFailed(
                exc.detail, errors=[_stock_issue(exc.detail, exc.extra)]
            ) from exc
        rows = _placement_rows(
            order_id,
            creation,
            lines,
            facts.variants,
            plan,
            fee_overrides=fee_overrides,
            settings=settings,
            now=now,
        )
        repo.insert_order(session, **rows)
        try:
            inventory_service.hold(
                session,
                [
                    Hold(
                        order_id=order_id,
                        order_item_id=item["id"],
                        fulfillment_id=item["fulfillment_id"],
                        hub_id=item["hub_id"],
                        variant_id=item["variant_id"],
                        quantity=item["quantity"],
                    )
                    for item in rows["items"]
                ],
                now=now,
            )
        except InsufficientStock as exc:
            # Another order took the stock between the check and the reservation.
            raise StockRaceLost(
                exc.detail, errors=exc.errors or [_stock_issue(exc.detail, exc.extra)]
            ) from exc
        order_row = rows["order"]
        append_event(
            session,
            order_id=order_id,
            event="order.placed",
            title="Order placed",
            description=f"Order {order_row['display_id']} was placed and its stock reserved.",
            data={
                "displayId": order_row["display_id"],
                "total": str(to_dollars(order_row["total_amount"])),
                "itemCount": sum(item.quantity for item in creation.items),
                "hubIds": sorted({f["hub_id"] for f in rows["fulfillments"]}),
            },
            now=now,
            facts=OrderFacts(
                order_id=order_id,
                display_id=order_row["display_id"],
                customer_id=creation.customer_id,
                status=OrderStatus.PENDING.value,
                delivery_type=creation.delivery_type,
                total_amount=order_row["total_amount"],
                refunded_amount=0,
                currency=order_row["currency"],
                placed_at=now,
                estimated_delivery_at=plan.estimated_delivery_at,
                vendor_ids=tuple(sorted({s["vendor_id"] for s in rows["sub_orders"]})),
                hub_ids=tuple(sorted({f["hub_id"] for f in rows["fulfillments"]})),
            ),
        )
        add_job(session, "orders.validate", key=f"validate:{order_id}", order_id=order_id)
        bundle = repo.OrderBundle(
            order=Order(**{**order_row, "event_sequence": 1}),
            items=[OrderItem(**r) for r in rows["items"]],
            sub_orders=[SubOrder(**r) for r in rows["sub_orders"]],
            fulfillments=[Fulfillment(**r) for r in rows["fulfillments"]],
        )
        return order_document(bundle, principal)

    def recheck(
        self, session: Session, order_id: str, *, settings: Settings, now: datetime
    ) -> str | None:
        """The ``orders.validate`` step: re-check a placed order's catalog before payment.

        No-op (None) unless the order waits at step ``validate``. Still valid: move it to step
        ``pay`` and enqueue ``payments.process``. Otherwise return why it cannot proceed.
        """
        order = repo.get_order(session, order_id)
        if (
            order is None
            or order.status != OrderStatus.PENDING
            or order.pipeline_step != ("validate")
        ):
            return None
        variant_ids = repo.active_item_variants(session, order_id)
        catalog = {row.variant.id: row for row in repo.load_catalog(session, variant_ids)}
        for variant_id in variant_ids:
            row = catalog.get(variant_id)
            if row is None or not row.variant.active:
                title = row.variant.title if row else variant_id
                return f"{title} is no longer sold"
            if settings.payment_gateway == "stripe" and not row.stripe_account_id:
                return f"vendor {row.variant.vendor_id} cannot receive payouts"
        repo.set_pipeline_step(session, order_id, step="pay", now=now)
        add_job(session, "payments.process", key=f"payment:{order_id}", order_id=order_id)
        return None

    # ------------------------------------------------------------ status changes

    def transition(
        self,
        session: Session,
        order_id: str,
        *,
        to: OrderStatus | str,
        event: str | None,
        now: datetime,
        title: str | None = None,
        description: str | None = None,
        data: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """THE place an order's status changes: checks the table, appends the tracking event
        (unless ``event`` is None), bumps ``updated_at`` and drops the order's cache entries."""
        target = OrderStatus(to)
        sources = [s for s, targets in TRANSITIONS.items() if target in targets]
        values: dict[str, Any] = {"status": target.value, "updated_at": now}
        if target is OrderStatus.CANCELLED:
            values.update(cancel_reason=reason, cancelled_at=now, pipeline_step="done")
        elif target is OrderStatus.DELIVERED:
            values.update(delivered_at=now)
        if not repo.update_status(session, order_id, sources=sources, values=values):
            self._refuse(session, order_id, target)
        repo.follow_order_status(session, order_id, status=target.value, now=now)
        if event is not None:
            append_event(
                session,
                order_id=order_id,
                event=event,
                title=title or _default_title(target),
                description=description or (reason or ""),
                data=data if data is not None else ({"reason": reason} if reason else {}),
                now=now,
            )
        self._changed(session, order_id)

    def sync_fulfillment_status(
        self,
        session: Session,
        order_id: str,
        *,
        status: OrderStatus | str,
        fulfillment_status: FulfillmentStatus | str,
        now: datetime,
    ) -> None:
        """Write the statuses derived from the fulfillments (no event: the fulfillment step
        emitted it). A status the table does not allow from the current one is a 409."""
        target = OrderStatus(status)
        sources = {s.value for s, targets in TRANSITIONS.items() if target in targets}
        sources.add(target.value)
        values: dict[str, Any] = {
            "status": target.value,
            "fulfillment_status": FulfillmentStatus(fulfillment_status).value,
            "updated_at": now,
        }
        if target is OrderStatus.DELIVERED:
            values["delivered_at"] = now
        if not repo.update_status(session, order_id, sources=sources, values=values):
            self._refuse(session, order_id, target)
        repo.follow_order_status(session, order_id, status=target.value, now=now)
        self._changed(session, order_id)

    def fail(self, session: Session, order_id: str, *, reason: str, now: datetime) -> None:
        """Cancel an order whose pipeline failed (unpaid, payment declined, vendor gone):
        cancel its open fulfillments, release its reservations, emit ``order.cancelled``.
        Already cancelled: nothing to do."""
        current = repo.order_status(session, order_id)
        if current is None:
            raise OrderNotFound(f"there is no order {order_id}")
        if current == OrderStatus.CANCELLED:
            return
        # Imported here: fulfillment.service calls this module (transition, sync) at import.
        from orderflow.fulfillment.service import fulfillment_service

        fulfillment_service.cancel_open(session, order_id=order_id, now=now, reason=reason)
        inventory_service.release(session, order_id=order_id, now=now)
        self.transition(
            session,
            order_id,
            to=OrderStatus.CANCELLED,
            event="order.cancelled",
            now=now,
            title="Order cancelled",
            description=reason,
            data={"reason": reason},
            reason=reason,
        )

    def _refuse(self, session: Session, order_id: str, target: OrderStatus) -> None:
        current = repo.order_status(session, order_id)
        if current is None:
            raise OrderNotFound(f"there is no order {order_id}")
        allowed = sorted(s.value for s in allowed_from(current))
        raise IllegalOrderTransition(
            f"an order that is {current} cannot become {target.value}; "
            + (f"it can become {', '.join(allowed)}" if allowed else "it is final"),
            extra={"currentStatus": current, "allowed": allowed},
        )

    def _changed(self, session: Session, order_id: str, customer_id: str | None = None) -> None:
        """Every change to an order ends here: the one place its cached copies are dropped.

        This process's caches are dropped right after commit (before the writer answers); the
        outbox drops them everywhere else (Redis) even if this process dies first.
        """
        order_cache.drop_after_commit(session, order_id, customer_id)
        add_invalidate(session, order_cache_keys(order_id, customer_id), order_id=order_id)

    def get_cached(self, runtime: Runtime, order_id: str, *, principal: Principal) -> OrderDocument:
        """GET /v1/orders/{id}: customers and admins read the cached full document.

        Their view is the whole order; vendors, hubs and couriers see cut-down views, which are
        built from the database each time.
        """
        if principal.role not in ("admin", "customer"):
            with runtime.db.read() as session:
                return self.get(session, order_id, principal=principal)

        def load() -> OrderDocument | None:
            with runtime.db.read() as session:
                order = repo.get_order(session, order_id)
                if order is None:
                    return None
                return order_document(repo.load_bundle(session, order), _ADMIN)

        document = order_cache.get_or_load(runtime, order_id, load, model=OrderDocument)
        if document is None or (
            principal.role == "customer" and document.customer_id != principal.sub
        ):
            raise OrderNotFound(f"there is no order {order_id}")
        return document

    # ------------------------------------------------------------ reads

    def get(self, session: Session, order_id: str, *, principal: Principal) -> OrderDocument:
        """The order as ``principal`` may see it; someone else's order is a 404."""
        order = repo.get_visible_order(session, order_id, principal)
        if order is None:
            raise OrderNotFound(f"there is no order {order_id}")
        return order_document(repo.load_bundle(session, order), principal)

    def list(
        self,
        session: Session,
        *,
        principal: Principal,
        status: OrderStatus | None = None,
        customer_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[OrderDocument]:
        """Newest first, ``limit`` per page, keyset ``cursor`` from the previous page."""
        limit = max(1, min(limit, MAX_LIMIT))
        after = None
        if cursor is not None:
            decoded = Cursor.decode(cursor)
            try:
                after = (as_utc(datetime.fromisoformat(decoded.sort_key)), decoded.id)
            except ValueError as exc:
                raise InvalidCursor() from exc
        orders = repo.list_orders(
            session,
            principal=principal,
            status=status.value if status else None,
            customer_id=customer_id,
            after=after,
            limit=limit + 1,
        )
        page, more = orders[:limit], len(orders) > limit
        items = [order_document(b, principal) for b in repo.load_bundles(session, page)]
        next_cursor = (
            Cursor.after(as_utc(page[-1].created_at), page[-1].id).encode() if more else None
        )
        return Page[OrderDocument](items=items, next_cursor=next_cursor)

    def events(
        self, session: Session, order_id: str, *, principal: Principal
    ) -> builtins.list[OrderEvent]:
        """The order's tracking history, oldest first."""
        if repo.get_visible_order(session, order_id, principal) is None:
            raise OrderNotFound(f"there is no order {order_id}")
        return [
            OrderEvent(
                id=e.id,
                sequence=e.sequence,
                event=e.event,
                timestamp=e.created_at,
                title=e.title,
                description=e.description,
                data=e.data,
            )
            for e in repo.list_events(session, order_id)
        ]


order_service = OrderService()


# ---------------------------------------------------------------- helpers


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    title = "Invalid cursor"


def _hub_view(
    hub: Hub,
    point: geo.Point | None,
    scheduled_at: datetime | None,
    *,
    settings: Settings,
    now: datetime,
) -> HubView:
    if point is None:
        return HubView(hub.id, serves_address=False)
    reach = routing_service.reach(
        hub, destination=point, scheduled_at=scheduled_at, now=now, settings=settings
    )
    return HubView(
        hub_id=hub.id,
        serves_address=reach.serves_address,
        distance_km=reach.distance_km,
        open_at_scheduled=reach.open_at_scheduled,
        express_possible=reach.express_possible,
    )


def _default_title(status: OrderStatus) -> str:
    return {
        OrderStatus.CONFIRMED: "Order confirmed",
        OrderStatus.PROCESSING: "Order being prepared",
        OrderStatus.PACKED: "Order packed",
        OrderStatus.OUT_FOR_DELIVERY: "Out for delivery",
        OrderStatus.DELIVERED: "Delivered",
        OrderStatus.CANCELLED: "Order cancelled",
        OrderStatus.REFUNDED: "Order refunded",
        OrderStatus.PENDING: "Order pending",
    }[status]


def _validation_failed(errors: Sequence[ValidationIssue]) -> OrderValidationFailed:
    dumped = [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in errors]
    summary = "; ".join(f"{e.field or 'order'}: {e.message}" for e in errors[:5])
    return OrderValidationFailed(summary or "the order is not valid", errors=dumped)


def _stock_issue(detail: str, extra: dict[str, Any]) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "code": "insufficient_stock",
        "message": f"{detail}; lower the quantity or try again later",
        "field": "items",
    }
    if extra:
        issue["details"] = extra
    return issue


# ---------------------------------------------------------------- placement rows


def _placement_rows(
    order_id: str,
    creation: OrderCreation,
    lines: dict[str, OrderItemIn],
    variants: Mapping[str, CatalogVariant],
    plan: RoutingPlan,
    *,
    fee_overrides: dict[str, int | None],
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    """The rows of a new order: one sub-order per vendor, one fulfillment per shipment, one
    item per (line, hub). Prices and vendor types are the catalog's."""
    scheduled_at = creation.scheduled_delivery
    priority = priority_for(creation.delivery_type, scheduled_at, now)
    stamps = {"created_at": now, "updated_at": now}

    vendor_ids: list[str] = []
    for item in lines.values():
        vendor_id = variants[item.variant_id].vendor_id
        if vendor_id not in vendor_ids:
            vendor_ids.append(vendor_id)
    sub_ids = {vendor_id: new_id("sub") for vendor_id in vendor_ids}

    fulfillments: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    units: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for shipment in plan.shipments:
        fulfillment_id = new_id("ful")
        fulfillments.append(
            {
                "id": fulfillment_id,
                "order_id": order_id,
                "hub_id": shipment.hub_id,
                "status": "pending",
                "priority": priority.value,
                "priority_rank": priority.rank,
                "promised_at": scheduled_at or shipment.estimated_delivery_at,
                "estimated_processing_minutes": shipment.estimated_processing_minutes,
                "estimated_delivery_at": shipment.estimated_delivery_at,
                "delivery_fee_amount": shipment.delivery_fee_amount,
                "cost_amount": shipment.cost_amount,
                "distance_km": shipment.distance_km,
                "routing": shipment.as_record(),
                **stamps,
            }
        )
        for allocation in shipment.allocations:
            variant = variants[allocation.variant_id]
            units[variant.vendor_id][fulfillment_id] += allocation.quantity
            items.append(
                {
                    "id": new_id("item"),
                    "order_id": order_id,
                    "sub_order_id": sub_ids[variant.vendor_id],
                    "fulfillment_id": fulfillment_id,
                    "line_id": allocation.line_id,
                    "variant_id": variant.id,
                    "vendor_id": variant.vendor_id,
                    "vendor_type": variant.vendor_type,
                    "hub_id": shipment.hub_id,
                    "sku": variant.sku,
                    "title": variant.title,
                    "age_restricted": variant.age_restricted,
                    "quantity": allocation.quantity,
                    "unit_price_amount": variant.price_amount,
                    "returned_quantity": 0,
                    "status": "active",
                    **stamps,
                }
            )

    subtotals = {vendor_id: 0 for vendor_id in vendor_ids}
    vendor_types: dict[str, str] = {}
    for item in lines.values():
        variant = variants[item.variant_id]
        subtotals[variant.vendor_id] += variant.price_amount * item.quantity
        vendor_types[variant.vendor_id] = variant.vendor_type
    splits = compute_splits(
        [
            SplitInput(
                sub_order_id=sub_ids[vendor_id],
                vendor_id=vendor_id,
                vendor_type=vendor_types[vendor_id],
                subtotal_amount=subtotals[vendor_id],
                fee_bps=fee_bps_for(
                    vendor_types[vendor_id],
                    fee_overrides.get(vendor_id),
                    brand_bps=settings.brand_fee_bps,
                    distributor_bps=settings.distributor_fee_bps,
                ),
            )
            for vendor_id in vendor_ids
        ],
        delivery_fee_amount=plan.delivery_fee_amount,
    )
    money = {
        split.vendor_id: {
            "fee_bps": split.fee_bps,
            "platform_fee_amount": split.platform_fee_amount,
            "delivery_fee_share_amount": split.delivery_fee_share_amount,
            "vendor_payout_amount": split.vendor_payout_amount,
        }
        for split in splits
    }
    sub_orders = [
        {
            "id": sub_ids[vendor_id],
            "order_id": order_id,
            "vendor_id": vendor_id,
            "vendor_type": vendor_types[vendor_id],
            "status": OrderStatus.PENDING.value,
            "fulfillment_id": max(units[vendor_id].items(), key=lambda kv: kv[1])[0]
            if units[vendor_id]
            else None,
            "subtotal_amount": subtotals[vendor_id],
            "refunded_amount": 0,
            "cancel_reason": None,
            **money[vendor_id],
            **stamps,
        }
        for vendor_id in vendor_ids
    ]
    subtotal = sum(subtotals.values())
    order = {
        "id": order_id,
        "display_id": new_display_id(),
        "customer_id": creation.customer_id,
        "status": OrderStatus.PENDING.value,
        "fulfillment_status": FulfillmentStatus.NOT_FULFILLED.value,
        "delivery_type": creation.delivery_type,
        "scheduled_delivery_at": scheduled_at,
        "shipping_address": creation.shipping_address.model_dump(mode="json", by_alias=True),
        "billing_address": creation.billing_address.model_dump(mode="json", by_alias=True),
        "notes": creation.notes,
        "age_verified": creation.age_verified,
        "payment_method_id": creation.payment_method_id,
        "consolidated_shipping": plan.consolidated,
        "currency": settings.currency,
        "subtotal_amount": subtotal,
        "delivery_fee_amount": plan.delivery_fee_amount,
        "total_amount": subtotal + plan.delivery_fee_amount,
        "refunded_amount": 0,
        "estimated_delivery_at": plan.estimated_delivery_at,
        "payment_status": "pending",
        "pipeline_step": "validate",
        "pipeline_updated_at": now,
        "version": 1,
        "event_sequence": 0,
        "routing": plan.as_record(),
        **stamps,
    }
    return {"order": order, "sub_orders": sub_orders, "fulfillments": fulfillments, "items": items}
