"""Jobs of the payments domain (see docs/architecture.md, 'Jobs contract').

Each job runs as steps and never holds a transaction open across a gateway call: a transaction
that decides, the gateway call with a deterministic idempotency key, a transaction that records
the answer with a conditional update. Gateway timeouts and 5xx raise ``TransientError`` (the
queue retries with the same keys); refusals raise ``PermanentError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from orderflow.errors import NotFound
from orderflow.kit.clock import utcnow
from orderflow.orders.service import order_service
from orderflow.payments.gateway import gateway_for
from orderflow.payments.gateway.base import (
    ChargeResult,
    Gateway,
    GatewayRejected,
    GatewayUnavailable,
)
from orderflow.payments.refunds import ReversalStep, refund_service
from orderflow.payments.service import ChargeStep, TransferStep, payment_service
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError, TransientError

T = TypeVar("T")


def _remote(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except GatewayUnavailable as exc:
        raise TransientError(f"payment gateway unavailable: {exc}") from exc


def _ask(gateway: Gateway, step: ChargeStep) -> ChargeResult:
    intent = step.intent_id or ""
    if step.action == "retrieve":
        return _remote(lambda: gateway.retrieve(intent))
    if step.action == "cancel_expired":
        key = f"orderflow:cancel:{step.payment_id}"
        return _remote(lambda: gateway.cancel(intent, idempotency_key=key))
    if step.action == "capture":
        key = f"orderflow:capture:{step.payment_id}"
        amount = step.charge.amount
        return _remote(lambda: gateway.capture(intent, amount=amount, idempotency_key=key))
    return _remote(lambda: gateway.charge(step.charge))


def _run_charge(runtime: Runtime, step: ChargeStep) -> None:
    gateway = gateway_for(runtime, step.gateway)
    try:
        result = _ask(gateway, step)
    except GatewayRejected as exc:
        raise PermanentError(f"the payment gateway refused the charge: {exc}") from exc
    outcome = runtime.db.run_write(
        lambda s: payment_service.record_charge(
            s,
            payment_id=step.payment_id,
            result=result,
            now=utcnow(),
            captured_amount=step.charge.amount if step.action == "capture" else None,
        )
    )
    if outcome.declined:
        raise PermanentError(outcome.reason or f"payment {outcome.status}")


def process_payment(runtime: Runtime, *, order_id: str, **_: Any) -> None:
    """``payments.process``: charge the order, confirm it (or fail it), pay the vendors."""
    try:
        with runtime.db.write() as session:
            step = payment_service.start_charge(
                session, order_id=order_id, settings=runtime.settings, now=utcnow()
            )
    except NotFound as exc:
        raise PermanentError(str(exc)) from exc
    if step is not None:
        _run_charge(runtime, step)
    pay_transfers(runtime, order_id=order_id)


def capture_payment(runtime: Runtime, *, order_id: str, **_: Any) -> None:
    """``payments.capture`` (manual capture policy, at the first pickup): take the money."""
    with runtime.db.read() as session:
        step = payment_service.capture_step(session, order_id=order_id)
    if step is not None:
        _run_charge(runtime, step)
    pay_transfers(runtime, order_id=order_id)


def charge_adjustment(runtime: Runtime, *, payment_id: str, **_: Any) -> None:
    """``payments.charge``: an extra charge recorded by ``payment_service.charge_extra``."""
    with runtime.db.read() as session:
        step = payment_service.adjustment_step(session, payment_id=payment_id)
    if step is not None:
        _run_charge(runtime, step)
        pay_transfers(runtime, order_id=step.charge.order_id)


def pay_transfers(runtime: Runtime, *, order_id: str) -> None:
    """One transfer per vendor sub-order (key ``orderflow:transfer:<subOrderId>``), then any
    reversals that waited for it."""
    with runtime.db.read() as session:
        steps = payment_service.transfers_due(session, order_id=order_id)
    for step in steps:
        _pay_one(runtime, order_id, step)


def transfer_payouts(runtime: Runtime, *, order_id: str, **_: Any) -> None:
    """``payments.transfer``: the vendor transfers of a payment confirmed by a webhook."""
    pay_transfers(runtime, order_id=order_id)


def _pay_one(runtime: Runtime, order_id: str, step: TransferStep) -> None:
    gateway = gateway_for(runtime, step.gateway)
    try:
        moved = _remote(
            lambda: gateway.transfer(
                amount=step.amount,
                currency=step.currency,
                destination=step.destination,
                transfer_group=step.transfer_group,
                source_transaction=step.source_transaction,
                metadata={"orderId": order_id, "subOrderId": step.sub_order_id},
                idempotency_key=step.idempotency_key,
            )
        )
    except GatewayRejected as exc:
        message = str(exc)
        runtime.db.run_write(
            lambda s: payment_service.fail_transfer(
                s, transfer_id=step.transfer_id, message=message, now=utcnow()
            )
        )
        return
    reversals = runtime.db.run_write(
        lambda s: payment_service.record_transfer(
            s, transfer_id=step.transfer_id, moved=moved, now=utcnow()
        )
    )
    for reversal in reversals:
        _reverse_one(runtime, reversal)


def _reverse_one(runtime: Runtime, step: ReversalStep) -> None:
    gateway = gateway_for(runtime, step.gateway)
    moved = _remote(
        lambda: gateway.reverse_transfer(
            step.gateway_transfer_id,
            amount=step.amount,
            metadata={"reversalId": step.reversal_id},
            idempotency_key=step.idempotency_key,
        )
    )
    runtime.db.run_write(
        lambda s: refund_service.record_reversal(
            s, reversal_id=step.reversal_id, moved=moved, now=utcnow()
        )
    )


def refund_payment(runtime: Runtime, *, refund_id: str, **_: Any) -> None:
    """``payments.refund``: give a recorded refund back through the gateway, then make its
    transfer reversals (keys ``orderflow:refund:<id>``, ``orderflow:reversal:<id>``)."""
    with runtime.db.read() as session:
        step = refund_service.refund_step(session, refund_id=refund_id)
    if step is not None:
        gateway = gateway_for(runtime, step.gateway)
        try:
            moved = _remote(
                lambda: gateway.refund(
                    step.intent_id,
                    amount=step.amount,
                    metadata={"refundId": refund_id},
                    idempotency_key=step.idempotency_key,
                )
            )
        except GatewayRejected as exc:
            message = str(exc)
            runtime.db.run_write(
                lambda s: refund_service.fail_refund(
                    s, refund_id=refund_id, message=message, now=utcnow()
                )
            )
            raise PermanentError(f"the gateway refused refund {refund_id}: {message}") from exc
        runtime.db.run_write(
            lambda s: refund_service.record_refund(
                s, refund_id=refund_id, moved=moved, now=utcnow()
            )
        )
    with runtime.db.read() as session:
        reversals = refund_service.refund_reversals_due(session, refund_id=refund_id)
    for reversal in reversals:
        _reverse_one(runtime, reversal)


def void_payment(runtime: Runtime, *, payment_id: str, **_: Any) -> None:
    """``payments.void``: release an authorization already marked voided in our database."""
    with runtime.db.read() as session:
        payment = payment_service.get_payment(session, payment_id)
        if payment is None or payment.status != "voided" or not payment.payment_intent_id:
            return
        intent, name = payment.payment_intent_id, payment.gateway
    gateway = gateway_for(runtime, name)
    try:
        _remote(lambda: gateway.cancel(intent, idempotency_key=f"orderflow:void:{payment_id}"))
    except GatewayRejected:
        # Already cancelled (or captured and refunded meanwhile): nothing is held any more.
        return


def compensate_payment(runtime: Runtime, *, reason: str, order_id: str, **_: Any) -> None:
    """After the last failed attempt of ``payments.process``: give back anything taken and
    fail the order (cancel it, release its stock)."""

    def act(session: Session) -> None:
        now = utcnow()
        payment_service.void_or_refund_all(
            session, order_id=order_id, reason=f"payment failed: {reason}", now=now
        )
        order_service.fail(session, order_id, reason=f"payment failed: {reason}", now=now)

    runtime.db.run_write(act)


TASKS: dict[str, Callable[..., Any]] = {
    "payments.process": process_payment,
    "payments.capture": capture_payment,
    "payments.charge": charge_adjustment,
    "payments.refund": refund_payment,
    "payments.void": void_payment,
    "payments.transfer": transfer_payouts,
}
COMPENSATIONS: dict[str, Callable[..., Any]] = {"payments.process": compensate_payment}
