"""SQL of the payments domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderflow.db.models import (
    Order,
    Payment,
    Refund,
    SubOrder,
    Transfer,
    TransferReversal,
    Vendor,
    WebhookEvent,
)


def get_order(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def lock_order(session: Session, order_id: str) -> Order | None:
    """The order row, locked on PostgreSQL (SQLite has one writer) to serialise money moves."""
    return session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def sub_orders(session: Session, order_id: str) -> list[SubOrder]:
    return list(
        session.scalars(select(SubOrder).where(SubOrder.order_id == order_id).order_by(SubOrder.id))
    )


def vendor_accounts(session: Session, vendor_ids: Iterable[str]) -> dict[str, str | None]:
    rows = session.execute(
        select(Vendor.id, Vendor.stripe_account_id).where(Vendor.id.in_(list(vendor_ids)))
    )
    return {vid: account for vid, account in rows}


def get_payment(session: Session, payment_id: str) -> Payment | None:
    return session.get(Payment, payment_id, populate_existing=True)


def payment_by_key(session: Session, key: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.idempotency_key == key))


def payment_by_intent(session: Session, intent_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.payment_intent_id == intent_id))


def payments(session: Session, order_id: str) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.created_at, Payment.id)
            .execution_options(populate_existing=True)
        )
    )


def insert_payment(session: Session, payment: Payment) -> Payment | None:
    """Insert ``payment`` unless its idempotency key exists (then None)."""
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        return None
    return payment


def update_payment(
    session: Session, payment_id: str, *, from_statuses: Iterable[str], values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status.in_(list(from_statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def add_refunded(session: Session, payment_id: str, amount: int, *, now: datetime) -> bool:
    """Reserve ``amount`` of a payment's captured money for a refund (never beyond captured)."""
    result = session.execute(
        update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.refunded_amount + amount <= Payment.captured_amount,
        )
        .values(refunded_amount=Payment.refunded_amount + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def set_order_payment(session: Session, order_id: str, *, now: datetime, **values: Any) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )


def add_order_refunded(session: Session, order_id: str, amount: int, *, now: datetime) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(refunded_amount=Order.refunded_amount + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def add_sub_order_refunded(session: Session, sub_order_id: str, amount: int, now: datetime) -> None:
    session.execute(
        update(SubOrder)
        .where(SubOrder.id == sub_order_id)
        .values(refunded_amount=SubOrder.refunded_amount + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def refunds(session: Session, order_id: str) -> list[Refund]:
    return list(
        session.scalars(
            select(Refund)
            .where(Refund.order_id == order_id)
            .order_by(Refund.created_at, Refund.id)
            .execution_options(populate_existing=True)
        )
    )


def get_refund(session: Session, refund_id: str) -> Refund | None:
    return session.get(Refund, refund_id, populate_existing=True)


def refund_by_gateway_id(session: Session, gateway_refund_id: str) -> Refund | None:
    return session.scalar(select(Refund).where(Refund.gateway_refund_id == gateway_refund_id))


def update_refund(
    session: Session, refund_id: str, *, from_status: str, values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(Refund)
        .where(Refund.id == refund_id, Refund.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def transfers(session: Session, order_id: str) -> list[Transfer]:
    return list(
        session.scalars(
            select(Transfer)
            .where(Transfer.order_id == order_id)
            .order_by(Transfer.created_at, Transfer.id)
            .execution_options(populate_existing=True)
        )
    )


def get_transfer(session: Session, transfer_id: str) -> Transfer | None:
    return session.get(Transfer, transfer_id, populate_existing=True)


def update_transfer(
    session: Session, transfer_id: str, *, from_status: str, values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(Transfer)
        .where(Transfer.id == transfer_id, Transfer.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def add_reversed(session: Session, transfer_id: str, amount: int, *, now: datetime) -> bool:
    result = session.execute(
        update(Transfer)
        .where(Transfer.id == transfer_id, Transfer.reversed_amount + amount <= Transfer.amount)
        .values(reversed_amount=Transfer.reversed_amount + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def reversals_of_refund(session: Session, refund_id: str) -> list[TransferReversal]:
    return list(
        session.scalars(
            select(TransferReversal)
            .where(TransferReversal.refund_id == refund_id)
            .order_by(TransferReversal.id)
            .execution_options(populate_existing=True)
        )
    )


def pending_reversals(session: Session, transfer_id: str) -> list[TransferReversal]:
    return list(
        session.scalars(
            select(TransferReversal)
            .where(
                TransferReversal.transfer_id == transfer_id, TransferReversal.status == "pending"
            )
            .order_by(TransferReversal.id)
            .execution_options(populate_existing=True)
        )
    )


def update_reversal(
    session: Session, reversal_id: str, *, from_status: str, values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(TransferReversal)
        .where(TransferReversal.id == reversal_id, TransferReversal.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def insert_webhook_event(session: Session, event: WebhookEvent) -> bool:
    """Store a webhook event once by id; False if it was already stored."""
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:
        return False
    return True


def mark_webhook_handled(
    session: Session, event_id: str, *, now: datetime, note: str | None
) -> None:
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_id)
        .values(handled_at=now, error=note)
        .execution_options(synchronize_session=False)
    )


def payment_gateway(session: Session, payment_id: str) -> str:
    payment = session.get(Payment, payment_id)
    return payment.gateway if payment else "builtin"


def payment_currency(session: Session, payment_id: str) -> str:
    payment = session.get(Payment, payment_id)
    return payment.currency if payment else "USD"
