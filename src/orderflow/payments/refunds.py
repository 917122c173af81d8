"""Refunds, voids and transfer reversals: giving money back, with vendors giving back theirs.

``refund`` records everything in the caller's transaction: the refund row(s), the per-sub-order
allocation (customer share, vendor share, fee given back; see payments/splits.py), one pending
reversal per vendor transfer, and the ledger rows. On the built-in gateway it completes at once;
on Stripe the ``payments.refund`` job (key ``refund:{refundId}``) calls the API after commit with
keys ``orderflow:refund:<refundId>`` and ``orderflow:reversal:<reversalId>``. A reversal waits
for its transfer to be made (``reversals_due``), so a vendor never gives back more than it got.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from orderflow.db.models import Order, Payment, Refund, Transfer, TransferReversal
from orderflow.errors import NotFound
from orderflow.kit.ids import new_id
from orderflow.kit.money import to_dollars
from orderflow.payments import ledger
from orderflow.payments import repository as repo
from orderflow.payments.errors import InvalidRefund, RefundExceedsCaptured
from orderflow.payments.gateway.base import MoneyMoved
from orderflow.payments.gateway.builtin import BuiltinGateway
from orderflow.payments.schemas import RefundOut, RefundShareOut
from orderflow.payments.splits import RefundExceedsRemaining, RefundState, allocate_refund
from orderflow.tracking.repository import append_event
from orderflow.workers.outbox import add_job

REFUNDABLE = ("captured", "partially_refunded")


@dataclass(frozen=True)
class RefundStep:
    refund_id: str
    gateway: str
    intent_id: str
    amount: int
    idempotency_key: str


@dataclass(frozen=True)
class ReversalStep:
    reversal_id: str
    gateway: str
    gateway_transfer_id: str
    amount: int
    idempotency_key: str


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: str | None
    amount: int


def post_void(session: Session, payment: Payment, *, now: datetime) -> None:
    """Release an authorization hold in the ledger (once per payment)."""
    ledger.post(
        session,
        order_id=payment.order_id,
        txn_key=f"void:{payment.id}",
        kind="void",
        legs=[("customer_authorized", payment.amount), ("authorization_hold", -payment.amount)],
        currency=payment.currency,
        now=now,
    )


class RefundService:
    def refundable_amount(self, session: Session, *, order_id: str) -> int:
        return sum(
            p.captured_amount - p.refunded_amount
            for p in repo.payments(session, order_id)
            if p.status in REFUNDABLE
        )

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
        """Give ``amount`` back to the customer, in the caller's transaction.

        ``allocation`` says how much of it belongs to each sub-order (default: in proportion to
        what is left on each). Vendors give back their share of the goods through transfer
        reversals. Built-in gateway: done at once. Stripe: recorded now (refund, reversals,
        ledger) and completed by the ``payments.refund`` job after commit. Returns the refund
        (the first one when the money came from several payments).
        """
        if amount <= 0:
            raise InvalidRefund("a refund must be a positive amount")
        order = repo.lock_order(session, order_id)
        if order is None:
            raise NotFound(f"there is no order {order_id}")
        payments = [p for p in repo.payments(session, order_id) if p.status in REFUNDABLE]
        available = sum(p.captured_amount - p.refunded_amount for p in payments)
        if amount > available:
            raise RefundExceedsCaptured(
                f"a refund of {amount} cents is more than the {available} cents captured and not "
                "yet refunded",
                extra={"refundableAmount": available, "requestedAmount": amount},
            )
        states = self._refund_states(session, order_id)
        try:
            total_shares = allocate_refund(amount, list(states.values()), allocation=allocation)
        except RefundExceedsRemaining as exc:
            raise RefundExceedsCaptured(str(exc)) from exc
        except ValueError as exc:
            raise InvalidRefund(str(exc)) from exc
        wanted = {sub_id: share.customer_refund_amount for sub_id, share in total_shares.items()}
        created: list[Refund] = []
        left = amount
        for payment in payments:
            if left == 0:
                break
            part = min(left, payment.captured_amount - payment.refunded_amount)
            if part <= 0:
                continue
            part_allocation = _take(wanted, part)
            shares = allocate_refund(part, list(states.values()), allocation=part_allocation)
            created.append(
                self._record_refund(
                    session,
                    order,
                    payment,
                    part,
                    shares,
                    reason=reason,
                    reason_kind=reason_kind,
                    now=now,
                )
            )
            states = self._refund_states(session, order_id)
            left -= part
        return created[0]

    def _refund_states(self, session: Session, order_id: str) -> dict[str, RefundState]:
        vendor_back: dict[str, int] = {}
        fee_back: dict[str, int] = {}
        for refund in repo.refunds(session, order_id):
            if refund.status == "failed":
                continue
            for sub_id, part in refund.allocation.items():
                vendor_back[sub_id] = vendor_back.get(sub_id, 0) + int(part["vendor"])
                fee_back[sub_id] = fee_back.get(sub_id, 0) + int(part["fee"])
        return {
            s.id: RefundState(
                sub_order_id=s.id,
                vendor_payout_amount=s.vendor_payout_amount,
                platform_fee_amount=s.platform_fee_amount,
                delivery_fee_share_amount=s.delivery_fee_share_amount,
                refunded_amount=s.refunded_amount,
                vendor_refunded_amount=vendor_back.get(s.id, 0),
                fee_refunded_amount=fee_back.get(s.id, 0),
            )
            for s in repo.sub_orders(session, order_id)
        }

    def _record_refund(
        self,
        session: Session,
        order: Order,
        payment: Payment,
        amount: int,
        shares: Mapping[str, Any],
        *,
        reason: str,
        reason_kind: str,
        now: datetime,
    ) -> Refund:
        if not repo.add_refunded(session, payment.id, amount, now=now):
            raise RefundExceedsCaptured("another refund took this money first; try again")
        refund_id = new_id("re")
        subs = {s.id: s for s in repo.sub_orders(session, order.id)}
        allocation = {
            sub_id: {
                "amount": share.customer_refund_amount,
                "vendor": share.transfer_reversal_amount,
                "fee": share.fee_refunded_amount,
            }
            for sub_id, share in shares.items()
            if share.customer_refund_amount > 0
        }
        refund = Refund(
            id=refund_id,
            order_id=order.id,
            payment_id=payment.id,
            amount=amount,
            reason=reason,
            reason_kind=reason_kind,
            status="pending",
            idempotency_key=f"refund:{refund_id}",
            allocation=allocation,
            created_at=now,
            updated_at=now,
        )
        session.add(refund)
        session.flush()
        legs: list[tuple[str, int]] = [("gateway_clearing", -amount)]
        fee = delivery = 0
        for sub_id, part in allocation.items():
            repo.add_sub_order_refunded(session, sub_id, part["amount"], now)
            legs.append((f"vendor_payable:{subs[sub_id].vendor_id}", part["vendor"]))
            fee += part["fee"]
            delivery += part["amount"] - part["vendor"] - part["fee"]
        legs += [("platform_revenue", fee), ("delivery_revenue", delivery)]
        ledger.post(
            session,
            order_id=order.id,
            txn_key=f"refund:{refund_id}",
            kind="refund",
            legs=legs,
            currency=payment.currency,
            now=now,
            memo=reason,
        )
        self._plan_reversals(session, refund, now=now)
        refreshed = repo.get_payment(session, payment.id)
        assert refreshed is not None
        status = (
            "refunded"
            if refreshed.refunded_amount >= refreshed.captured_amount
            else "partially_refunded"
        )
        repo.update_payment(
            session,
            payment.id,
            from_statuses=REFUNDABLE,
            values={"status": status, "updated_at": now},
        )
        if payment.kind == "initial":
            repo.set_order_payment(session, order.id, now=now, payment_status=status)
        if payment.gateway == "builtin":
            self._complete_locally(session, refund, now=now)
        else:
            add_job(
                session,
                "payments.refund",
                key=f"refund:{refund.id}",
                order_id=order.id,
                refund_id=refund.id,
            )
        return refund

    def _plan_reversals(self, session: Session, refund: Refund, *, now: datetime) -> None:
        """Pending reversals for each vendor's share, from its transfers oldest first (the
        initial payout, then adjustments'), never more than a transfer has left."""
        by_sub: dict[str, list[Transfer]] = {}
        for transfer in repo.transfers(session, refund.order_id):
            if transfer.status != "failed":
                by_sub.setdefault(transfer.sub_order_id, []).append(transfer)
        for sub_id, part in refund.allocation.items():
            vendor_share = int(part["vendor"])
            for transfer in by_sub.get(sub_id, []):
                if vendor_share <= 0:
                    break
                pending = sum(r.amount for r in repo.pending_reversals(session, transfer.id))
                amount = min(vendor_share, transfer.amount - transfer.reversed_amount - pending)
                if amount <= 0:
                    continue
                vendor_share -= amount
                reversal_id = new_id("trr")
                session.add(
                    TransferReversal(
                        id=reversal_id,
                        transfer_id=transfer.id,
                        refund_id=refund.id,
                        amount=amount,
                        status="pending",
                        idempotency_key=f"reversal:{reversal_id}",
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.flush()

    def _complete_locally(self, session: Session, refund: Refund, *, now: datetime) -> None:
        gateway = BuiltinGateway()
        payment = repo.get_payment(session, refund.payment_id)
        assert payment is not None
        moved = gateway.refund(
            payment.payment_intent_id or "",
            amount=refund.amount,
            metadata={},
            idempotency_key=f"orderflow:refund:{refund.id}",
        )
        self.record_refund(session, refund_id=refund.id, moved=moved, now=now)
        for step in self.refund_reversals_due(session, refund_id=refund.id):
            self.record_reversal(
                session,
                reversal_id=step.reversal_id,
                moved=gateway.reverse_transfer(
                    step.gateway_transfer_id,
                    amount=step.amount,
                    metadata={},
                    idempotency_key=step.idempotency_key,
                ),
                now=now,
            )

    def refund_step(self, session: Session, *, refund_id: str) -> RefundStep | None:
        refund = repo.get_refund(session, refund_id)
        if refund is None or refund.status != "pending":
            return None
        payment = repo.get_payment(session, refund.payment_id)
        assert payment is not None and payment.payment_intent_id is not None
        return RefundStep(
            refund.id,
            payment.gateway,
            payment.payment_intent_id,
            refund.amount,
            f"orderflow:{refund.idempotency_key}",
        )

    def record_refund(
        self, session: Session, *, refund_id: str, moved: MoneyMoved, now: datetime
    ) -> None:
        """The gateway gave the money back: mark the refund succeeded once."""
        refund = repo.get_refund(session, refund_id)
        assert refund is not None
        if moved.status == "failed":
            self.fail_refund(
                session, refund_id=refund_id, message="the gateway refused the refund", now=now
            )
            return
        if repo.update_refund(
            session,
            refund_id,
            from_status="pending",
            values={"status": "succeeded", "gateway_refund_id": moved.id, "updated_at": now},
        ):
            repo.add_order_refunded(session, refund.order_id, refund.amount, now=now)

    def refund_reversals_due(self, session: Session, *, refund_id: str) -> list[ReversalStep]:
        steps = []
        for reversal in repo.reversals_of_refund(session, refund_id):
            if reversal.status != "pending":
                continue
            transfer = repo.get_transfer(session, reversal.transfer_id)
            if (
                transfer is None
                or transfer.gateway_transfer_id is None
                or transfer.status == "pending"
            ):
                continue  # made when the transfer is (see record_transfer)
            steps.append(
                ReversalStep(
                    reversal.id,
                    repo.payment_gateway(session, transfer.payment_id),
                    transfer.gateway_transfer_id,
                    reversal.amount,
                    f"orderflow:{reversal.idempotency_key}",
                )
            )
        return steps

    def fail_refund(self, session: Session, *, refund_id: str, message: str, now: datetime) -> None:
        """The gateway refused a refund for good: undo what ``refund`` recorded."""
        refund = repo.get_refund(session, refund_id)
        assert refund is not None
        if not repo.update_refund(
            session,
            refund_id,
            from_status="pending",
            values={"status": "failed", "updated_at": now},
        ):
            return
        payment = repo.get_payment(session, refund.payment_id)
        assert payment is not None
        repo.add_refunded(session, payment.id, -refund.amount, now=now)
        refreshed = repo.get_payment(session, payment.id)
        assert refreshed is not None
        status = "captured" if refreshed.refunded_amount == 0 else "partially_refunded"
        repo.update_payment(
            session,
            payment.id,
            from_statuses=("refunded", "partially_refunded"),
            values={"status": status},
        )
        if payment.kind == "initial":
            repo.set_order_payment(session, refund.order_id, now=now, payment_status=status)
        subs = {s.id: s for s in repo.sub_orders(session, refund.order_id)}
        legs: list[tuple[str, int]] = [("gateway_clearing", refund.amount)]
        fee = delivery = 0
        for sub_id, part in refund.allocation.items():
            repo.add_sub_order_refunded(session, sub_id, -part["amount"], now)
            legs.append((f"vendor_payable:{subs[sub_id].vendor_id}", -part["vendor"]))
            fee += part["fee"]
            delivery += part["amount"] - part["vendor"] - part["fee"]
        legs += [("platform_revenue", -fee), ("delivery_revenue", -delivery)]
        ledger.post(
            session,
            order_id=refund.order_id,
            txn_key=f"refund_failed:{refund.id}",
            kind="refund_failed",
            legs=legs,
            currency=payment.currency,
            now=now,
            memo=message,
        )
        for reversal in repo.reversals_of_refund(session, refund_id):
            repo.update_reversal(
                session,
                reversal.id,
                from_status="pending",
                values={"status": "cancelled", "updated_at": now},
            )

    def void_or_refund_all(
        self, session: Session, *, order_id: str, reason: str, now: datetime
    ) -> RefundOutcome:
        """Give back everything: void an uncaptured authorization, refund all captured money
        (vendors reverse their transfers in proportion). Nothing taken: ``(None, 0)``."""
        first: str | None = None
        total = 0
        for payment in repo.payments(session, order_id):
            if payment.status in ("authorized", "requires_action", "pending"):
                self._void(session, payment, now=now)
            elif payment.status in REFUNDABLE:
                left = payment.captured_amount - payment.refunded_amount
                if left <= 0:
                    continue
                order = repo.lock_order(session, order_id)
                assert order is not None
                states = self._refund_states(session, order_id)
                shares = allocate_refund(left, list(states.values()))
                refund = self._record_refund(
                    session,
                    order,
                    payment,
                    left,
                    shares,
                    reason=reason,
                    reason_kind="cancellation",
                    now=now,
                )
                first = first or refund.id
                total += left
        return RefundOutcome(first, total)

    def _void(self, session: Session, payment: Payment, *, now: datetime) -> None:
        previous = payment.status
        if not repo.update_payment(
            session,
            payment.id,
            from_statuses=[previous],
            values={"status": "voided", "updated_at": now},
        ):
            return
        if previous == "authorized":
            post_void(session, payment, now=now)
        if payment.kind == "initial":
            repo.set_order_payment(session, payment.order_id, now=now, payment_status="voided")
        if payment.gateway != "builtin" and payment.payment_intent_id:
            add_job(
                session,
                "payments.void",
                key=f"void:{payment.id}",
                order_id=payment.order_id,
                payment_id=payment.id,
            )

    def reversals_due(self, session: Session, *, transfer_id: str) -> list[ReversalStep]:
        transfer = repo.get_transfer(session, transfer_id)
        if transfer is None or transfer.status not in ("paid", "partially_reversed"):
            return []
        assert transfer.gateway_transfer_id is not None
        return [
            ReversalStep(
                r.id,
                repo.payment_gateway(session, transfer.payment_id),
                transfer.gateway_transfer_id,
                r.amount,
                f"orderflow:{r.idempotency_key}",
            )
            for r in repo.pending_reversals(session, transfer_id)
        ]

    def record_reversal(
        self, session: Session, *, reversal_id: str, moved: MoneyMoved, now: datetime
    ) -> None:
        reversal = session.get(TransferReversal, reversal_id, populate_existing=True)
        assert reversal is not None
        if not repo.update_reversal(
            session,
            reversal_id,
            from_status="pending",
            values={"status": "succeeded", "gateway_reversal_id": moved.id, "updated_at": now},
        ):
            return
        transfer = repo.get_transfer(session, reversal.transfer_id)
        assert transfer is not None
        repo.add_reversed(session, transfer.id, reversal.amount, now=now)
        transfer = repo.get_transfer(session, transfer.id)
        assert transfer is not None
        status = "reversed" if transfer.reversed_amount >= transfer.amount else "partially_reversed"
        repo.update_transfer(
            session, transfer.id, from_status=transfer.status, values={"status": status}
        )
        ledger.post(
            session,
            order_id=transfer.order_id,
            txn_key=f"reversal:{reversal.id}",
            kind="transfer_reversal",
            legs=[
                ("gateway_clearing", reversal.amount),
                (f"vendor_paid:{transfer.vendor_id}", -reversal.amount),
            ],
            currency=repo.payment_currency(session, transfer.payment_id),
            now=now,
        )

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
        """An operator's refund (``POST /v1/orders/{orderId}/refunds``), announced as
        ``order.refunded``."""
        refund = self.refund(
            session,
            order_id=order_id,
            amount=amount,
            allocation=allocation,
            reason=reason,
            reason_kind="manual",
            now=now,
        )
        append_event(
            session,
            order_id=order_id,
            event="order.refunded",
            title="Refund issued",
            description=reason,
            data={"refundId": refund.id, "amount": str(to_dollars(amount)), "reason": reason},
            now=now,
        )
        return _refund_out(refund)


def _refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.id,
        order_id=refund.order_id,
        payment_id=refund.payment_id,
        amount=to_dollars(refund.amount),
        reason=refund.reason,
        reason_kind=refund.reason_kind,
        status=refund.status,
        allocation=[
            RefundShareOut(
                sub_order_id=sub_id,
                amount=to_dollars(int(part["amount"])),
                vendor_reversal=to_dollars(int(part["vendor"])),
                fee_refunded=to_dollars(int(part["fee"])),
            )
            for sub_id, part in refund.allocation.items()
        ],
        created_at=refund.created_at,
    )


def _take(wanted: dict[str, int], amount: int) -> dict[str, int]:
    """Take ``amount`` from the per-sub-order amounts still ``wanted`` (in order)."""
    taken: dict[str, int] = {}
    for sub_id in list(wanted):
        if amount == 0:
            break
        part = min(wanted[sub_id], amount)
        if part > 0:
            taken[sub_id] = part
            wanted[sub_id] -= part
            amount -= part
    return taken


refund_service = RefundService()
