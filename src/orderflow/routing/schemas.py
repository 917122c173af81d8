"""Response shapes of the routing domain (the admin's view of a routing decision)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from orderflow.kit.money import Dollars
from orderflow.kit.schema import ApiResponse


class RoutedItem(ApiResponse):
    item_id: str
    line_id: str
    variant_id: str
    vendor_id: str
    quantity: int


class RoutedFulfillment(ApiResponse):
    id: str
    hub_id: str
    hub_name: str | None
    status: str
    distance_km: float
    estimated_processing_minutes: int
    estimated_delivery: datetime | None
    delivery_fee: Dollars
    cost: Dollars = Field(description="Fulfillment cost: courier leg plus handling at the hub")
    items: list[RoutedItem]
    routing: dict[str, Any] = Field(
        description="The stored shipment decision: allocations, score and its breakdown"
    )


class RoutingExplanation(ApiResponse):
    """Why an order ships from where it does: the stored decision and each shipment."""

    order_id: str
    display_id: str
    delivery_type: str
    consolidated_shipping: bool
    delivery_fee: Dollars
    estimated_delivery: datetime | None
    decision: dict[str, Any] | None = Field(
        description="The plan stored at placement: chosen hubs, why, weights and alternatives"
    )
    fulfillments: list[RoutedFulfillment]
