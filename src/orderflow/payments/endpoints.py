"""HTTP endpoints of the payments domain: refunds, the order ledger and Stripe webhooks."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse

from orderflow.api.deps import Db, IdempotencyKey, SettingsDep
from orderflow.api.idempotency import run_idempotent
from orderflow.auth.dependencies import AdminPrincipal
from orderflow.kit.clock import utcnow
from orderflow.kit.money import to_cents
from orderflow.payments.schemas import OrderLedger, RefundCreation, RefundOut, WebhookReceipt
from orderflow.payments.service import payment_service

router = APIRouter()

OrderId = Annotated[str, Path(alias="orderId")]


@router.post(
    "/orders/{orderId}/refunds",
    status_code=201,
    response_model=RefundOut,
    summary="Refund part or all of an order (admin)",
    description="Gives money back to the customer; vendors give back their share of the goods "
    "through transfer reversals. More than was captured and not yet refunded is a 422 "
    "`refund_exceeds_captured`.",
)
def create_refund(
    order_id: OrderId,
    body: RefundCreation,
    principal: AdminPrincipal,
    db: Db,
    key: IdempotencyKey,
) -> JSONResponse:
    allocation = (
        {sub_id: to_cents(value) for sub_id, value in body.allocation.items()}
        if body.allocation is not None
        else None
    )
    return run_idempotent(
        db,
        scope=f"{principal.scope}:refunds:{order_id}",
        key=key,
        body=body,
        status_code=201,
        action=lambda s: payment_service.manual_refund(
            s,
            order_id=order_id,
            amount=to_cents(body.amount),
            allocation=allocation,
            reason=body.reason,
            now=utcnow(),
        ),
    )


@router.get(
    "/orders/{orderId}/ledger",
    response_model=OrderLedger,
    summary="The order's double-entry ledger (admin)",
)
def get_ledger(
    order_id: OrderId,
    principal: AdminPrincipal,
    db: Db,
) -> OrderLedger:
    with db.read() as session:
        return payment_service.order_ledger(session, order_id=order_id)


@router.post(
    "/payments/stripe/webhook",
    response_model=WebhookReceipt,
    summary="Stripe webhook receiver",
    description="Verifies `Stripe-Signature`, stores each event once by id and handles it; a "
    "replayed event changes nothing. An unsigned or tampered event is a 400 and is not stored.",
)
async def stripe_webhook(
    request: Request,
    db: Db,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookReceipt:
    payload = await request.body()
    return await anyio.to_thread.run_sync(
        lambda: db.run_write(
            lambda s: payment_service.receive_webhook(
                s,
                payload=payload,
                signature=signature,
                secret=settings.stripe_webhook_secret,
                now=utcnow(),
            )
        )
    )
