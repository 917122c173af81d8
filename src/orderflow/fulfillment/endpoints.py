"""HTTP endpoints of the fulfillment domain: the hub queue, steps and courier location.

Access: a hub token acts on its own hub's fulfillments, a courier token on the fulfillments
assigned to it, admin on any. Another hub's fulfillment, or one not assigned to the courier,
is a 403 (hubs and couriers are trusted partners; the id alone reveals nothing).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from orderflow.api.deps import Db, IdempotencyKey, SettingsDep
from orderflow.api.idempotency import run_idempotent
from orderflow.auth.dependencies import CourierPrincipal, FulfillmentActor, HubPrincipal
from orderflow.fulfillment.schemas import Fulfillment, LocationUpdate, TransitionRequest
from orderflow.fulfillment.service import fulfillment_service
from orderflow.fulfillment.state import FulfillmentState
from orderflow.kit.clock import utcnow
from orderflow.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter()


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {}}}


ACCESS_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("No or bad bearer token"),
    403: _problem("Wrong role, another hub's fulfillment, or a courier it is not assigned to"),
    404: _problem("No such fulfillment"),
}


@router.get(
    "/hubs/{hubId}/fulfillments",
    response_model=Page[Fulfillment],
    responses={**ACCESS_ERRORS, 404: _problem("No such hub")},
    summary="A hub's fulfillment queue",
)
def hub_queue(
    principal: HubPrincipal,
    db: Db,
    hub_id: Annotated[str, Path(alias="hubId", max_length=64)],
    status: Annotated[
        FulfillmentState | None,
        Query(description="Only fulfillments in this status (default: every open one)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[Fulfillment]:
    """Highest priority first (high, medium, normal), then the earliest promised time.
    Only fulfillments of confirmed (paid) orders are listed."""
    with db.read() as session:
        return fulfillment_service.hub_queue(
            session, hub_id, principal=principal, status=status, limit=limit, cursor=cursor
        )


@router.get(
    "/fulfillments/{fulfillmentId}",
    response_model=Fulfillment,
    responses=ACCESS_ERRORS,
    summary="One fulfillment",
)
def get_fulfillment(
    principal: FulfillmentActor,
    db: Db,
    fulfillment_id: Annotated[str, Path(alias="fulfillmentId", max_length=40)],
) -> Fulfillment:
    with db.read() as session:
        return fulfillment_service.get(session, fulfillment_id, principal=principal)


@router.post(
    "/fulfillments/{fulfillmentId}/transitions",
    response_model=Fulfillment,
    responses={
        **ACCESS_ERRORS,
        409: _problem(
            "Not a step allowed from the current status (`allowed` lists those that are), "
            "or the order is not confirmed yet"
        ),
        422: _problem(
            "picked_up without courierId, or delivered of age-restricted goods without idVerified"
        ),
    },
    summary="Move a fulfillment one step",
)
def transition(
    body: TransitionRequest,
    principal: FulfillmentActor,
    db: Db,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey,
    fulfillment_id: Annotated[str, Path(alias="fulfillmentId", max_length=40)],
) -> JSONResponse:
    """`processing → packed → picked_up → in_transit → out_for_delivery → delivered`, one step
    at a time. `packed` takes the units off the shelf (once). `picked_up` assigns the courier
    (`courierId`). `delivered` of age-restricted goods needs `idVerified`: `false` returns the
    parcel to the hub (`returned_to_hub`, restocked, event `order.returned_to_hub`)."""
    return run_idempotent(
        db,
        scope=f"{principal.scope}:fulfillments.transition:{fulfillment_id}",
        key=idempotency_key,
        body=body.model_dump(mode="json", by_alias=True),
        action=lambda session: fulfillment_service.transition(
            session,
            fulfillment_id,
            to=body.to,
            principal=principal,
            courier_id=body.courier_id,
            id_verified=body.id_verified,
            now=utcnow(),
            settings=settings,
        ),
    )


@router.post(
    "/fulfillments/{fulfillmentId}/location",
    response_model=Fulfillment,
    responses={
        **ACCESS_ERRORS,
        409: _problem("The fulfillment is not with a courier (picked_up .. out_for_delivery)"),
    },
    summary="Report the courier's position",
)
def report_location(
    body: LocationUpdate,
    principal: CourierPrincipal,
    db: Db,
    settings: SettingsDep,
    fulfillment_id: Annotated[str, Path(alias="fulfillmentId", max_length=40)],
) -> Fulfillment:
    """Stores the position, recomputes the ETA from it to the shipping address (fulfillment
    and order) and pushes `order.location` to the order's subscribers."""
    return db.run_write(
        lambda session: fulfillment_service.report_location(
            session,
            fulfillment_id,
            principal=principal,
            lat=body.lat,
            lng=body.lng,
            now=utcnow(),
            settings=settings,
        )
    )
