"""HTTP endpoints of the notifications domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from orderflow.api.deps import Db
from orderflow.auth.dependencies import CustomerPrincipal
from orderflow.kit.clock import utcnow
from orderflow.notifications.schemas import NotificationTarget, NotificationTargetUpdate
from orderflow.notifications.service import notification_service

router = APIRouter()


@router.put(
    "/customers/{customerId}/notification-target",
    response_model=NotificationTarget,
    summary="Set where a customer hears about its orders (e-mail, webhook; each can be off)",
)
def put_notification_target(
    customer_id: Annotated[str, Path(alias="customerId")],
    body: NotificationTargetUpdate,
    principal: CustomerPrincipal,
    db: Db,
) -> NotificationTarget:
    return db.run_write(
        lambda s: notification_service.put_target(
            s, customer_id, update=body, principal=principal, now=utcnow()
        )
    )


@router.get(
    "/customers/{customerId}/notification-target",
    response_model=NotificationTarget,
    summary="The customer's notification target",
)
def get_notification_target(
    customer_id: Annotated[str, Path(alias="customerId")],
    principal: CustomerPrincipal,
    db: Db,
) -> NotificationTarget:
    with db.read() as session:
        return notification_service.get_target(session, customer_id, principal=principal)
