"""Request and response bodies of the payments endpoints (camelCase, money in dollars)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from orderflow.kit.money import Dollars
from orderflow.kit.schema import ApiModel, ApiResponse


class RefundCreation(ApiModel):
    amount: Dollars = Field(gt=Decimal(0), description="Dollars to give back to the customer")
    reason: str = Field(min_length=1, max_length=500)
    allocation: dict[str, Dollars] | None = Field(
        default=None,
        description="Dollars per sub-order id; default: in proportion to what is left on each",
    )


class RefundShareOut(ApiResponse):
    sub_order_id: str
    amount: Dollars
    vendor_reversal: Dollars
    fee_refunded: Dollars


class RefundOut(ApiResponse):
    id: str
    order_id: str
    payment_id: str
    amount: Dollars
    reason: str
    reason_kind: str
    status: str
    allocation: list[RefundShareOut]
    created_at: datetime


class LedgerEntryOut(ApiResponse):
    id: str
    txn_id: str
    txn_key: str
    kind: str
    account: str
    amount: Dollars = Field(description="Signed: a debit is positive, a credit negative")
    currency: str
    memo: str | None
    created_at: datetime


class ImbalanceOut(ApiResponse):
    txn_key: str | None
    amount: Dollars


class OrderLedger(ApiResponse):
    order_id: str
    balanced: bool
    imbalances: list[ImbalanceOut]
    balances: dict[str, Dollars]
    entries: list[LedgerEntryOut]


class WebhookReceipt(ApiResponse):
    received: bool
    duplicate: bool
