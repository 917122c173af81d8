"""HTTP endpoints of the changes domain: cancel, sub-order cancel, modifications, returns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from orderflow.api.deps import Db, IdempotencyKey, SettingsDep
from orderflow.api.idempotency import run_idempotent
from orderflow.auth.dependencies import AnyPrincipal, CustomerPrincipal, VendorPrincipal
from orderflow.changes.schemas import (
    CancellationResult,
    CancelRequest,
    ModificationRequest,
    ModificationResult,
    OrderVersionOut,
    ReturnOut,
    ReturnRequest,
)
from orderflow.changes.service import changes_service
from orderflow.kit.clock import utcnow

router = APIRouter()

OrderId = Annotated[str, Path(max_length=64, description="The order's id")]


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed JSON or Idempotency-Key"),
    401: _problem("No or bad bearer token"),
    403: _problem("The token's role may not do this"),
    404: _problem("No such order, or not one the caller may see"),
    422: _problem("The body is not valid, or the Idempotency-Key was used with another body"),
}


@router.post(
    "/orders/{order_id}/cancel",
    response_model=CancellationResult,
    responses={**ERRORS, 409: _problem("The order's stage cannot be cancelled (detail says why)")},
    summary="Cancel an order",
)
def cancel_order(
    order_id: OrderId,
    body: CancelRequest,
    principal: CustomerPrincipal,
    db: Db,
    key: IdempotencyKey,
) -> JSONResponse:
    """Cancel every open fulfillment, refund or void the payment, release the stock.

    Repeating the cancel of an order this endpoint cancelled returns the first result."""
    return run_idempotent(
        db,
        scope=f"{principal.scope}:cancel:{order_id}",
        key=key,
        body=body,
        action=lambda s: changes_service.cancel(
            s, order_id, principal=principal, reason=body.reason, now=utcnow()
        ),
    )


@router.post(
    "/orders/{order_id}/sub-orders/{sub_order_id}/cancel",
    response_model=CancellationResult,
    responses={**ERRORS, 409: _problem("The sub-order cannot be cancelled (detail says why)")},
    summary="Cancel one vendor's sub-order",
)
def cancel_sub_order(
    order_id: OrderId,
    sub_order_id: Annotated[str, Path(max_length=64)],
    body: CancelRequest,
    principal: VendorPrincipal,
    db: Db,
    key: IdempotencyKey,
) -> JSONResponse:
    """Cancel the vendor's items, refund only that part (the vendor's transfer is reversed)."""
    return run_idempotent(
        db,
        scope=f"{principal.scope}:cancel:{order_id}:{sub_order_id}",
        key=key,
        body=body,
        action=lambda s: changes_service.cancel_sub_order(
            s, order_id, sub_order_id, principal=principal, reason=body.reason, now=utcnow()
        ),
    )


@router.post(
    "/orders/{order_id}/modifications",
    response_model=ModificationResult,
    responses={
        **ERRORS,
        409: _problem("A fulfillment is too far along for a change (errors name it)"),
    },
    summary="Modify an order (one change set, all or nothing)",
)
def modify_order(
    order_id: OrderId,
    body: ModificationRequest,
    principal: CustomerPrincipal,
    db: Db,
    settings: SettingsDep,
    key: IdempotencyKey,
    preview: Annotated[
        bool, Query(description="Return the would-be order and adjustments; change nothing")
    ] = False,
) -> JSONResponse:
    """Seed modifications (`add_item` also takes `variantId`), applied together or not at all."""
    return run_idempotent(
        db,
        scope=f"{principal.scope}:modify:{order_id}:{'preview' if preview else 'confirm'}",
        key=None if preview else key,
        body=body,
        action=lambda s: changes_service.modify(
            s,
            order_id,
            principal=principal,
            request=body,
            preview=preview,
            settings=settings,
            now=utcnow(),
        ),
    )


@router.get(
    "/orders/{order_id}/versions",
    response_model=list[OrderVersionOut],
    responses={k: v for k, v in ERRORS.items() if k in (401, 404)},
    summary="The order's confirmed change sets",
)
def list_versions(order_id: OrderId, principal: AnyPrincipal, db: Db) -> list[OrderVersionOut]:
    with db.read() as session:
        return changes_service.versions(session, order_id, principal=principal)


@router.post(
    "/orders/{order_id}/returns",
    status_code=201,
    response_model=ReturnOut,
    responses={**ERRORS, 409: _problem("Not delivered, or the return window has closed")},
    summary="Return delivered items",
)
def create_return(
    order_id: OrderId,
    body: ReturnRequest,
    principal: CustomerPrincipal,
    db: Db,
    settings: SettingsDep,
    key: IdempotencyKey,
) -> JSONResponse:
    """Refund each returned line with its share of delivery; optionally restock the hub."""
    return run_idempotent(
        db,
        scope=f"{principal.scope}:return:{order_id}",
        key=key,
        body=body,
        status_code=201,
        action=lambda s: changes_service.create_return(
            s, order_id, principal=principal, request=body, settings=settings, now=utcnow()
        ),
    )
