"""The double-entry ledger: every money movement is a balanced set of signed legs.

``amount`` is signed cents: a debit is positive, a credit negative; the legs of one movement sum
to zero. A movement has a business key (``capture:<paymentId>``) and is written at most once.
Accounts (docs/payments.md):

``authorization_hold`` / ``customer_authorized``  funds held on the card, not yet taken
``gateway_clearing``        money on the platform's gateway balance
``customer``                what the customer paid for the order (cleared by the split)
``platform_revenue``        platform fees
``delivery_revenue``        delivery fees
``vendor_payable:<id>``     what a vendor has earned (credit), less its share of refunds
``vendor_paid:<id>``        what has been sent to a vendor's account (debit), less reversals;
                            ``vendor_payable + vendor_paid`` is what the platform still owes
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderflow.db.models import LedgerEntry
from orderflow.kit.ids import new_id


class UnbalancedTransaction(ValueError):
    """The legs of a movement do not sum to zero (a programming error, never user input)."""


@dataclass(frozen=True)
class Imbalance:
    order_id: str
    txn_key: str | None
    amount: int


def post(
    session: Session,
    *,
    order_id: str,
    txn_key: str,
    kind: str,
    legs: Sequence[tuple[str, int]],
    currency: str,
    now: datetime,
    memo: str | None = None,
) -> bool:
    """Write the movement ``txn_key`` once; False (and nothing written) if it already exists."""
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedTransaction(f"{txn_key}: legs {list(legs)} do not sum to zero")
    exists = session.scalar(select(LedgerEntry.id).where(LedgerEntry.txn_key == txn_key).limit(1))
    if exists is not None:
        return False
    txn_id = new_id("txn")
    for entry_no, (account, amount) in enumerate(legs):
        if amount == 0:
            continue
        session.add(
            LedgerEntry(
                id=new_id("led"),
                order_id=order_id,
                txn_id=txn_id,
                txn_key=txn_key,
                entry_no=entry_no,
                kind=kind,
                account=account,
                amount=amount,
                currency=currency,
                memo=memo,
                created_at=now,
            )
        )
    session.flush()
    return True


def entries(session: Session, order_id: str) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.order_id == order_id)
            .order_by(LedgerEntry.created_at, LedgerEntry.txn_id, LedgerEntry.entry_no)
        )
    )


def balances(session: Session, order_id: str) -> dict[str, int]:
    """The balance of every account touched by an order."""
    rows = session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.order_id == order_id)
        .group_by(LedgerEntry.account)
    )
    return {account: int(total) for account, total in rows}


def check(
    session: Session, order_id: str | None = None, *, order_ids: Sequence[str] | None = None
) -> list[Imbalance]:
    """Every movement (and so every order) whose legs do not sum to zero."""
    stmt = select(LedgerEntry.order_id, LedgerEntry.txn_key, func.sum(LedgerEntry.amount)).group_by(
        LedgerEntry.order_id, LedgerEntry.txn_key
    )
    if order_id is not None:
        stmt = stmt.where(LedgerEntry.order_id == order_id)
    if order_ids is not None:
        stmt = stmt.where(LedgerEntry.order_id.in_(list(order_ids)))
    stmt = stmt.having(func.sum(LedgerEntry.amount) != 0)
    return [Imbalance(o, k, int(total)) for o, k, total in session.execute(stmt)]


def order_ids(session: Session) -> list[str]:
    return list(session.scalars(select(LedgerEntry.order_id).distinct().order_by("order_id")))
