"""Wire shapes of the orders domain: the seed's ``OrderCreation`` in, the ``Order`` document out.

Input schemas check types and sizes only (so a dry run can report every business problem at
once); the rules live in orders/validation.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from orderflow.kit.money import Dollars
from orderflow.kit.schema import ApiModel, ApiResponse
from orderflow.orders.state import FulfillmentStatus, OrderStatus

VendorType = Literal["brand", "distributor"]
DeliveryType = Literal["standard", "express", "scheduled"]

# Hard size caps against oversized input; settings.max_lines / max_line_quantity are the rules.
MAX_ITEMS = 500
MAX_QUANTITY = 1_000_000

ShortText = Field(max_length=200)


class Address(ApiModel):
    name: str | None = Field(default=None, max_length=200)
    line1: str = Field(max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(max_length=100)
    state: str = Field(max_length=32, description="Two-letter US state code, e.g. IL")
    postal_code: str = Field(max_length=16, description="ZIP (60606) or ZIP+4 (60606-1234)")
    country: str = Field(default="US", max_length=56)
    phone: str | None = Field(default=None, max_length=32)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)


class OrderItemIn(ApiModel):
    variant_id: str = Field(max_length=64)
    quantity: int = Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    price: Dollars
    vendor_id: str = Field(max_length=64)
    vendor_type: VendorType


class OrderCreation(ApiModel):
    customer_id: str = Field(min_length=1, max_length=128)
    shipping_address: Address
    billing_address: Address
    items: list[OrderItemIn] = Field(max_length=MAX_ITEMS)
    delivery_type: DeliveryType
    scheduled_delivery: AwareDatetime | None = None
    payment_method_id: str = Field(max_length=128)
    notes: str | None = Field(default=None, max_length=1000)
    age_verified: bool = Field(strict=True)


class ValidationIssue(ApiResponse):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ValidationResult(ApiResponse):
    valid: bool
    errors: list[ValidationIssue]
    warnings: list[ValidationIssue]


# ---------------------------------------------------------------- the Order document


class OrderItemOut(ApiResponse):
    id: str
    line_id: str
    variant_id: str
    sku: str
    title: str
    quantity: int
    price: Dollars
    vendor_id: str
    vendor_type: VendorType
    sub_order_id: str
    fulfillment_id: str | None
    hub_id: str | None
    age_restricted: bool
    returned_quantity: int
    status: str


class SubOrderOut(ApiResponse):
    id: str
    parent_order_id: str
    vendor_id: str
    vendor_type: VendorType
    item_ids: list[str]
    fulfillment_id: str | None
    status: str
    subtotal: Dollars
    fee_bps: int
    platform_fee: Dollars
    vendor_payout: Dollars
    delivery_fee_share: Dollars
    refunded_amount: Dollars


class FulfillmentOut(ApiResponse):
    id: str
    hub_id: str
    item_ids: list[str]
    status: str
    priority: str
    promised_at: datetime | None
    estimated_delivery: datetime | None
    delivery_fee: Dollars
    distance_km: float
    routing: dict[str, Any]
    courier_id: str | None


class PaymentSplitOut(ApiResponse):
    sub_order_id: str
    vendor_id: str
    vendor_type: VendorType
    subtotal: Dollars
    platform_fee: Dollars
    delivery_fee_share: Dollars
    vendor_payout: Dollars
    stripe_account_id: str | None = None


class PaymentOut(ApiResponse):
    status: str
    payment_intent_id: str | None
    splits: list[PaymentSplitOut]


class Order(ApiResponse):
    id: str
    display_id: str
    customer_id: str
    status: OrderStatus
    fulfillment_status: FulfillmentStatus
    delivery_type: DeliveryType
    scheduled_delivery: datetime | None
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    notes: str | None
    age_verified: bool
    items: list[OrderItemOut]
    sub_orders: list[SubOrderOut]
    fulfillments: list[FulfillmentOut]
    consolidated_shipping: bool
    subtotal: Dollars
    delivery_fee: Dollars
    total: Dollars
    refunded_amount: Dollars
    currency: str
    estimated_delivery: datetime | None
    payment: PaymentOut
    cancel_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class OrderEvent(ApiResponse):
    id: str
    sequence: int
    event: str
    timestamp: datetime
    title: str
    description: str
    data: dict[str, Any]

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        from orderflow.kit.clock import as_utc

        return as_utc(value)
