"""Jobs of the fulfillment domain (see docs/architecture.md, 'Jobs contract').

``fulfillment.create`` (key ``fulfillment:{orderId}``, enqueued once the order is confirmed)
tells each hub about its new fulfillment through ``hubs.notify`` (key
``hub-notify:{fulfillmentId}:{event}``): a JSON POST to the hub's ``webhook_url`` signed with
its ``webhook_secret`` (kit/signing.py, header ``Orderflow-Signature``). A non-2xx answer or a
timeout raises, and the queue retries (3 attempts, 2 s then 4 s); every attempt is counted on
the hub's row in ``notifications``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson

from orderflow.fulfillment.service import HubMessage, fulfillment_service
from orderflow.kit.clock import utcnow
from orderflow.kit.signing import sign
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError, TransientError

SIGNATURE_HEADER = "Orderflow-Signature"
EVENT_HEADER = "Orderflow-Event"


def create_fulfillments(runtime: Runtime, *, order_id: str) -> None:
    """Notify the hubs of a confirmed order's fulfillments; a no-op for those already told."""
    runtime.db.run_write(
        lambda s: fulfillment_service.mark_hubs_notified(s, order_id=order_id, now=utcnow())
    )


def notify_hub(
    runtime: Runtime, *, fulfillment_id: str, event: str, order_id: str | None = None
) -> None:
    """POST one fulfillment event to its hub; a no-op once delivered."""
    message = runtime.db.run_write(
        lambda s: fulfillment_service.hub_message(
            s, fulfillment_id=fulfillment_id, event=event, now=utcnow()
        )
    )
    if message is None:
        return
    if not message.secret:
        missing = "the hub has a webhook URL but no webhook secret to sign with"
        runtime.db.run_write(
            lambda s: fulfillment_service.give_up_hub_message(
                s, message.notification_id, error=missing
            )
        )
        raise PermanentError(missing)
    error = _post(runtime, message)
    runtime.db.run_write(
        lambda s: fulfillment_service.record_hub_attempt(
            s, message.notification_id, error=error, now=utcnow()
        )
    )
    if error is not None:
        raise TransientError(error)


def _post(runtime: Runtime, message: HubMessage) -> str | None:
    """Send the message; None when the hub accepted it, else why not."""
    assert message.secret
    body = orjson.dumps(message.body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "orderflow-hubs",
        EVENT_HEADER: message.event,
        SIGNATURE_HEADER: sign(message.secret, body),
    }
    try:
        response = httpx.post(
            message.url,
            content=body,
            headers=headers,
            timeout=runtime.settings.webhook_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        return f"hub webhook unreachable: {type(exc).__name__}: {exc}"
    if response.is_success:
        return None
    return f"hub webhook answered HTTP {response.status_code}"


def give_up_hub_notification(
    runtime: Runtime,
    *,
    reason: str,
    fulfillment_id: str,
    event: str,
    order_id: str | None = None,
) -> None:
    """After the last attempt: the hub's notification stays as failed (dead-letter view)."""
    message = runtime.db.run_write(
        lambda s: fulfillment_service.hub_message(
            s, fulfillment_id=fulfillment_id, event=event, now=utcnow()
        )
    )
    if message is not None:
        runtime.db.run_write(
            lambda s: fulfillment_service.give_up_hub_message(
                s, message.notification_id, error=reason
            )
        )


TASKS: dict[str, Callable[..., Any]] = {
    "fulfillment.create": create_fulfillments,
    "hubs.notify": notify_hub,
}
COMPENSATIONS: dict[str, Callable[..., Any]] = {"hubs.notify": give_up_hub_notification}
