"""HTTP endpoints of the routing domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from orderflow.api.deps import Db
from orderflow.auth.dependencies import AdminPrincipal
from orderflow.routing.schemas import RoutingExplanation
from orderflow.routing.service import routing_service

router = APIRouter()

OrderId = Annotated[str, Path(alias="orderId", description="The order id (ord_...)")]


@router.get(
    "/orders/{orderId}/routing",
    response_model=RoutingExplanation,
    summary="Why an order ships from its hubs (admin)",
    responses={403: {"description": "Not an admin"}, 404: {"description": "Unknown order"}},
)
def get_order_routing(order_id: OrderId, db: Db, _: AdminPrincipal) -> RoutingExplanation:
    """The stored routing decision: chosen hubs, scores, alternatives, allocations, ETA, cost."""
    with db.read() as session:
        return routing_service.explain(session, order_id)
