"""Wire shapes of the analytics summary."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from orderflow.kit.schema import ApiResponse


class DeliveryTimes(ApiResponse):
    """Placement to delivery, in seconds, over the orders delivered in the period."""

    count: int
    p50_seconds: float | None
    p90_seconds: float | None


class HubCount(ApiResponse):
    hub_id: str
    orders: int


class VendorCount(ApiResponse):
    vendor_id: str
    orders: int


class AnalyticsSummary(ApiResponse):
    from_: datetime = Field(alias="from")
    to: datetime
    orders_placed: int
    orders_by_status: dict[str, int]
    delivery_times: DeliveryTimes
    per_hub: list[HubCount]
    per_vendor: list[VendorCount]
    cancelled: int
    cancellation_rate: float
