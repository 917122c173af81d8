"""Request and response bodies of the fulfillment endpoints (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from orderflow.kit.schema import ApiModel, ApiResponse

Step = Literal["processing", "packed", "picked_up", "in_transit", "out_for_delivery", "delivered"]


class TransitionRequest(ApiModel):
    to: Step = Field(description="The next step of the fulfillment.")
    courier_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The courier taking the parcel; required with `picked_up` (hub or admin).",
    )
    id_verified: bool | None = Field(
        default=None,
        description=(
            "With `delivered`: whether the courier checked the recipient's ID. Required when "
            "the parcel holds an age-restricted item; `false` returns the parcel to the hub."
        ),
    )


class LocationUpdate(ApiModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class CourierLocation(ApiResponse):
    lat: float
    lng: float
    at: datetime


class FulfillmentItem(ApiResponse):
    id: str
    variant_id: str
    sku: str
    title: str
    quantity: int
    returned_quantity: int
    age_restricted: bool
    status: str


class Fulfillment(ApiResponse):
    id: str
    order_id: str
    display_id: str
    hub_id: str
    status: str
    priority: str
    promised_at: datetime | None
    estimated_processing_minutes: int
    estimated_delivery: datetime | None
    delivery_type: str
    shipping_address: dict[str, Any]
    courier_id: str | None
    location: CourierLocation | None
    stock_consumed: bool
    id_verified: bool | None
    age_restricted: bool
    items: list[FulfillmentItem]
    allowed_steps: list[str] = Field(description="The steps this fulfillment may take next.")
    order_status: str
    order_fulfillment_status: str
    hub_notified_at: datetime | None
    created_at: datetime
    updated_at: datetime
