"""Cancelling an order (customer, admin) or one vendor's sub-order (vendor, admin).

Both flows lock the order row first, then: cancel the open fulfillments (hubs are notified,
stock of packed parcels goes back on the shelf), give the money back (void an uncaptured
authorization, refund what was captured; vendors reverse their transfers by their share),
release every reservation, and append the events (customers are notified from them).

Idempotency: besides the Idempotency-Key header, cancelling an order that this flow already
cancelled returns the recorded result (the refunds it made at ``cancelled_at``) instead of a
409: a client whose first response was lost cannot tell the two cases apart, and the second
call moves nothing. An order cancelled by the pipeline (payment declined) is a 409.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes import access, derivation, rules
from orderflow.changes import repository as repo
from orderflow.changes.errors import NotCancellable
from orderflow.changes.schemas import CancellationResult
from orderflow.db.models import Order, SubOrder
from orderflow.fulfillment.service import fulfillment_service
from orderflow.inventory.service import inventory_service
from orderflow.kit.money import to_dollars
from orderflow.orders.service import order_service
from orderflow.orders.state import OrderStatus
from orderflow.payments.service import payment_service
from orderflow.tracking.repository import append_event

# Who may cancel through this flow; the pipeline's own cancellations record no initiator.
INITIATORS = frozenset({"customer", "vendor", "admin"})
CANCELLATION = "cancellation"


def cancel_order(
    session: Session, order_id: str, *, principal: Principal, reason: str, now: datetime
) -> CancellationResult:
    order = access.locked_order(session, order_id, principal=principal)
    if order.status == OrderStatus.CANCELLED and order.cancelled_by in INITIATORS:
        return _recorded(session, order)
    refusal = rules.cancel_refusal(order.status)
    if refusal is not None:
        raise NotCancellable(
            f"order {order.display_id} cannot be cancelled: {refusal}",
            extra={"orderStatus": order.status},
        )
    fulfillment_service.cancel_open(session, order_id=order_id, now=now, reason=reason)
    outcome = payment_service.void_or_refund_all(session, order_id=order_id, reason=reason, now=now)
    inventory_service.release(session, order_id=order_id, now=now)
    voided = _voided_now(session, order_id, now)
    order_service.transition(
        session,
        order_id,
        to=OrderStatus.CANCELLED,
        event="order.cancelled",
        now=now,
        title="Order cancelled",
        description=reason,
        data={
            "reason": reason,
            "cancelledBy": principal.role,
            "refundId": outcome.refund_id,
            "refundAmount": str(to_dollars(outcome.amount)),
            "voided": voided,
        },
        reason=reason,
    )
    repo.mark_cancelled_by(session, order_id, by=principal.role)
    if outcome.amount > 0:
        _refunded_event(session, order_id, outcome.refund_id, outcome.amount, reason, now=now)
    return CancellationResult(
        success=True,
        refund_id=outcome.refund_id,
        refund_amount=to_dollars(outcome.amount),
        voided=voided,
        order_status=OrderStatus.CANCELLED.value,
    )


def cancel_sub_order(
    session: Session,
    order_id: str,
    sub_order_id: str,
    *,
    principal: Principal,
    reason: str,
    now: datetime,
) -> CancellationResult:
    order, sub = access.locked_sub_order(session, order_id, sub_order_id, principal=principal)
    if sub.status == OrderStatus.CANCELLED and sub.cancel_reason is not None:
        return _recorded_sub(session, order, sub)
    items = [i for i in repo.items(session, order_id) if i.sub_order_id == sub.id]
    live_items = [i for i in items if i.status == "active"]
    parcels = {i.fulfillment_id for i in live_items if i.fulfillment_id}
    statuses = [f.status for f in repo.fulfillments(session, order_id) if f.id in parcels]
    refusal = rules.cancel_refusal(order.status) or rules.sub_order_cancel_refusal(
        sub.status, statuses
    )
    if refusal is not None:
        raise NotCancellable(
            f"sub-order {sub.id} cannot be cancelled: {refusal}",
            extra={"orderStatus": order.status, "subOrderStatus": sub.status},
        )
    others = [
        s for s in repo.sub_orders(session, order_id) if s.id != sub.id and s.status != "cancelled"
    ]
    if not others:
        # The last live vendor: cancelling its part is cancelling the order.
        return cancel_order(session, order_id, principal=principal, reason=reason, now=now)
    why = rules.payment_refusal(
        order.payment_status, charge_started=bool(repo.payments(session, order_id))
    )
    if why is not None:
        raise NotCancellable(
            f"sub-order {sub.id} cannot be cancelled now: {why}",
            extra={"paymentStatus": order.payment_status},
        )
    fulfillment_service.cancel_open(
        session, order_id=order_id, now=now, reason=reason, sub_order_id=sub.id
    )
    refund_id, amount = _settle_sub_order(session, order, sub, reason=reason, now=now)
    repo.update_sub_order(
        session, sub.id, {"status": "cancelled", "cancel_reason": reason, "updated_at": now}
    )
    derivation.resync(session, order_id, now=now)
    append_event(
        session,
        order_id=order_id,
        event="order.sub_order_cancelled",
        title="Part of the order cancelled",
        description=reason,
        data={
            "subOrderId": sub.id,
            "vendorId": sub.vendor_id,
            "itemIds": [i.id for i in live_items],
            "reason": reason,
            "cancelledBy": principal.role,
            "refundId": refund_id,
            "refundAmount": str(to_dollars(amount)),
        },
        now=now,
    )
    if amount > 0:
        _refunded_event(session, order_id, refund_id, amount, reason, now=now)
    return CancellationResult(
        success=True,
        refund_id=refund_id,
        refund_amount=to_dollars(amount),
        voided=False,
        order_status=_status_of(session, order_id),
    )


def _settle_sub_order(
    session: Session, order: Order, sub: SubOrder, *, reason: str, now: datetime
) -> tuple[str | None, int]:
    """Refund what the customer paid for this sub-order; unpaid: take it out of the totals."""
    balance = sub.subtotal_amount + sub.delivery_fee_share_amount - sub.refunded_amount
    if order.payment_status in ("captured", "partially_refunded"):
        amount = min(balance, payment_service.refundable_amount(session, order_id=order.id))
        if amount <= 0:
            return None, 0
        refund = payment_service.refund(
            session,
            order_id=order.id,
            amount=amount,
            allocation={sub.id: amount},
            reason=reason,
            reason_kind=CANCELLATION,
            now=now,
        )
        return refund.id, amount
    # Nothing was charged yet: the payment will be for the rest of the order only.
    repo.update_order(
        session,
        order.id,
        {
            "subtotal_amount": order.subtotal_amount - sub.subtotal_amount,
            "delivery_fee_amount": order.delivery_fee_amount - sub.delivery_fee_share_amount,
            "total_amount": order.total_amount
            - sub.subtotal_amount
            - sub.delivery_fee_share_amount,
            "updated_at": now,
        },
    )
    repo.update_sub_order(
        session,
        sub.id,
        {
            "subtotal_amount": 0,
            "platform_fee_amount": 0,
            "delivery_fee_share_amount": 0,
            "vendor_payout_amount": 0,
        },
    )
    return None, 0


def _refunded_event(
    session: Session,
    order_id: str,
    refund_id: str | None,
    amount: int,
    reason: str,
    *,
    now: datetime,
) -> None:
    append_event(
        session,
        order_id=order_id,
        event="order.refunded",
        title="Refund issued",
        description=f"{to_dollars(amount)} is on its way back to your card.",
        data={"refundId": refund_id, "amount": str(to_dollars(amount)), "reason": reason},
        now=now,
    )


def _voided_now(session: Session, order_id: str, now: datetime) -> bool:
    return any(
        p.status == "voided" and p.updated_at == now for p in repo.payments(session, order_id)
    )


def _recorded(session: Session, order: Order) -> CancellationResult:
    """The result of the cancellation this flow already made (see the module docstring)."""
    assert order.cancelled_at is not None
    refunds = repo.refunds_at(session, order.id, kind=CANCELLATION, at=order.cancelled_at)
    return CancellationResult(
        success=True,
        refund_id=refunds[0].id if refunds else None,
        refund_amount=to_dollars(sum(r.amount for r in refunds)),
        voided=any(p.status == "voided" for p in repo.payments(session, order.id)),
        order_status=order.status,
    )


def _recorded_sub(session: Session, order: Order, sub: SubOrder) -> CancellationResult:
    refunds = [
        r
        for r in repo.refunds_at(session, order.id, kind=CANCELLATION, at=sub.updated_at)
        if set(r.allocation) == {sub.id}
    ]
    return CancellationResult(
        success=True,
        refund_id=refunds[0].id if refunds else None,
        refund_amount=to_dollars(sum(r.amount for r in refunds)),
        voided=False,
        order_status=order.status,
    )


def _status_of(session: Session, order_id: str) -> str:
    order = repo.lock_order(session, order_id)
    assert order is not None
    return order.status
