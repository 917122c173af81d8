"""Jobs of the notifications domain (see docs/architecture.md, 'Jobs contract')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orderflow.kit.clock import utcnow
from orderflow.notifications.delivery import post_webhook, send_email
from orderflow.notifications.service import Outgoing, notification_service
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError


def deliver_notification(runtime: Runtime, *, notification_id: str) -> None:
    """Send one notification; a no-op once it is sent (at-least-once delivery)."""
    with runtime.db.read() as session:
        outgoing = notification_service.outgoing(session, notification_id)
    if outgoing is None:
        return
    try:
        _send(runtime, outgoing)
    except PermanentError:
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        runtime.db.run_write(
            lambda s: notification_service.mark_attempt_failed(s, notification_id, error=error)
        )
        raise
    runtime.db.run_write(lambda s: notification_service.mark_sent(s, notification_id, now=utcnow()))


def give_up_notification(runtime: Runtime, *, reason: str, notification_id: str) -> None:
    """After the last attempt (or a permanent refusal): keep the notification as failed."""
    runtime.db.run_write(
        lambda s: notification_service.mark_failed(s, notification_id, error=reason)
    )


def _send(runtime: Runtime, outgoing: Outgoing) -> None:
    if outgoing.channel == "email":
        send_email(
            runtime.settings,
            to=outgoing.address,
            subject=outgoing.subject,
            text=outgoing.text,
            message_id=outgoing.id,
        )
    elif outgoing.channel == "webhook":
        post_webhook(
            runtime.settings, url=outgoing.address, secret=outgoing.secret, payload=outgoing.payload
        )
    else:
        raise PermanentError(f"unknown channel {outgoing.channel!r}")


TASKS: dict[str, Callable[..., Any]] = {"notifications.deliver": deliver_notification}
COMPENSATIONS: dict[str, Callable[..., Any]] = {"notifications.deliver": give_up_notification}
