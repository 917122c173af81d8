"""Writing side effects to the outbox, in the caller's transaction.

Nothing here talks to the outside: rows are dispatched after commit by the dispatcher
(workers/dispatcher.py). A rolled-back transaction leaves no job, event push or notification.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from orderflow.db.models import OutboxMessage
from orderflow.kit.clock import utcnow
from orderflow.kit.ids import new_id


def add_job(
    session: Session,
    function: str,
    *,
    key: str,
    order_id: str | None = None,
    **kwargs: Any,
) -> None:
    """Enqueue job ``function`` (e.g. ``payments.process``) after commit, with job key ``key``.

    Jobs take ids only; ``kwargs`` must be JSON-serialisable.
    """
    _add(session, "job", function, key, {"function": function, "kwargs": kwargs}, order_id)


def add_publish(
    session: Session, channel: str, message: dict[str, Any], *, order_id: str | None
) -> None:
    """Publish ``message`` on pub/sub ``channel`` after commit (tracking fan-out)."""
    _add(session, "publish", channel, None, message, order_id)


def add_invalidate(session: Session, keys: list[str], *, order_id: str | None = None) -> None:
    """Drop cache ``keys`` after commit (the writer also drops them at once; see orders cache)."""
    _add(session, "invalidate", "cache", None, {"keys": keys}, order_id)


def _add(
    session: Session,
    kind: str,
    topic: str,
    key: str | None,
    payload: dict[str, Any],
    order_id: str | None,
) -> None:
    now = utcnow()
    session.execute(
        insert(OutboxMessage).values(
            id=new_id("obx"),
            kind=kind,
            topic=topic,
            dedupe_key=key,
            payload=payload,
            order_id=order_id,
            available_at=now,
            attempts=0,
            created_at=now,
        )
    )
