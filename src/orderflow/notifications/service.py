"""Customer notifications (seed ``sendPushNotification``): targets, messages, delivery state.

``enqueue`` runs inside ``tracking.repository.append_event``: for each event a customer hears
about, one ``Notification`` row per enabled channel and an outbox job ``notifications.deliver``
(key ``notify:{notificationId}``), in the same transaction as the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.db.models import NotificationTarget as TargetRow
from orderflow.kit.ids import new_id
from orderflow.notifications import repository as repo
from orderflow.notifications.errors import InvalidNotificationTarget, NotificationTargetNotFound
from orderflow.notifications.messages import NOTIFIED_EVENTS, render
from orderflow.notifications.schemas import NotificationTarget, NotificationTargetUpdate
from orderflow.tracking.facts import OrderFacts
from orderflow.workers.outbox import add_job

JOB = "notifications.deliver"


@dataclass(frozen=True)
class Outgoing:
    """A notification ready to send (loaded in one transaction, sent outside it)."""

    id: str
    channel: str
    address: str
    subject: str
    text: str
    payload: dict[str, Any]
    secret: str | None


class NotificationService:
    # ------------------------------------------------------------ targets

    def get_target(
        self, session: Session, customer_id: str, *, principal: Principal
    ) -> NotificationTarget:
        self._check_owner(customer_id, principal)
        row = repo.get_target(session, customer_id)
        if row is None:
            raise NotificationTargetNotFound(
                f"customer {customer_id} has no notification target yet; PUT one first"
            )
        return _target_out(row)

    def put_target(
        self,
        session: Session,
        customer_id: str,
        *,
        update: NotificationTargetUpdate,
        principal: Principal,
        now: datetime,
    ) -> NotificationTarget:
        """Create or replace the customer's target; an omitted ``webhookSecret`` is kept."""
        self._check_owner(customer_id, principal)
        row = repo.get_target(session, customer_id)
        secret = update.webhook_secret or (row.webhook_secret if row else None)
        _validate(update, secret)
        if row is None:
            row = TargetRow(customer_id=customer_id, created_at=now)
            session.add(row)
        row.email = update.email
        row.webhook_url = update.webhook_url
        row.webhook_secret = secret
        row.email_enabled = update.email_enabled
        row.webhook_enabled = update.webhook_enabled
        row.updated_at = now
        session.flush()
        return _target_out(row)

    def _check_owner(self, customer_id: str, principal: Principal) -> None:
        if principal.role != "admin" and principal.sub != customer_id:
            # Another customer's settings: not found, as for orders (existence is not leaked).
            raise NotificationTargetNotFound(f"there is no customer {customer_id} you can manage")

    # ------------------------------------------------------------ per event

    def enqueue(
        self,
        session: Session,
        *,
        facts: OrderFacts,
        event: str,
        sequence: int,
        data: dict[str, Any],
        now: datetime,
    ) -> list[str]:
        """Write the event's notifications and their delivery jobs; returns their ids."""
        if event not in NOTIFIED_EVENTS:
            return []
        target = repo.get_target(session, facts.customer_id)
        if target is None:
            return []
        channels: list[tuple[str, str]] = []
        if target.email_enabled and target.email:
            channels.append(("email", target.email))
        if target.webhook_enabled and target.webhook_url:
            channels.append(("webhook", target.webhook_url))
        if not channels:
            return []
        message = render(facts, event, data)
        payload = {
            "event": event,
            "orderId": facts.order_id,
            "displayId": facts.display_id,
            "sequence": sequence,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "subject": message.subject,
            "message": message.text,
            "data": {
                "status": facts.status_after(event),
                "eta": message.context["eta_iso"],
                "refundAmount": message.context["refund_amount"],
                "reason": message.context["reason"],
            },
        }
        rows = []
        for channel, address in channels:
            notification_id = new_id("ntf")
            payload_with_id = {"id": notification_id, **payload}
            rows.append(
                {
                    "id": notification_id,
                    "dedupe_key": f"{facts.order_id}:{sequence}:{channel}",
                    "order_id": facts.order_id,
                    "recipient_kind": "customer",
                    "recipient_id": facts.customer_id,
                    "channel": channel,
                    "event": event,
                    "subject": message.subject,
                    "body": {"address": address, "text": message.text, "payload": payload_with_id},
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
            )
        repo.insert_notifications(session, rows)
        for row in rows:
            add_job(session, JOB, key=f"notify:{row['id']}", notification_id=row["id"])
        return [str(row["id"]) for row in rows]

    # ------------------------------------------------------------ delivery (the job)

    def outgoing(self, session: Session, notification_id: str) -> Outgoing | None:
        """The notification to send, or None when there is nothing (left) to do."""
        note = repo.get_notification(session, notification_id)
        if note is None or note.status in ("sent", "failed", "skipped"):
            return None
        secret = None
        if note.channel == "webhook":
            target = repo.get_target(session, note.recipient_id)
            secret = target.webhook_secret if target else None
        return Outgoing(
            id=note.id,
            channel=note.channel,
            address=str(note.body["address"]),
            subject=note.subject or "",
            text=str(note.body["text"]),
            payload=dict(note.body["payload"]),
            secret=secret,
        )

    def mark_sent(self, session: Session, notification_id: str, *, now: datetime) -> None:
        repo.mark(session, notification_id, status="sent", error=None, sent_at=now)

    def mark_attempt_failed(self, session: Session, notification_id: str, *, error: str) -> None:
        repo.mark(session, notification_id, status="pending", error=error[:2000], sent_at=None)

    def mark_failed(self, session: Session, notification_id: str, *, error: str) -> None:
        repo.mark(session, notification_id, status="failed", error=error[:2000], sent_at=None)


def _validate(update: NotificationTargetUpdate, secret: str | None) -> None:
    problems = []
    if update.email is not None and not _looks_like_email(update.email):
        problems.append(
            {"code": "invalid_email", "message": "not an e-mail address", "field": "email"}
        )
    if update.email_enabled and not update.email:
        problems.append(
            {
                "code": "email_required",
                "message": "emailEnabled needs an email address",
                "field": "email",
            }
        )
    if update.webhook_url is not None:
        parts = urlsplit(update.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(
                {
                    "code": "invalid_webhook_url",
                    "message": "webhookUrl must be an absolute http(s) URL",
                    "field": "webhookUrl",
                }
            )
    if update.webhook_enabled and not update.webhook_url:
        problems.append(
            {
                "code": "webhook_url_required",
                "message": "webhookEnabled needs a webhookUrl",
                "field": "webhookUrl",
            }
        )
    if update.webhook_enabled and not secret:
        problems.append(
            {
                "code": "webhook_secret_required",
                "message": "webhookEnabled needs a webhookSecret (16+ characters) to sign with",
                "field": "webhookSecret",
            }
        )
    if problems:
        raise InvalidNotificationTarget("; ".join(p["message"] for p in problems), errors=problems)


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and " " not in value)


def _target_out(row: TargetRow) -> NotificationTarget:
    return NotificationTarget(
        customer_id=row.customer_id,
        email=row.email,
        webhook_url=row.webhook_url,
        has_webhook_secret=bool(row.webhook_secret),
        email_enabled=row.email_enabled,
        webhook_enabled=row.webhook_enabled,
        updated_at=row.updated_at,
    )


notification_service = NotificationService()
