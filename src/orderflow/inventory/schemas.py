"""Stock level payloads: on-hand is set by admins, reserved is reported beside it."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from orderflow.db.models import StockLevel
from orderflow.kit.schema import ApiModel, ApiResponse


class StockLevelUpdate(ApiModel):
    quantity: Annotated[int, Field(ge=0, le=1_000_000_000, description="Units on hand")]


class StockLevelOut(ApiResponse):
    hub_id: str
    variant_id: str
    on_hand: int
    reserved: int
    available: int

    @classmethod
    def of(cls, level: StockLevel) -> StockLevelOut:
        return cls(
            hub_id=level.hub_id,
            variant_id=level.variant_id,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.on_hand - level.reserved,
        )
