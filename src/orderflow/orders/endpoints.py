"""HTTP endpoints of the orders domain: validate, place, read, list, events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse

from orderflow.api.deps import Db, IdempotencyKey, RuntimeDep, SettingsDep
from orderflow.api.idempotency import run_idempotent
from orderflow.auth.dependencies import AnyPrincipal, CustomerPrincipal
from orderflow.kit.clock import utcnow
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from orderflow.orders.schemas import Order, OrderCreation, OrderEvent, ValidationResult
from orderflow.orders.service import order_service
from orderflow.orders.state import OrderStatus

router = APIRouter()


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {}}}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("No or bad bearer token"),
    403: _problem("The token's role may not do this"),
}
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    404: _problem("No such order, or not one the caller may see"),
}


@router.post(
    "/orders/validate",
    response_model=ValidationResult,
    responses={**AUTH_ERRORS, 422: _problem("The body is not an OrderCreation")},
    summary="Validate an order without placing it",
)
def validate_order(
    creation: OrderCreation, principal: CustomerPrincipal, db: Db, settings: SettingsDep
) -> ValidationResult:
    """A dry run of placement's checks: `{valid, errors, warnings}`; changes nothing."""
    with db.read() as session:
        return order_service.validate(session, creation, now=utcnow(), settings=settings)


@router.post(
    "/orders",
    status_code=201,
    response_model=Order,
    responses={
        **AUTH_ERRORS,
        400: _problem("Malformed JSON or Idempotency-Key"),
        422: _problem(
            "The order is not valid (`errors` lists each problem, e.g. insufficient_stock), "
            "or the Idempotency-Key was used with another body"
        ),
    },
    summary="Place an order",
)
def place_order(
    creation: Annotated[OrderCreation, Body()],
    principal: CustomerPrincipal,
    db: Db,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Validates, routes and places the order (status `pending`), reserving its stock."""
    return run_idempotent(
        db,
        scope=principal.scope + ":orders.place",
        key=idempotency_key,
        body=creation.model_dump(mode="json", by_alias=True),
        action=lambda session: order_service.place(
            session, creation, principal=principal, now=utcnow(), settings=settings
        ),
        status_code=201,
    )


@router.get("/orders", response_model=Page[Order], responses=AUTH_ERRORS)
def list_orders(
    principal: AnyPrincipal,
    db: Db,
    status: OrderStatus | None = None,
    customer_id: Annotated[str | None, Query(alias="customerId", max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[Order]:
    """The orders the caller may see, newest first."""
    with db.read() as session:
        return order_service.list(
            session,
            principal=principal,
            status=status,
            customer_id=customer_id,
            limit=limit,
            cursor=cursor,
        )


OrderId = Annotated[str, Path(alias="orderId", max_length=64)]


@router.get("/orders/{orderId}", response_model=Order, responses=READ_ERRORS)
def get_order(order_id: OrderId, principal: AnyPrincipal, runtime: RuntimeDep) -> Order:
    """One order, cut down to what the caller may see (served from the order cache)."""
    return order_service.get_cached(runtime, order_id, principal=principal)


@router.get("/orders/{orderId}/events", response_model=list[OrderEvent], responses=READ_ERRORS)
def order_events(order_id: OrderId, principal: AnyPrincipal, db: Db) -> list[OrderEvent]:
    """The order's tracking history, oldest first."""
    with db.read() as session:
        return order_service.events(session, order_id, principal=principal)
