"""SQL of notification targets and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from orderflow.db.models import Notification, NotificationTarget


def get_target(session: Session, customer_id: str) -> NotificationTarget | None:
    return session.get(NotificationTarget, customer_id)


def insert_notifications(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Notification).values(rows))


def get_notification(session: Session, notification_id: str) -> Notification | None:
    return session.get(Notification, notification_id)


def for_order(session: Session, order_id: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.order_id == order_id)
            .order_by(Notification.created_at, Notification.id)
        )
    )


def mark(
    session: Session,
    notification_id: str,
    *,
    status: str,
    error: str | None,
    sent_at: datetime | None,
) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status != "sent")
        .values(
            status=status,
            last_error=error,
            sent_at=sent_at,
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
