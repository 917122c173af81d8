"""Writing side effects to the outbox, in the caller's transaction.

Nothing here talks to the outside: rows are dispatched after commit by the dispatcher
(workers/dispatcher.py). A rolled-back transaction leaves no job, event push or notification.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from orderflow.db.models import OutboxMessage
from orderflow.db.session import after_commit
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

    Jobs take ids only; ``kwargs`` must be JSON-serialisable. ``order_id`` tags the row and is
    passed to the job too (``task(runtime, order_id=..., **kwargs)``).
    """
    if order_id is not None:
        kwargs = {"order_id": order_id, **kwargs}
    _add(session, "job", function, key, {"function": function, "kwargs": kwargs}, order_id)


def add_publish(
    session: Session, channel: str, message: dict[str, Any], *, order_id: str | None
) -> None:
    """Publish ``message`` on pub/sub ``channel`` after commit (tracking fan-out)."""
    _add(session, "publish", channel, None, message, order_id)


def add_invalidate(session: Session, keys: list[str], *, order_id: str | None = None) -> None:
    """Drop cache ``keys`` after commit (the writer also drops them at once; see orders cache)."""
    _add(session, "invalidate", "cache", None, {"keys": keys}, order_id)


_WAKE = "orderflow.outbox_wake"
_listeners: list[Callable[[], None]] = []


def on_commit(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (from the committing thread) after any unit of work of this process
    that wrote outbox rows commits; returns the function that unregisters it. The dispatcher
    uses it to dispatch at once instead of at its next poll."""
    _listeners.append(listener)

    def remove() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return remove


def _committed() -> None:
    for listener in list(_listeners):
        listener()


def _add(
    session: Session,
    kind: str,
    topic: str,
    key: str | None,
    payload: dict[str, Any],
    order_id: str | None,
) -> None:
    if not session.info.get(_WAKE):
        session.info[_WAKE] = True
        after_commit(session, _committed)
    now = utcnow()
    session.execute(
        _INSERT,
        {
            "id": new_id("obx"),
            "kind": kind,
            "topic": topic,
            "dedupe_key": key,
            "payload": payload,
            "order_id": order_id,
            "available_at": now,
            "attempts": 0,
            "created_at": now,
        },
    )


# The Core table, built once: no ORM bulk-insert path and a constant cache key per row.
_OUTBOX = cast(Table, OutboxMessage.__table__)
_INSERT = insert(_OUTBOX)
