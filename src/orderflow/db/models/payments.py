"""Payments, vendor transfers, refunds, reversals, the double-entry ledger and gateway webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class Payment(Base):
    """One charge against the customer. ``kind``: initial | adjustment (extra charge)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("captured_amount <= amount", name="captured_within_amount"),
        CheckConstraint("refunded_amount <= captured_amount", name="refunded_within_captured"),
        Index("ix_payments_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(16), default="initial")
    gateway: Mapped[str] = mapped_column(String(16))
    # pending | requires_action | authorized | captured | partially_refunded | refunded
    # | failed | voided
    status: Mapped[str] = mapped_column(String(24), default="pending")
    amount: Mapped[int]
    captured_amount: Mapped[int] = mapped_column(default=0)
    refunded_amount: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method_id: Mapped[str] = mapped_column(String(128))
    payment_intent_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    # Adjustment payments: {"subOrderId": goods cents} (each vendor's fee applies; the rest of
    # the amount is delivery revenue). Empty for the initial payment (the sub-orders' splits).
    allocation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Transfer(Base):
    """A vendor payout for one sub-order (to its connected account, or the built-in ledger)."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("reversed_amount <= amount", name="reversed_within_amount"),
        Index("ix_transfers_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    sub_order_id: Mapped[str] = mapped_column(ForeignKey("sub_orders.id"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    destination: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int]
    reversed_amount: Mapped[int] = mapped_column(default=0)
    # pending | paid | failed | reversed | partially_reversed
    status: Mapped[str] = mapped_column(String(24), default="pending")
    gateway_transfer_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Refund(Base):
    """Money given back to the customer. ``reason_kind``: cancellation | modification | return
    | payment_failure | manual."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_refunds_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    reason_kind: Mapped[str] = mapped_column(String(24))
    # pending | succeeded | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gateway_refund_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # {"subOrderId": cents} share of this refund borne by each vendor (drives the reversals)
    allocation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TransferReversal(Base):
    __tablename__ = "transfer_reversals"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id"), index=True)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id"), index=True)
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    gateway_reversal_id: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LedgerEntry(Base):
    """One leg of a balanced double-entry transaction: the legs of ``txn_id`` sum to zero.

    ``amount`` is signed cents: positive = debit, negative = credit. Accounts are strings such as
    ``customer``, ``gateway_clearing``, ``platform_revenue``, ``vendor_payable:<vendorId>``,
    ``vendor_paid:<vendorId>``, ``delivery_revenue``.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_order", "order_id", "created_at"),
        Index("ix_ledger_entries_txn", "txn_id"),
        UniqueConstraint("txn_key", "account", "entry_no"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    txn_id: Mapped[str] = mapped_column(String(40))
    # Business key of the movement (e.g. ``capture:<paymentId>``): a movement is recorded once.
    txn_key: Mapped[str] = mapped_column(String(160))
    entry_no: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(120))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(Base):
    """A gateway webhook, stored once by its event id before it is handled."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="stripe")
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
