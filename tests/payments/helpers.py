"""Reading payment state back for assertions."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderflow.db.models import (
    Order,
    OutboxMessage,
    Payment,
    Refund,
    Transfer,
    TransferReversal,
    WebhookEvent,
)
from orderflow.db.session import Database
from orderflow.payments import ledger

T = TypeVar("T")


def _detached(s: Session, rows: list[T]) -> list[T]:
    s.expunge_all()  # before the read's rollback expires them
    return rows


def order(db: Database, order_id: str) -> Order:
    with db.read() as s:
        row = s.get(Order, order_id)
        assert row is not None
        return _detached(s, [row])[0]


def payments(db: Database, order_id: str) -> list[Payment]:
    with db.read() as s:
        return _detached(s, list(s.scalars(select(Payment).where(Payment.order_id == order_id))))


def transfers(db: Database, order_id: str) -> list[Transfer]:
    with db.read() as s:
        return _detached(
            s,
            list(
                s.scalars(
                    select(Transfer).where(Transfer.order_id == order_id).order_by(Transfer.id)
                )
            ),
        )


def refunds(db: Database, order_id: str) -> list[Refund]:
    with db.read() as s:
        return _detached(s, list(s.scalars(select(Refund).where(Refund.order_id == order_id))))


def reversals(db: Database, order_id: str) -> list[TransferReversal]:
    with db.read() as s:
        return _detached(
            s,
            list(
                s.scalars(
                    select(TransferReversal)
                    .join(Transfer, Transfer.id == TransferReversal.transfer_id)
                    .where(Transfer.order_id == order_id)
                )
            ),
        )


def jobs(db: Database, function: str) -> list[OutboxMessage]:
    with db.read() as s:
        return _detached(
            s,
            list(
                s.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.kind == "job", OutboxMessage.topic == function
                    )
                )
            ),
        )


def webhook_events(db: Database) -> list[WebhookEvent]:
    with db.read() as s:
        return _detached(s, list(s.scalars(select(WebhookEvent))))


def balances(db: Database, order_id: str) -> dict[str, int]:
    with db.read() as s:
        return {k: v for k, v in ledger.balances(s, order_id).items() if v != 0}


def imbalances(db: Database, order_id: str | None = None) -> list[ledger.Imbalance]:
    with db.read() as s:
        return ledger.check(s, order_id)
