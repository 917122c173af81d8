"""Change sets: seed modifications applied to a placed order as one unit, all or nothing.

Steps, after the order row is locked: plan on paper (changes/plan.py: stage rules, request
checks), check age and the new address, move the stock (shrink in place, or release every unit
that may still move and route the new line set: routing picks the hubs, reservations are held
again), recompute the splits and settle the difference (refund per sub-order with transfer
reversals, or one extra charge), then bump ``version``, store the ``OrderVersion`` and emit
``order.modified``. Any failure raises before commit: nothing is changed.

``preview`` runs the same steps inside a savepoint that is rolled back: the answer is exactly
what confirming would do, and nothing stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes import access, derivation, rules
from orderflow.changes import repository as repo
from orderflow.changes.errors import InvalidModification, NotModifiable
from orderflow.changes.plan import (
    ChangePlan,
    ItemState,
    Limits,
    Modification,
    VariantFacts,
    plan_changes,
)
from orderflow.changes.refunds import SubOrderTarget, delivery_targets, settle
from orderflow.changes.schemas import (
    Adjustment,
    ModificationRequest,
    ModificationResult,
    OrderVersionOut,
)
from orderflow.config import Settings
from orderflow.db.models import Fulfillment, Order, OrderItem, SubOrder, Variant, Vendor
from orderflow.fulfillment.priority import priority_for
from orderflow.fulfillment.service import fulfillment_service
from orderflow.inventory.errors import InsufficientStock
from orderflow.inventory.service import Hold, inventory_service
from orderflow.kit import geo
from orderflow.kit.ids import new_id
from orderflow.kit.money import bps_of, to_dollars
from orderflow.orders.schemas import Address
from orderflow.orders.service import order_cache_keys, order_service
from orderflow.orders.validation import check_address_format
from orderflow.payments.service import payment_service
from orderflow.payments.splits import SplitInput, compute_splits, fee_bps_for
from orderflow.routing.errors import NoRoute
from orderflow.routing.planner import RouteLine, RoutingPlan
from orderflow.routing.service import routing_service
from orderflow.tracking.repository import append_event
from orderflow.workers.outbox import add_invalidate

MODIFICATION = "modification"
PAID = frozenset({"captured", "partially_refunded"})


def modify(
    session: Session,
    order_id: str,
    *,
    principal: Principal,
    request: ModificationRequest,
    preview: bool,
    settings: Settings,
    now: datetime,
) -> ModificationResult:
    if not preview:
        return _apply(session, order_id, principal, request, settings=settings, now=now)
    savepoint = session.begin_nested()
    try:
        result = _apply(
            session, order_id, principal, request, settings=settings, now=now, preview=True
        )
    finally:
        savepoint.rollback()
        session.expire_all()
    return result


def versions(session: Session, order_id: str, *, principal: Principal) -> list[OrderVersionOut]:
    order_service.get(session, order_id, principal=principal)  # 404 unless visible
    return [
        OrderVersionOut(
            version=v.version,
            modifications=v.modifications,
            adjustments=v.adjustments,
            snapshot=v.snapshot,
            created_by=v.created_by,
            created_at=v.created_at,
        )
        for v in repo.versions(session, order_id)
    ]


# ---------------------------------------------------------------- the change set


def _apply(
    session: Session,
    order_id: str,
    principal: Principal,
    request: ModificationRequest,
    *,
    settings: Settings,
    now: datetime,
    preview: bool = False,
) -> ModificationResult:
    order = access.locked_order(session, order_id, principal=principal)
    items = repo.items(session, order_id)
    parcels = repo.fulfillments(session, order_id)
    mods = [
        Modification(
            type=m.type,
            reason=m.reason,
            item_id=m.item_id,
            variant_id=m.variant_id,
            quantity=m.quantity,
            new_address=m.new_address.model_dump(mode="json", by_alias=True)
            if m.new_address
            else None,
        )
        for m in request.modifications
    ]
    catalog = {
        v.id: (v, vendor)
        for v, vendor in repo.catalog(session, {m.variant_id for m in mods if m.variant_id})
    }
    plan = plan_changes(
        order_status=order.status,
        items=[_item_state(i, parcels) for i in items],
        modifications=mods,
        variants={
            v.id: VariantFacts(v.id, v.vendor_id, v.price_amount, v.active)
            for v, _ in catalog.values()
        },
        fulfillment_statuses={f.id: f.status for f in parcels if f.status != "cancelled"},
        limits=Limits(settings.max_lines, settings.max_line_quantity),
    )
    if plan.conflicts:
        raise NotModifiable(
            "; ".join(p.message for p in plan.conflicts),
            errors=[p.as_error() for p in plan.conflicts],
            extra={
                "blockingFulfillmentIds": sorted(
                    {p.fulfillment_id for p in plan.conflicts if p.fulfillment_id}
                )
            },
        )
    errors = [p.as_error() for p in plan.errors]
    errors += _age_errors(order, plan, catalog)
    destination = _destination(order, request, plan, errors)
    if errors:
        raise InvalidModification("; ".join(str(e["message"]) for e in errors), errors=errors)
    assert destination is not None
    _check_payment(session, order)

    goods_before = _goods(items)
    adjustments: list[Adjustment] = []
    if plan.new_address is not None:
        repo.update_order(
            session, order_id, {"shipping_address": dict(plan.new_address), "updated_at": now}
        )
    if plan.requires_routing:
        adjustments += _reroute(
            session, order, items, parcels, plan, catalog, destination, settings=settings, now=now
        )
    else:
        adjustments += _shrink(session, order, items, plan, now=now)
    derivation.resync(session, order_id, now=now)
    adjustments += _settle(session, order_id, goods_before, plan, settings=settings, now=now)

    version = order.version + 1
    repo.update_order(session, order_id, {"version": version, "updated_at": now})
    session.expire_all()
    document = order_service.get(session, order_id, principal=principal)
    repo.insert_version(
        session,
        {
            "id": new_id("ver"),
            "order_id": order_id,
            "version": version,
            "modifications": [
                m.model_dump(mode="json", by_alias=True, exclude_none=True)
                for m in request.modifications
            ],
            "adjustments": [a.model_dump(mode="json", by_alias=True) for a in adjustments],
            "snapshot": document.model_dump(mode="json", by_alias=True),
            "created_by": principal.sub,
            "created_at": now,
        },
    )
    append_event(
        session,
        order_id=order_id,
        event="order.modified",
        title="Order modified",
        description="; ".join(plan.reasons),
        data={
            "version": version,
            "total": str(document.total),
            "adjustments": [
                a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in adjustments
            ],
        },
        now=now,
    )
    add_invalidate(session, order_cache_keys(order_id), order_id=order_id)
    return ModificationResult(
        success=True,
        preview=preview,
        version=version,
        modified_order=document,
        adjustments=adjustments,
    )


def _item_state(item: OrderItem, parcels: Sequence[Fulfillment]) -> ItemState:
    status = next((f.status for f in parcels if f.id == item.fulfillment_id), None)
    return ItemState(
        item_id=item.id,
        line_id=item.line_id,
        variant_id=item.variant_id,
        vendor_id=item.vendor_id,
        sub_order_id=item.sub_order_id,
        quantity=item.quantity,
        unit_price_amount=item.unit_price_amount,
        fulfillment_id=item.fulfillment_id,
        fulfillment_status=status,
        active=item.status == "active",
    )


def _age_errors(
    order: Order, plan: ChangePlan, catalog: dict[str, tuple[Variant, Vendor]]
) -> list[dict[str, Any]]:
    if order.age_verified:
        return []
    return [
        {
            "code": "age_verification_required",
            "message": f"{catalog[a.variant_id][0].title} is age-restricted and this order's "
            "buyer was not age-verified",
            "field": "modifications",
        }
        for a in plan.additions
        if catalog[a.variant_id][0].age_restricted
    ]


def _destination(
    order: Order, request: ModificationRequest, plan: ChangePlan, errors: list[dict[str, Any]]
) -> geo.Point | None:
    if plan.new_address is None:
        return geo.locate(order.shipping_address)
    index = next(i for i, m in enumerate(request.modifications) if m.new_address is not None)
    prefix = f"modifications[{index}].newAddress"
    address = Address.model_validate(plan.new_address)
    errors += [
        e.model_dump(mode="json", by_alias=True, exclude_none=True)
        for e in check_address_format(address, prefix)
    ]
    point = geo.locate(plan.new_address)
    if point is None:
        errors.append(
            {
                "code": "address_not_located",
                "message": "the new address could not be located; give lat/lng or a known ZIP",
                "field": prefix,
            }
        )
    return point


def _check_payment(session: Session, order: Order) -> None:
    why = rules.payment_refusal(
        order.payment_status, charge_started=bool(repo.payments(session, order.id))
    )
    if why is not None:
        raise NotModifiable(
            f"order {order.display_id} cannot be modified now: {why}",
            extra={"paymentStatus": order.payment_status},
        )


def _goods(items: Sequence[OrderItem]) -> dict[str, int]:
    goods: dict[str, int] = defaultdict(int)
    for item in items:
        if item.status == "active":
            goods[item.sub_order_id] += item.unit_price_amount * item.quantity
    return dict(goods)


# ---------------------------------------------------------------- stock and routing


def _shrink(
    session: Session, order: Order, items: Sequence[OrderItem], plan: ChangePlan, *, now: datetime
) -> list[Adjustment]:
    """Only fewer units: release the difference where the units are held."""
    by_id = {i.id: i for i in items}
    adjustments: list[Adjustment] = []
    for change in plan.item_changes:
        item = by_id[change.item_id]
        inventory_service.release(session, order_id=order.id, order_item_ids=[item.id], now=now)
        if change.new_quantity > 0:
            assert item.hub_id is not None
            inventory_service.hold(
                session,
                [
                    Hold(
                        order.id,
                        item.id,
                        item.fulfillment_id,
                        item.hub_id,
                        item.variant_id,
                        change.new_quantity,
                    )
                ],
                now=now,
            )
            repo.set_item_quantity(session, item.id, change.new_quantity, now=now)
        else:
            repo.cancel_items(session, [item.id], now=now)
        adjustments.append(
            Adjustment(
                kind="stock_released",
                description=f"{-change.delta} x {item.title} released at {item.hub_id}",
                variant_id=item.variant_id,
                hub_id=item.hub_id,
                quantity=-change.delta,
            )
        )
    _cancel_emptied(session, order.id, now=now)
    return adjustments


def _reroute(
    session: Session,
    order: Order,
    items: Sequence[OrderItem],
    parcels: Sequence[Fulfillment],
    plan: ChangePlan,
    catalog: dict[str, tuple[Variant, Vendor]],
    destination: geo.Point,
    *,
    settings: Settings,
    now: datetime,
) -> list[Adjustment]:
    """Release every unit that may still move, route the new line set, hold it again."""
    editable = {f.id for f in parcels if f.status in rules.ITEMS_EDITABLE_FULFILLMENT}
    live = [i for i in items if i.status == "active"]
    movable = [i for i in live if i.fulfillment_id is None or i.fulfillment_id in editable]
    fixed_parcels = sorted(
        {i.fulfillment_id for i in live if i not in movable and i.fulfillment_id}
    )
    if plan.new_address is not None:
        _check_fixed_parcels_reach(session, order, parcels, fixed_parcels, destination, now=now)
    quantities = {i.id: i.quantity for i in movable}
    for change in plan.item_changes:
        quantities[change.item_id] = change.new_quantity
    inventory_service.release(
        session, order_id=order.id, order_item_ids=[i.id for i in movable], now=now
    )
    line_units: dict[str, int] = defaultdict(int)
    line_of: dict[str, OrderItem] = {}
    for item in movable:
        line_units[item.line_id] += quantities[item.id]
        line_of.setdefault(item.line_id, item)
    lines = [
        RouteLine(line_id, line_of[line_id].variant_id, line_of[line_id].vendor_id, units)
        for line_id, units in sorted(line_units.items())
        if units > 0
    ]
    new_lines = {new_id("line"): a for a in plan.additions}
    lines += [RouteLine(k, a.variant_id, a.vendor_id, a.quantity) for k, a in new_lines.items()]
    adjustments: list[Adjustment] = []
    reused: set[str] = set()
    kept_items: set[str] = set()
    if lines:
        route = _route(session, order, lines, destination, settings=settings, now=now)
        reused, kept_items, adjustments = _write_route(
            session,
            order,
            route,
            movable,
            parcels,
            editable,
            new_lines,
            catalog,
            settings=settings,
            now=now,
        )
    repo.cancel_items(session, [i.id for i in movable if i.id not in kept_items], now=now)
    for parcel in parcels:
        if parcel.id in editable and parcel.id not in reused:
            repo.update_fulfillment(
                session,
                parcel.id,
                {"status": "cancelled", "failure_reason": "rerouted", "updated_at": now},
            )
            adjustments.append(
                Adjustment(
                    kind="rerouted",
                    description=f"the parcel from {parcel.hub_id} is no longer needed",
                    hub_id=parcel.hub_id,
                    data={"fulfillmentId": parcel.id},
                )
            )
    if plan.new_address is not None:
        for fulfillment_id in fixed_parcels:
            repo.update_fulfillment(session, fulfillment_id, {"updated_at": now})
    fulfillment_service.mark_hubs_notified(session, order_id=order.id, now=now)
    _set_eta(session, order.id, now=now)
    return adjustments


def _route(
    session: Session,
    order: Order,
    lines: list[RouteLine],
    destination: geo.Point,
    *,
    settings: Settings,
    now: datetime,
) -> RoutingPlan:
    try:
        return routing_service.plan(
            session,
            lines=lines,
            destination=destination,
            delivery_type=order.delivery_type,
            scheduled_at=order.scheduled_delivery_at,
            now=now,
            settings=settings,
        )
    except NoRoute as exc:
        raise InvalidModification(
            exc.detail,
            errors=[
                {
                    "code": "insufficient_stock",
                    "message": f"{exc.detail}; lower the quantity or try another address",
                    "field": "modifications",
                    "details": exc.extra or None,
                }
            ],
        ) from exc


def _write_route(
    session: Session,
    order: Order,
    route: RoutingPlan,
    movable: Sequence[OrderItem],
    parcels: Sequence[Fulfillment],
    editable: set[str],
    new_lines: dict[str, Any],
    catalog: dict[str, tuple[Variant, Vendor]],
    *,
    settings: Settings,
    now: datetime,
) -> tuple[set[str], set[str], list[Adjustment]]:
    """Items, sub-orders and fulfillments for the routed lines; returns the reused parcel ids,
    the kept item ids and the adjustments."""
    open_at_hub = {f.hub_id: f for f in parcels if f.id in editable}
    subs = {s.vendor_id: s for s in repo.sub_orders(session, order.id)}
    priority = priority_for(order.delivery_type, order.scheduled_delivery_at, now)
    reused: set[str] = set()
    kept: set[str] = set()
    holds: list[Hold] = []
    new_items: list[dict[str, Any]] = []
    new_parcels: list[dict[str, Any]] = []
    adjustments: list[Adjustment] = []
    for shipment in route.shipments:
        values = {
            "updated_at": now,
            "estimated_processing_minutes": shipment.estimated_processing_minutes,
            "estimated_delivery_at": shipment.estimated_delivery_at,
            "delivery_fee_amount": shipment.delivery_fee_amount,
            "cost_amount": shipment.cost_amount,
            "distance_km": shipment.distance_km,
            "routing": shipment.as_record(),
        }
        existing = open_at_hub.get(shipment.hub_id)
        if existing is not None:
            fulfillment_id = existing.id
            reused.add(fulfillment_id)
            repo.update_fulfillment(session, fulfillment_id, values)
        else:
            fulfillment_id = new_id("ful")
            new_parcels.append(
                {
                    "id": fulfillment_id,
                    "order_id": order.id,
                    "hub_id": shipment.hub_id,
                    "status": "pending",
                    "priority": priority.value,
                    "priority_rank": priority.rank,
                    "promised_at": order.scheduled_delivery_at or shipment.estimated_delivery_at,
                    "created_at": now,
                    **values,
                }
            )
            adjustments.append(
                Adjustment(
                    kind="rerouted",
                    description=f"a new parcel ships from {shipment.hub_id}",
                    hub_id=shipment.hub_id,
                    data={"fulfillmentId": fulfillment_id},
                )
            )
        for allocation in shipment.allocations:
            match = next(
                (
                    i
                    for i in movable
                    if i.line_id == allocation.line_id
                    and i.hub_id == shipment.hub_id
                    and i.id not in kept
                ),
                None,
            )
            if match is not None:
                kept.add(match.id)
                item_id = match.id
                repo.move_item(
                    session,
                    item_id,
                    quantity=allocation.quantity,
                    fulfillment_id=fulfillment_id,
                    hub_id=shipment.hub_id,
                    now=now,
                )
            else:
                item_id = new_id("item")
                source = next((i for i in movable if i.line_id == allocation.line_id), None)
                new_items.append(
                    _item_row(
                        session,
                        order,
                        item_id,
                        allocation.line_id,
                        allocation.variant_id,
                        source,
                        catalog,
                        subs,
                        settings=settings,
                        fulfillment_id=fulfillment_id,
                        hub_id=shipment.hub_id,
                        quantity=allocation.quantity,
                        now=now,
                    )
                )
            holds.append(
                Hold(
                    order.id,
                    item_id,
                    fulfillment_id,
                    shipment.hub_id,
                    allocation.variant_id,
                    allocation.quantity,
                )
            )
            adjustments.append(
                Adjustment(
                    kind="stock_held",
                    description=f"{allocation.quantity} x {allocation.variant_id} held at "
                    f"{shipment.hub_id}",
                    variant_id=allocation.variant_id,
                    hub_id=shipment.hub_id,
                    quantity=allocation.quantity,
                )
            )
    repo.insert_fulfillments(session, new_parcels)
    repo.insert_items(session, new_items)
    try:
        inventory_service.hold(session, holds, now=now)
    except InsufficientStock as exc:
        raise InvalidModification(exc.detail, errors=exc.errors) from exc
    return reused, kept, adjustments


def _item_row(
    session: Session,
    order: Order,
    item_id: str,
    line_id: str,
    variant_id: str,
    source: OrderItem | None,
    catalog: dict[str, tuple[Variant, Vendor]],
    subs: dict[str, SubOrder],
    *,
    settings: Settings,
    fulfillment_id: str,
    hub_id: str,
    quantity: int,
    now: datetime,
) -> dict[str, Any]:
    """A new item row: a split of an existing line (copied from ``source``) or a new line."""
    if source is not None:
        vendor_id, vendor_type = source.vendor_id, source.vendor_type
        sku, title, age, price = (
            source.sku,
            source.title,
            source.age_restricted,
            source.unit_price_amount,
        )
    else:
        variant, vendor = catalog[variant_id]
        vendor_id, vendor_type = vendor.id, vendor.type
        sku, title, age, price = (
            variant.sku,
            variant.title,
            variant.age_restricted,
            (variant.price_amount),
        )
    sub = subs.get(vendor_id)
    if sub is not None and sub.status == "cancelled":
        # The vendor's part was cancelled earlier; its sub-order (one per vendor) comes back.
        repo.update_sub_order(
            session, sub.id, {"status": order.status, "cancel_reason": None, "updated_at": now}
        )
    if sub is None:
        sub = _new_sub_order(session, order, catalog[variant_id][1], settings=settings, now=now)
        subs[vendor_id] = sub
    return {
        "id": item_id,
        "order_id": order.id,
        "sub_order_id": sub.id,
        "fulfillment_id": fulfillment_id,
        "line_id": line_id,
        "variant_id": variant_id,
        "vendor_id": vendor_id,
        "vendor_type": vendor_type,
        "hub_id": hub_id,
        "sku": sku,
        "title": title,
        "age_restricted": age,
        "quantity": quantity,
        "unit_price_amount": price,
        "returned_quantity": 0,
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }


def _new_sub_order(
    session: Session, order: Order, vendor: Vendor, *, settings: Settings, now: datetime
) -> SubOrder:
    """A sub-order for a vendor new to the order; its money is filled in by the settlement."""
    row = {
        "id": new_id("sub"),
        "order_id": order.id,
        "vendor_id": vendor.id,
        "vendor_type": vendor.type,
        "status": order.status,
        "fulfillment_id": None,
        "subtotal_amount": 0,
        "fee_bps": fee_bps_for(
            vendor.type,
            vendor.platform_fee_bps,
            brand_bps=settings.brand_fee_bps,
            distributor_bps=settings.distributor_fee_bps,
        ),
        "platform_fee_amount": 0,
        "delivery_fee_share_amount": 0,
        "vendor_payout_amount": 0,
        "refunded_amount": 0,
        "cancel_reason": None,
        "created_at": now,
        "updated_at": now,
    }
    repo.insert_sub_orders(session, [row])
    return SubOrder(**row)


def _check_fixed_parcels_reach(
    session: Session,
    order: Order,
    parcels: Sequence[Fulfillment],
    fixed: Sequence[str],
    destination: geo.Point,
    *,
    now: datetime,
) -> None:
    """A packed parcel stays at its hub: that hub must deliver to the new address."""
    by_id = {f.id: f for f in parcels}
    hubs = repo.hubs(session, {by_id[f].hub_id for f in fixed})
    for fulfillment_id in fixed:
        hub = hubs[by_id[fulfillment_id].hub_id]
        reach = routing_service.reach(
            hub, destination=destination, scheduled_at=order.scheduled_delivery_at, now=now
        )
        if not reach.serves_address:
            raise NotModifiable(
                f"fulfillment {fulfillment_id} is already packed at {hub.name}, which does not "
                "deliver to the new address",
                extra={"blockingFulfillmentIds": [fulfillment_id]},
            )


def _cancel_emptied(session: Session, order_id: str, *, now: datetime) -> None:
    """A parcel left without active items is not needed any more."""
    units: dict[str, int] = defaultdict(int)
    for item in repo.items(session, order_id):
        if item.status == "active" and item.fulfillment_id:
            units[item.fulfillment_id] += item.quantity
    for parcel in repo.fulfillments(session, order_id):
        if parcel.status in rules.ITEMS_EDITABLE_FULFILLMENT and units.get(parcel.id, 0) == 0:
            repo.update_fulfillment(
                session,
                parcel.id,
                {"status": "cancelled", "failure_reason": "no items left", "updated_at": now},
            )


def _set_eta(session: Session, order_id: str, *, now: datetime) -> None:
    etas = [
        f.estimated_delivery_at
        for f in repo.fulfillments(session, order_id)
        if f.status != "cancelled" and f.estimated_delivery_at is not None
    ]
    if etas:
        repo.update_order(
            session, order_id, {"estimated_delivery_at": max(etas), "updated_at": now}
        )


# ---------------------------------------------------------------- money


def _settle(
    session: Session,
    order_id: str,
    goods_before: dict[str, int],
    plan: ChangePlan,
    *,
    settings: Settings,
    now: datetime,
) -> list[Adjustment]:
    """New splits for the new goods and delivery fee; settle what the customer paid."""
    order = repo.lock_order(session, order_id)
    assert order is not None
    items = repo.items(session, order_id)
    goods_after = _goods(items)
    live_parcels = {i.fulfillment_id for i in items if i.status == "active"}
    delivery = sum(
        f.delivery_fee_amount
        for f in repo.fulfillments(session, order_id)
        if f.id in live_parcels and f.status != "cancelled"
    )
    subs = repo.sub_orders(session, order_id)
    live_subs = [s for s in subs if goods_after.get(s.id, 0) > 0]
    splits = {
        s.sub_order_id: s
        for s in compute_splits(
            [
                SplitInput(s.id, s.vendor_id, s.vendor_type, goods_after[s.id], s.fee_bps)
                for s in live_subs
            ],
            delivery_fee_amount=delivery,
        )
    }
    reason = "; ".join(plan.reasons) or "order modified"
    emptied = [s for s in subs if s.status != "cancelled" and goods_after.get(s.id, 0) == 0]
    for sub in emptied:
        repo.update_sub_order(
            session,
            sub.id,
            {"status": "cancelled", "cancel_reason": "every item was removed", "updated_at": now},
        )
    if order.payment_status not in PAID:
        return _reprice_unpaid(session, order, subs, splits, now=now)
    involved = [s for s in subs if s.status != "cancelled" or s in emptied]
    balances = {
        s.id: s.subtotal_amount + s.delivery_fee_share_amount - s.refunded_amount for s in involved
    }
    shares = delivery_targets(
        {s.id: balances[s.id] - goods_before.get(s.id, 0) for s in involved},
        {s.id: goods_after.get(s.id, 0) for s in involved},
        delivery,
    )
    targets = [
        SubOrderTarget(
            sub_order_id=s.id,
            balance_amount=balances[s.id],
            goods_amount=goods_before.get(s.id, 0),
            new_goods_amount=goods_after.get(s.id, 0),
            new_delivery_share_amount=shares[s.id],
        )
        for s in involved
    ]
    settlement = settle(targets)
    adjustments: list[Adjustment] = []
    if settlement.refund_amount > 0:
        refund = payment_service.refund(
            session,
            order_id=order_id,
            amount=settlement.refund_amount,
            allocation=settlement.refund_allocation,
            reason=reason,
            reason_kind=MODIFICATION,
            now=now,
        )
        adjustments.append(
            Adjustment(
                kind="refund",
                description=f"{to_dollars(settlement.refund_amount)} refunded; vendors reverse "
                "their share",
                amount=to_dollars(settlement.refund_amount),
                refund_id=refund.id,
                data={k: str(to_dollars(v)) for k, v in settlement.refund_allocation.items()},
            )
        )
    if settlement.charge_amount > 0:
        payment = payment_service.charge_extra(
            session,
            order_id=order_id,
            amount=settlement.charge_amount,
            allocation=settlement.charge_goods_allocation,
            reason=reason,
            now=now,
        )
        _add_charged(session, order, subs, settlement.charge_goods_allocation, targets, now=now)
        adjustments.append(
            Adjustment(
                kind="extra_charge",
                description=f"{to_dollars(settlement.charge_amount)} charged for the additions",
                amount=to_dollars(settlement.charge_amount),
                payment_id=payment.id,
                data={k: str(to_dollars(v)) for k, v in settlement.charge_goods_allocation.items()},
            )
        )
    if not adjustments:
        adjustments.append(Adjustment(kind="note", description="no money moved"))
    return adjustments


def _reprice_unpaid(
    session: Session,
    order: Order,
    subs: Sequence[SubOrder],
    splits: dict[str, Any],
    *,
    now: datetime,
) -> list[Adjustment]:
    """Nothing charged yet: the splits and totals simply become the new ones."""
    for sub in subs:
        split = splits.get(sub.id)
        repo.update_sub_order(
            session,
            sub.id,
            {
                "subtotal_amount": split.subtotal_amount if split else 0,
                "platform_fee_amount": split.platform_fee_amount if split else 0,
                "delivery_fee_share_amount": split.delivery_fee_share_amount if split else 0,
                "vendor_payout_amount": split.vendor_payout_amount if split else 0,
                "updated_at": now,
            },
        )
    subtotal = sum(s.subtotal_amount for s in splits.values())
    delivery = sum(s.delivery_fee_share_amount for s in splits.values())
    repo.update_order(
        session,
        order.id,
        {
            "subtotal_amount": subtotal,
            "delivery_fee_amount": delivery,
            "total_amount": subtotal + delivery,
            "updated_at": now,
        },
    )
    return [
        Adjustment(
            kind="totals",
            description=f"not charged yet: the payment will be {to_dollars(subtotal + delivery)}",
            amount=to_dollars(subtotal + delivery),
        )
    ]


def _add_charged(
    session: Session,
    order: Order,
    subs: Sequence[SubOrder],
    goods: dict[str, int],
    targets: Sequence[SubOrderTarget],
    *,
    now: datetime,
) -> None:
    """An extra charge adds to the charged figures (payments/splits.py keeps them cumulative):
    goods with the vendor's fee, the rest of each sub-order's increase as delivery share."""
    by_id = {s.id: s for s in subs}
    added_goods = added_delivery = 0
    for target in targets:
        if target.delta <= 0:
            continue
        sub = by_id[target.sub_order_id]
        part = goods.get(sub.id, 0)
        fee = bps_of(part, sub.fee_bps)
        share = target.delta - part
        added_goods += part
        added_delivery += share
        repo.update_sub_order(
            session,
            sub.id,
            {
                "subtotal_amount": sub.subtotal_amount + part,
                "platform_fee_amount": sub.platform_fee_amount + fee,
                "vendor_payout_amount": sub.vendor_payout_amount + part - fee,
                "delivery_fee_share_amount": sub.delivery_fee_share_amount + share,
                "updated_at": now,
            },
        )
    repo.update_order(
        session,
        order.id,
        {
            "subtotal_amount": order.subtotal_amount + added_goods,
            "delivery_fee_amount": order.delivery_fee_amount + added_delivery,
            "total_amount": order.total_amount + added_goods + added_delivery,
            "updated_at": now,
        },
    )
