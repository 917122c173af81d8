"""Returns of delivered items: refund per line with its share of delivery, optional restock.

The refund math is changes/refunds.py; the vendor's part of each line comes back through a
transfer reversal (payments). Once every unit of a parcel is back, the parcel is ``returned``;
once every unit of the order is, the order is ``refunded``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes import access, derivation, rules
from orderflow.changes import repository as repo
from orderflow.changes.errors import InvalidReturn, NotReturnable
from orderflow.changes.refunds import ReturnableItem, return_refund
from orderflow.changes.schemas import ReturnItemOut, ReturnOut, ReturnRequest
from orderflow.db.models import Fulfillment, Order, OrderItem
from orderflow.inventory.service import inventory_service
from orderflow.kit.ids import new_id
from orderflow.kit.money import to_dollars
from orderflow.orders.service import order_service
from orderflow.orders.state import OrderStatus
from orderflow.payments.service import payment_service
from orderflow.tracking.repository import append_event

RETURN = "return"


def create_return(
    session: Session,
    order_id: str,
    *,
    principal: Principal,
    request: ReturnRequest,
    window_days: int,
    now: datetime,
) -> ReturnOut:
    order = access.locked_order(session, order_id, principal=principal)
    items = repo.items(session, order_id)
    parcels = {f.id: f for f in repo.fulfillments(session, order_id)}
    wanted = _checked_request(order, items, parcels, request, window_days=window_days, now=now)

    live = [i for i in items if i.status == "active"]
    balances = {
        s.id: s.subtotal_amount + s.delivery_fee_share_amount - s.refunded_amount
        for s in repo.sub_orders(session, order_id)
    }
    money = return_refund(
        [
            ReturnableItem(
                i.id, i.sub_order_id, i.unit_price_amount, i.quantity - i.returned_quantity
            )
            for i in live
            if i.quantity > i.returned_quantity
        ],
        balances,
        wanted,
    )
    refund_id: str | None = None
    refund_amount = min(money.total, payment_service.refundable_amount(session, order_id=order_id))
    if refund_amount > 0:
        allocation = dict(money.per_sub_order)
        if refund_amount < money.total:
            raise NotReturnable(
                "the payment for these items has not been captured; nothing can be refunded yet",
                extra={"refundableAmount": str(to_dollars(refund_amount))},
            )
        refund = payment_service.refund(
            session,
            order_id=order_id,
            amount=refund_amount,
            allocation=allocation,
            reason=request.reason,
            reason_kind=RETURN,
            now=now,
        )
        refund_id = refund.id

    by_id = {i.id: i for i in items}
    for item_id, quantity in sorted(wanted.items()):
        if not repo.add_returned(session, item_id, quantity, now=now):
            raise InvalidReturn(f"{item_id}: only part of these units is left to return")
        item = by_id[item_id]
        if request.restock and item.hub_id is not None:
            inventory_service.restock(
                session, hub_id=item.hub_id, variant_id=item.variant_id, quantity=quantity, now=now
            )

    return_id = new_id("ret")
    repo.insert_return(
        session,
        {
            "id": return_id,
            "order_id": order_id,
            "reason": request.reason,
            "status": "refunded" if refund_id else "received",
            "refund_id": refund_id,
            "refund_amount": money.total if refund_id else 0,
            "restock": request.restock,
            "created_by": principal.sub,
            "created_at": now,
        },
        [
            {
                "id": new_id("rti"),
                "return_id": return_id,
                "order_item_id": item_id,
                "quantity": quantity,
                "refund_amount": money.per_item.get(item_id, 0) if refund_id else 0,
            }
            for item_id, quantity in sorted(wanted.items())
        ],
    )
    derivation.resync(session, order_id, now=now)
    append_event(
        session,
        order_id=order_id,
        event="order.returned",
        title="Return received",
        description=request.reason,
        data={
            "returnId": return_id,
            "items": [{"itemId": k, "quantity": v} for k, v in sorted(wanted.items())],
            "refundId": refund_id,
            "refundAmount": str(to_dollars(money.total if refund_id else 0)),
            "restock": request.restock,
        },
        now=now,
    )
    status = _finish(session, order_id, refund_id, money.total if refund_id else 0, now=now)
    refreshed = repo.lock_order(session, order_id)
    assert refreshed is not None
    return ReturnOut(
        id=return_id,
        order_id=order_id,
        reason=request.reason,
        status="refunded" if refund_id else "received",
        restock=request.restock,
        items=[
            ReturnItemOut(
                item_id=item_id,
                quantity=quantity,
                refund_amount=to_dollars(money.per_item.get(item_id, 0) if refund_id else 0),
            )
            for item_id, quantity in sorted(wanted.items())
        ],
        refund_id=refund_id,
        refund_amount=to_dollars(money.total if refund_id else 0),
        order_status=status,
        fulfillment_status=refreshed.fulfillment_status,
        created_at=now,
    )


def _checked_request(
    order: Order,
    items: list[OrderItem],
    parcels: dict[str, Fulfillment],
    request: ReturnRequest,
    *,
    window_days: int,
    now: datetime,
) -> dict[str, int]:
    """item id -> units to return, or every reason why not (409 stage, 422 request)."""
    counts = Counter(line.item_id for line in request.items)
    errors: list[dict[str, object]] = []
    for item_id in sorted(k for k, n in counts.items() if n > 1):
        errors.append(
            {"code": "duplicate_item", "message": f"{item_id} is listed twice", "field": "items"}
        )
    by_id = {i.id: i for i in items if i.status == "active"}
    wanted: dict[str, int] = {}
    refusals: list[str] = []
    for index, line in enumerate(request.items):
        where = f"items[{index}]"
        item = by_id.get(line.item_id)
        if item is None:
            errors.append(
                {
                    "code": "unknown_item",
                    "message": f"{line.item_id} is not an active item of this order",
                    "field": f"{where}.itemId",
                }
            )
            continue
        parcel = parcels.get(item.fulfillment_id or "")
        if parcel is None or parcel.status != "delivered":
            refusals.append(f"{item.id} has not been delivered")
            continue
        delivered_at = order.delivered_at or parcel.updated_at
        why = rules.return_window_refusal(delivered_at, now=now, window_days=window_days)
        if why is not None:
            refusals.append(f"{item.id}: {why}")
            continue
        left = item.quantity - item.returned_quantity
        if line.quantity > left:
            errors.append(
                {
                    "code": "too_many_units",
                    "message": f"{item.id}: {line.quantity} units asked, {left} left to return",
                    "field": f"{where}.quantity",
                }
            )
            continue
        wanted[item.id] = line.quantity
    if refusals:
        raise NotReturnable("; ".join(refusals), extra={"orderStatus": order.status})
    if errors:
        raise InvalidReturn("; ".join(str(e["message"]) for e in errors), errors=errors)
    return wanted


def _finish(
    session: Session, order_id: str, refund_id: str | None, amount: int, *, now: datetime
) -> str:
    """Everything back: the order is ``refunded``; otherwise announce the partial refund."""
    order = repo.lock_order(session, order_id)
    assert order is not None
    live = [i for i in repo.items(session, order_id) if i.status == "active"]
    all_back = bool(live) and all(i.returned_quantity >= i.quantity for i in live)
    data = {"refundId": refund_id, "amount": str(to_dollars(amount))}
    if all_back and order.status == OrderStatus.DELIVERED:
        order_service.transition(
            session,
            order_id,
            to=OrderStatus.REFUNDED,
            event="order.refunded",
            now=now,
            title="Order refunded",
            description="Every item came back; the order is refunded.",
            data=data,
        )
        return OrderStatus.REFUNDED.value
    if amount > 0:
        append_event(
            session,
            order_id=order_id,
            event="order.refunded",
            title="Refund issued",
            description=f"{to_dollars(amount)} for the returned items is on its way back.",
            data=data,
            now=now,
        )
    return order.status
