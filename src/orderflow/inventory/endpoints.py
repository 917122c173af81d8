"""HTTP endpoints of the inventory domain: stock counts per hub and variant.

Admins set on-hand; admins and the hub itself read it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from orderflow.api.deps import Db
from orderflow.auth.dependencies import AdminPrincipal, require
from orderflow.auth.principal import Principal
from orderflow.errors import Forbidden
from orderflow.inventory.schemas import StockLevelOut, StockLevelUpdate
from orderflow.inventory.service import inventory_service
from orderflow.kit.clock import utcnow

router = APIRouter()

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
HubId = Annotated[str, Path(alias="hubId", max_length=64, pattern=ID_PATTERN)]
VariantId = Annotated[str, Path(alias="variantId", max_length=64, pattern=ID_PATTERN)]


async def stock_reader(
    hub_id: HubId, principal: Annotated[Principal, Depends(require("admin", "hub"))]
) -> Principal:
    """Admins read every hub's stock; a hub reads its own."""
    if principal.role == "hub" and principal.hub_id != hub_id:
        raise Forbidden(f"your token is for hub {principal.hub_id}, not {hub_id}")
    return principal


StockReader = Annotated[Principal, Depends(stock_reader)]


@router.put(
    "/inventory/{hubId}/{variantId}",
    response_model=StockLevelOut,
    summary="Set the on-hand count of a variant at a hub",
    responses={409: {"description": "On-hand would drop below the units reserved by orders"}},
)
def put_stock_level(
    hub_id: HubId, variant_id: VariantId, body: StockLevelUpdate, _: AdminPrincipal, db: Db
) -> StockLevelOut:
    level = db.run_write(
        lambda s: inventory_service.set_on_hand(
            s, hub_id=hub_id, variant_id=variant_id, quantity=body.quantity, now=utcnow()
        )
    )
    return StockLevelOut.of(level)


@router.get(
    "/inventory/{hubId}/{variantId}",
    response_model=StockLevelOut,
    summary="On-hand, reserved and available units of a variant at a hub",
)
def get_stock_level(hub_id: HubId, variant_id: VariantId, _: StockReader, db: Db) -> StockLevelOut:
    with db.read() as session:
        return StockLevelOut.of(
            inventory_service.get_level(session, hub_id=hub_id, variant_id=variant_id)
        )
