"""Payment rules: charge, capture, transfer, refund, reverse, and the ledger rows of each.

Nothing here calls a remote gateway inside a transaction. The jobs (payments/tasks.py) run a
flow as steps: a transaction that decides what to ask the gateway (``start_charge``,
``transfers_due`` ...), the gateway call with a deterministic idempotency key, and a
transaction that records the answer (``record_charge``, ``record_transfer`` ...) with a
conditional status update, so a replayed step changes nothing. The built-in gateway is local
(no network), so refunds and adjustment charges on it complete inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from orderflow.config import Settings
from orderflow.db.models import (
    Order,
    Payment,
    Refund,
    SubOrder,
    Transfer,
    WebhookEvent,
)
from orderflow.errors import NotFound, OrderflowError
from orderflow.kit.clock import as_utc
from orderflow.kit.ids import new_id
from orderflow.kit.money import bps_of, to_dollars
from orderflow.orders.service import order_service
from orderflow.payments import ledger
from orderflow.payments import repository as repo
from orderflow.payments.errors import InvalidRefund, InvalidWebhook
from orderflow.payments.gateway.base import Charge, ChargeResult, MoneyMoved
from orderflow.payments.gateway.builtin import BuiltinGateway
from orderflow.payments.refunds import (
    RefundOutcome,
    RefundStep,
    ReversalStep,
    post_void,
    refund_service,
)
from orderflow.payments.schemas import (
    ImbalanceOut,
    LedgerEntryOut,
    OrderLedger,
    RefundOut,
    WebhookReceipt,
)
from orderflow.workers.outbox import add_job

__all__ = [
    "ChargeOutcome",
    "ChargeStep",
    "PaymentService",
    "RefundOutcome",
    "RefundStep",
    "ReversalStep",
    "TransferStep",
    "payment_service",
]

OPEN_STATUSES = ("pending", "requires_action")
REFUNDABLE = ("captured", "partially_refunded")


@dataclass(frozen=True)
class ChargeStep:
    """What the charge step must ask the gateway: a new charge, or the state of a pending one."""

    payment_id: str
    gateway: str
    action: str  # "charge" | "retrieve" | "cancel_expired" | "capture"
    charge: Charge
    intent_id: str | None


@dataclass(frozen=True)
class ChargeOutcome:
    status: str
    declined: bool
    reason: str | None = None


@dataclass(frozen=True)
class TransferStep:
    transfer_id: str
    gateway: str
    sub_order_id: str
    amount: int
    currency: str
    destination: str | None
    transfer_group: str
    source_transaction: str | None
    idempotency_key: str


def transfer_group(order_id: str) -> str:
    return f"order_{order_id}"


def _payment_key(order_id: str) -> str:
    return f"payment:{order_id}"


class PaymentService:
    # ------------------------------------------------------------------ charging

    def start_charge(
        self, session: Session, *, order_id: str, settings: Settings, now: datetime
    ) -> ChargeStep | None:
        """Step 1 of ``payments.process``: create the order's payment once, or reload it.

        None when there is nothing to ask the gateway (paid, failed, or the order moved on).
        """
        order = repo.get_order(session, order_id)
        if order is None:
            raise NotFound(f"there is no order {order_id}")
        payment = repo.payment_by_key(session, _payment_key(order_id))
        if payment is None:
            if order.status != "pending":
                return None
            payment = repo.insert_payment(
                session,
                Payment(
                    id=new_id("pay"),
                    order_id=order_id,
                    kind="initial",
                    gateway=settings.payment_gateway,
                    status="pending",
                    amount=order.total_amount,
                    captured_amount=0,
                    refunded_amount=0,
                    currency=order.currency,
                    payment_method_id=order.payment_method_id,
                    idempotency_key=_payment_key(order_id),
                    created_at=now,
                    updated_at=now,
                ),
            ) or repo.payment_by_key(session, _payment_key(order_id))
            assert payment is not None
        if payment.status not in OPEN_STATUSES:
            return None
        charge = self._charge_of(
            session, order, payment, capture=settings.capture_policy == "automatic"
        )
        if payment.status == "requires_action" and payment.payment_intent_id:
            expired = as_utc(payment.created_at) + timedelta(
                seconds=settings.payment_action_timeout_seconds
            )
            action = "cancel_expired" if now >= expired else "retrieve"
            return ChargeStep(
                payment.id, payment.gateway, action, charge, payment.payment_intent_id
            )
        return ChargeStep(payment.id, payment.gateway, "charge", charge, payment.payment_intent_id)

    def _charge_of(
        self, session: Session, order: Order, payment: Payment, *, capture: bool
    ) -> Charge:
        vendor_ids = tuple(sorted({s.vendor_id for s in repo.sub_orders(session, order.id)}))
        key = "pi" if payment.kind == "initial" else "pi-adjustment"
        ident = order.id if payment.kind == "initial" else payment.id
        return Charge(
            order_id=order.id,
            customer_id=order.customer_id,
            vendor_ids=vendor_ids,
            amount=payment.amount,
            currency=payment.currency,
            payment_method_id=payment.payment_method_id,
            capture=capture or payment.kind != "initial",
            idempotency_key=f"orderflow:{key}:{ident}",
            transfer_group=transfer_group(order.id),
            description=f"Order {order.display_id}",
        )

    def record_charge(
        self,
        session: Session,
        *,
        payment_id: str,
        result: ChargeResult,
        now: datetime,
        captured_amount: int | None = None,
    ) -> ChargeOutcome:
        """Step 3: record the gateway's answer once (conditional update), with its ledger rows
        and the order's move (confirmed, or failed and cancelled)."""
        payment = repo.get_payment(session, payment_id)
        if payment is None:
            raise NotFound(f"there is no payment {payment_id}")
        order = repo.lock_order(session, payment.order_id)
        assert order is not None
        if payment.status not in (*OPEN_STATUSES, "authorized") or (
            payment.status == "authorized" and result.status != "captured"
        ):
            return ChargeOutcome(payment.status, payment.status == "failed")
        previous = payment.status
        values: dict[str, Any] = {"status": result.status, "updated_at": now}
        if result.intent_id:
            values["payment_intent_id"] = result.intent_id
        if result.charge_id:
            values["charge_id"] = result.charge_id
        if result.status == "captured":
            values["captured_amount"] = min(captured_amount or payment.amount, payment.amount)
        if result.status == "failed":
            values.update(failure_code=result.failure_code, failure_message=result.failure_message)
        if not repo.update_payment(session, payment.id, from_statuses=[previous], values=values):
            return ChargeOutcome(payment.status, payment.status == "failed")
        payment = repo.get_payment(session, payment_id)
        assert payment is not None
        if result.status == "authorized":
            self._post_authorization(session, payment, now=now)
        elif result.status == "captured":
            self._post_capture(session, payment, was_authorized=previous == "authorized", now=now)
        elif result.status in ("failed", "voided") and previous == "authorized":
            post_void(session, payment, now=now)
        if payment.kind != "initial":
            return ChargeOutcome(result.status, result.status == "failed")
        return self._move_order(session, order, payment, result, now=now)

    def _move_order(
        self,
        session: Session,
        order: Order,
        payment: Payment,
        result: ChargeResult,
        *,
        now: datetime,
    ) -> ChargeOutcome:
        status = result.status
        if status in ("captured", "authorized"):
            repo.set_order_payment(session, order.id, now=now, payment_status=status)
            if order.status == "pending":
                repo.set_order_payment(
                    session, order.id, now=now, pipeline_step="fulfil", pipeline_updated_at=now
                )
                order_service.transition(
                    session,
                    order.id,
                    to="confirmed",
                    event="order.confirmed",
                    now=now,
                    title="Order confirmed",
                    description="Payment was received; the hubs are preparing the order.",
                    data={"paymentStatus": status},
                )
                add_job(
                    session, "fulfillment.create", key=f"fulfillment:{order.id}", order_id=order.id
                )
            elif order.status == "cancelled":
                # Cancelled while the charge was in flight: give the money back at once.
                self.void_or_refund_all(
                    session, order_id=order.id, reason="order was cancelled during payment", now=now
                )
            return ChargeOutcome(status, False)
        if status == "requires_action":
            repo.set_order_payment(session, order.id, now=now, payment_status="requires_action")
            return ChargeOutcome(status, False)
        reason = (
            f"payment declined: {result.failure_message or result.failure_code or 'declined'}"
            if status == "failed"
            else "payment was not completed in time"
        )
        repo.set_order_payment(session, order.id, now=now, payment_status=status)
        order_service.fail(session, order.id, reason=reason, now=now)
        return ChargeOutcome(status, True, reason)

    def _post_authorization(self, session: Session, payment: Payment, *, now: datetime) -> None:
        ledger.post(
            session,
            order_id=payment.order_id,
            txn_key=f"authorize:{payment.id}",
            kind="authorization",
            legs=[("authorization_hold", payment.amount), ("customer_authorized", -payment.amount)],
            currency=payment.currency,
            now=now,
        )

    def _post_capture(
        self, session: Session, payment: Payment, *, was_authorized: bool, now: datetime
    ) -> None:
        amount = payment.captured_amount
        legs: list[tuple[str, int]] = [("gateway_clearing", amount), ("customer", -amount)]
        if was_authorized:
            # The whole hold is released, even when less than it was captured.
            legs += [
                ("customer_authorized", payment.amount),
                ("authorization_hold", -payment.amount),
            ]
        ledger.post(
            session,
            order_id=payment.order_id,
            txn_key=f"capture:{payment.id}",
            kind="capture",
            legs=legs,
            currency=payment.currency,
            now=now,
        )
        split_legs, transfers = self._split(session, payment)
        ledger.post(
            session,
            order_id=payment.order_id,
            txn_key=f"split:{payment.id}",
            kind="platform_fee",
            legs=[("customer", amount), *split_legs],
            currency=payment.currency,
            now=now,
            memo="the capture split into vendor payables, platform fees and delivery revenue",
        )
        accounts = repo.vendor_accounts(session, {s.vendor_id for s, _ in transfers})
        for sub, transfer_amount in transfers:
            if transfer_amount <= 0:
                continue
            suffix = sub.id if payment.kind == "initial" else f"{sub.id}:{payment.id}"
            session.add(
                Transfer(
                    id=new_id("tr"),
                    order_id=payment.order_id,
                    sub_order_id=sub.id,
                    payment_id=payment.id,
                    vendor_id=sub.vendor_id,
                    destination=accounts.get(sub.vendor_id),
                    amount=transfer_amount,
                    reversed_amount=0,
                    status="pending",
                    idempotency_key=f"transfer:{suffix}",
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()

    def _split(
        self, session: Session, payment: Payment
    ) -> tuple[list[tuple[str, int]], list[tuple[SubOrder, int]]]:
        """The credit legs of a capture and the transfer each sub-order is owed from it."""
        subs = repo.sub_orders(session, payment.order_id)
        legs: list[tuple[str, int]] = []
        transfers: list[tuple[SubOrder, int]] = []
        if payment.kind == "initial":
            # Sub-orders cancelled before the money was taken were taken out of the total.
            live = [s for s in subs if s.status != "cancelled"]
            for sub in live:
                legs.append((f"vendor_payable:{sub.vendor_id}", -sub.vendor_payout_amount))
                transfers.append((sub, sub.vendor_payout_amount))
            fees = sum(s.platform_fee_amount for s in live)
            payouts = sum(s.vendor_payout_amount for s in live)
            legs.append(("platform_revenue", -fees))
            # Delivery revenue is the rest (the sub-orders' delivery shares when nothing changed).
            legs.append(("delivery_revenue", -(payment.captured_amount - payouts - fees)))
            return legs, transfers
        goods = {k: int(v) for k, v in payment.allocation.items()}
        by_id = {s.id: s for s in subs}
        fee_total = 0
        for sub_id, goods_amount in goods.items():
            sub = by_id[sub_id]
            fee = _fee(goods_amount, sub.fee_bps)
            fee_total += fee
            legs.append((f"vendor_payable:{sub.vendor_id}", -(goods_amount - fee)))
            transfers.append((sub, goods_amount - fee))
        legs.append(("platform_revenue", -fee_total))
        legs.append(("delivery_revenue", -(payment.amount - sum(goods.values()))))
        return legs, transfers

    # ------------------------------------------------------------------ capture (manual policy)

    def capture_step(self, session: Session, *, order_id: str) -> ChargeStep | None:
        """The ``payments.capture`` step: the authorized payment to capture, if any."""
        payment = repo.payment_by_key(session, _payment_key(order_id))
        if payment is None or payment.status != "authorized" or not payment.payment_intent_id:
            return None
        order = repo.get_order(session, order_id)
        assert order is not None
        charge = self._charge_of(session, order, payment, capture=True)
        # A sub-order cancelled while only authorized came out of the total: capture less.
        charge = replace(charge, amount=min(payment.amount, order.total_amount))
        return ChargeStep(payment.id, payment.gateway, "capture", charge, payment.payment_intent_id)

    # ------------------------------------------------------------------ transfers

    def transfers_due(self, session: Session, *, order_id: str) -> list[TransferStep]:
        """Transfers recorded at capture and not yet made (each made once, by its key)."""
        steps = []
        payments = {p.id: p for p in repo.payments(session, order_id)}
        for t in repo.transfers(session, order_id):
            if t.status != "pending":
                continue
            payment = payments[t.payment_id]
            steps.append(
                TransferStep(
                    transfer_id=t.id,
                    gateway=payment.gateway,
                    sub_order_id=t.sub_order_id,
                    amount=t.amount,
                    currency=payment.currency,
                    destination=t.destination,
                    transfer_group=transfer_group(order_id),
                    source_transaction=payment.charge_id,
                    idempotency_key=f"orderflow:{t.idempotency_key}",
                )
            )
        return steps

    def record_transfer(
        self, session: Session, *, transfer_id: str, moved: MoneyMoved, now: datetime
    ) -> list[ReversalStep]:
        """Mark a transfer paid (once), post it, and return reversals that waited for it."""
        transfer = repo.get_transfer(session, transfer_id)
        assert transfer is not None
        if repo.update_transfer(
            session,
            transfer_id,
            from_status="pending",
            values={"status": "paid", "gateway_transfer_id": moved.id, "updated_at": now},
        ):
            ledger.post(
                session,
                order_id=transfer.order_id,
                txn_key=f"transfer:{transfer.id}",
                kind="vendor_transfer",
                legs=[
                    (f"vendor_paid:{transfer.vendor_id}", transfer.amount),
                    ("gateway_clearing", -transfer.amount),
                ],
                currency=repo.payment_currency(session, transfer.payment_id),
                now=now,
            )
        return refund_service.reversals_due(session, transfer_id=transfer_id)

    def fail_transfer(
        self, session: Session, *, transfer_id: str, message: str, now: datetime
    ) -> None:
        """The gateway refused a transfer (no connected account ...): kept for an operator."""
        repo.update_transfer(
            session,
            transfer_id,
            from_status="pending",
            values={"status": "failed", "failure_message": message, "updated_at": now},
        )

    # ------------------------------------------------------------------ adjustments

    def charge_extra(
        self,
        session: Session,
        *,
        order_id: str,
        amount: int,
        reason: str,
        now: datetime,
        allocation: Mapping[str, int] | None = None,
    ) -> Payment:
        """Charge the customer ``amount`` more (an order modification), on the order's card.

        ``allocation``: goods cents per sub-order in this amount (each vendor's fee applies);
        what is not allocated is delivery revenue. Built-in gateway: captured at once.
        Stripe: the ``payments.charge`` job (key ``charge:{paymentId}``) charges it after commit.
        """
        if amount <= 0:
            raise InvalidRefund("an extra charge must be a positive amount")
        order = repo.lock_order(session, order_id)
        if order is None:
            raise NotFound(f"there is no order {order_id}")
        goods = dict(allocation or {})
        known = {s.id for s in repo.sub_orders(session, order_id)}
        if set(goods) - known or any(v < 0 for v in goods.values()) or sum(goods.values()) > amount:
            raise InvalidRefund(
                "the allocation must name this order's sub-orders and fit in the amount"
            )
        initial = repo.payment_by_key(session, _payment_key(order_id))
        payment_id = new_id("pay")
        payment = Payment(
            id=payment_id,
            order_id=order_id,
            kind="adjustment",
            gateway=initial.gateway if initial else "builtin",
            status="pending",
            amount=amount,
            captured_amount=0,
            refunded_amount=0,
            currency=order.currency,
            payment_method_id=order.payment_method_id,
            idempotency_key=f"adjustment:{payment_id}",
            allocation=goods,
            created_at=now,
            updated_at=now,
        )
        session.add(payment)
        session.flush()
        if payment.gateway == "builtin":
            result = BuiltinGateway().charge(self._charge_of(session, order, payment, capture=True))
            self.record_charge(session, payment_id=payment.id, result=result, now=now)
            for step in self.transfers_due(session, order_id=order_id):
                self.record_transfer(
                    session,
                    transfer_id=step.transfer_id,
                    moved=BuiltinGateway().transfer(
                        amount=step.amount,
                        currency=step.currency,
                        destination=step.destination,
                        transfer_group=step.transfer_group,
                        source_transaction=step.source_transaction,
                        metadata={},
                        idempotency_key=step.idempotency_key,
                    ),
                    now=now,
                )
        else:
            add_job(
                session,
                "payments.charge",
                key=f"charge:{payment.id}",
                order_id=order_id,
                payment_id=payment.id,
            )
        refreshed = repo.get_payment(session, payment.id)
        assert refreshed is not None
        return refreshed

    def adjustment_step(self, session: Session, *, payment_id: str) -> ChargeStep | None:
        payment = repo.get_payment(session, payment_id)
        if payment is None or payment.status not in OPEN_STATUSES:
            return None
        order = repo.get_order(session, payment.order_id)
        assert order is not None
        charge = self._charge_of(session, order, payment, capture=True)
        return ChargeStep(payment.id, payment.gateway, "charge", charge, payment.payment_intent_id)

    # ------------------------------------------------------------------ webhooks

    def receive_webhook(
        self,
        session: Session,
        *,
        payload: bytes,
        signature: str | None,
        secret: str | None,
        now: datetime,
    ) -> WebhookReceipt:
        """Verify a Stripe webhook, store it once by event id, then handle it (a replay of a
        stored event changes nothing)."""
        from orderflow.payments.gateway.stripe import construct_event

        if not secret:
            raise InvalidWebhook(
                "Stripe webhooks are not configured (ORDERFLOW_STRIPE_WEBHOOK_SECRET)"
            )
        if not signature:
            raise InvalidWebhook("the Stripe-Signature header is missing")
        try:
            event = construct_event(payload, signature, secret)
        except ValueError as exc:
            raise InvalidWebhook(f"the webhook signature does not match: {exc}") from exc
        stored = repo.insert_webhook_event(
            session,
            WebhookEvent(
                id=str(event["id"]),
                source="stripe",
                type=str(event.get("type", "")),
                payload=event,
                received_at=now,
            ),
        )
        if not stored:
            return WebhookReceipt(received=True, duplicate=True)
        try:
            with session.begin_nested():
                note = self._handle_event(session, event, now=now)
        except OrderflowError as exc:
            # Kept with its error for an operator; answering 2xx stops Stripe's retries of an
            # event that can never apply (the order moved on).
            note = f"{exc.code}: {exc.detail}"
        repo.mark_webhook_handled(session, str(event["id"]), now=now, note=note)
        return WebhookReceipt(received=True, duplicate=False)

    def _handle_event(
        self, session: Session, event: Mapping[str, Any], *, now: datetime
    ) -> str | None:
        from orderflow.payments.gateway.stripe import intent_result

        kind = str(event.get("type", ""))
        obj = event.get("data", {}).get("object", {})
        if kind.startswith("payment_intent."):
            payment = repo.payment_by_intent(session, str(obj.get("id")))
            if payment is None:
                return "no payment has this payment intent"
            result = intent_result(obj)
            if result.status == "requires_action":
                return None
            outcome = self.record_charge(session, payment_id=payment.id, result=result, now=now)
            if outcome.status == "captured":
                add_job(
                    session,
                    "payments.transfer",
                    key=f"transfers:{payment.id}",
                    order_id=payment.order_id,
                )
            return None
        if kind == "charge.refunded":
            for data in obj.get("refunds", {}).get("data", []) or []:
                refund = repo.refund_by_gateway_id(session, str(data.get("id")))
                if refund is not None and refund.status == "pending":
                    refund_service.record_refund(
                        session,
                        refund_id=refund.id,
                        moved=MoneyMoved(refund.gateway_refund_id or ""),
                        now=now,
                    )
            return None
        # transfer.* and other events: our own jobs recorded them when they made the call.
        return "acknowledged"

    # ------------------------------------------------------------------ admin views

    def order_ledger(self, session: Session, *, order_id: str) -> OrderLedger:
        if repo.get_order(session, order_id) is None:
            raise NotFound(f"there is no order {order_id}")
        imbalances = ledger.check(session, order_id)
        return OrderLedger(
            order_id=order_id,
            balanced=not imbalances,
            imbalances=[
                ImbalanceOut(txn_key=i.txn_key, amount=to_dollars(i.amount)) for i in imbalances
            ],
            balances={
                a: to_dollars(v) for a, v in sorted(ledger.balances(session, order_id).items())
            },
            entries=[
                LedgerEntryOut(
                    id=e.id,
                    txn_id=e.txn_id,
                    txn_key=e.txn_key,
                    kind=e.kind,
                    account=e.account,
                    amount=to_dollars(e.amount),
                    currency=e.currency,
                    memo=e.memo,
                    created_at=e.created_at,
                )
                for e in ledger.entries(session, order_id)
            ],
        )

    # ------------------------------------------------------------------ refunds (refunds.py)

    def refund(
        self,
        session: Session,
        *,
        order_id: str,
        amount: int,
        allocation: Mapping[str, int] | None,
        reason: str,
        reason_kind: str,
        now: datetime,
    ) -> Refund:
        """See ``RefundService.refund``: give ``amount`` back, vendors reversing their share."""
        return refund_service.refund(
            session,
            order_id=order_id,
            amount=amount,
            allocation=allocation,
            reason=reason,
            reason_kind=reason_kind,
            now=now,
        )

    def void_or_refund_all(
        self, session: Session, *, order_id: str, reason: str, now: datetime
    ) -> RefundOutcome:
        """See ``RefundService.void_or_refund_all``: give back everything taken."""
        return refund_service.void_or_refund_all(session, order_id=order_id, reason=reason, now=now)

    def refundable_amount(self, session: Session, *, order_id: str) -> int:
        return refund_service.refundable_amount(session, order_id=order_id)

    def manual_refund(
        self,
        session: Session,
        *,
        order_id: str,
        amount: int,
        allocation: Mapping[str, int] | None,
        reason: str,
        now: datetime,
    ) -> RefundOut:
        return refund_service.manual_refund(
            session, order_id=order_id, amount=amount, allocation=allocation, reason=reason, now=now
        )

    # ------------------------------------------------------------------ reads

    def get_payment(self, session: Session, payment_id: str) -> Payment | None:
        return repo.get_payment(session, payment_id)

    def payment_of_intent(self, session: Session, intent_id: str) -> Payment | None:
        return repo.payment_by_intent(session, intent_id)


def _fee(amount: int, bps: int) -> int:
    return bps_of(amount, bps)


payment_service = PaymentService()
