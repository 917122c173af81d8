"""Wire shapes of cancellations, modifications (change sets) and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from orderflow.kit.money import Dollars
from orderflow.kit.schema import ApiModel, ApiResponse
from orderflow.orders.schemas import Address, Order

MAX_MODIFICATIONS = 50
MAX_RETURN_ITEMS = 100

Reason = Field(min_length=1, max_length=500, description="Why; shown to the customer and hubs")


# ---------------------------------------------------------------- cancel


class CancelRequest(ApiModel):
    reason: str = Reason


class CancellationResult(ApiResponse):
    """The seed's ``CancellationResult``. ``refundId`` is null when nothing had been captured
    (the authorization was voided, or the order was never paid)."""

    success: bool
    refund_id: str | None
    refund_amount: Dollars
    voided: bool = Field(default=False, description="An uncaptured authorization was released")
    order_status: str


# ---------------------------------------------------------------- modifications


class OrderModification(ApiModel):
    """The seed's ``OrderModification``. ``add_item`` also needs ``variantId`` (an extension:
    the seed has no field naming what to add); ``quantity`` is then the units to add."""

    type: Literal["add_item", "remove_item", "update_quantity", "change_address"]
    item_id: str | None = Field(default=None, max_length=64)
    variant_id: str | None = Field(default=None, max_length=64)
    quantity: int | None = Field(default=None, strict=True, ge=0, le=1_000_000)
    new_address: Address | None = None
    reason: str = Reason


class ModificationRequest(ApiModel):
    modifications: list[OrderModification] = Field(min_length=1, max_length=MAX_MODIFICATIONS)


class Adjustment(ApiResponse):
    """One consequence of a change set: stock held or released, a reroute, money moved."""

    kind: Literal[
        "stock_held", "stock_released", "rerouted", "totals", "refund", "extra_charge", "note"
    ]
    description: str
    amount: Dollars | None = None
    sub_order_id: str | None = None
    variant_id: str | None = None
    hub_id: str | None = None
    quantity: int | None = None
    refund_id: str | None = None
    payment_id: str | None = None
    data: dict[str, Any] | None = None


class ModificationResult(ApiResponse):
    """The seed's ``ModificationResult``. With ``?preview=true`` nothing is stored and
    ``modifiedOrder`` is the order as it would be."""

    success: bool
    preview: bool
    version: int
    modified_order: Order
    adjustments: list[Adjustment]


class OrderVersionOut(ApiResponse):
    version: int
    modifications: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    snapshot: dict[str, Any]
    created_by: str
    created_at: datetime


# ---------------------------------------------------------------- returns


class ReturnItemIn(ApiModel):
    item_id: str = Field(max_length=64)
    quantity: int = Field(strict=True, ge=1, le=1_000_000)


class ReturnRequest(ApiModel):
    items: list[ReturnItemIn] = Field(min_length=1, max_length=MAX_RETURN_ITEMS)
    reason: str = Reason
    restock: bool = Field(
        default=False, description="Put the returned units back on the receiving hub's shelf"
    )


class ReturnItemOut(ApiResponse):
    item_id: str
    quantity: int
    refund_amount: Dollars


class ReturnOut(ApiResponse):
    id: str
    order_id: str
    reason: str
    status: str
    restock: bool
    items: list[ReturnItemOut]
    refund_id: str | None
    refund_amount: Dollars
    order_status: str
    fulfillment_status: str
    created_at: datetime
