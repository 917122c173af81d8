"""The transactional outbox dispatcher: after commit, side effects leave the database.

Writers add outbox rows (workers/outbox.py) in the transaction that changes the state, so a
rolled-back transaction leaves nothing to dispatch. The dispatcher then:

- **claims** a batch of due rows by setting ``lease_until`` (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``), so several dispatchers never
  take the same row, and a crashed dispatcher's rows are taken over once its lease runs out;
- **applies** each row: ``job`` → enqueue with its deterministic key (once: a key that exists in
  any state is not enqueued again), ``publish`` → ``runtime.pubsub`` (channel = topic, message =
  the payload as JSON bytes), ``invalidate`` → ``runtime.cache.delete``;
- **marks** the rows dispatched, only while it still holds their lease. A row that fails is
  released with ``last_error`` and retried later with a growing delay.

It polls every ``settings.outbox_poll_ms`` and wakes at once when a unit of work of this process
commits outbox rows (``outbox.on_commit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from orderflow.db.models import OutboxMessage
from orderflow.kit.clock import utcnow
from orderflow.runtime import Runtime
from orderflow.workers import outbox
from orderflow.workers.queue import enqueue_once

logger = logging.getLogger("orderflow.workers.dispatcher")

LEASE_SECONDS = 30
BATCH_SIZE = 100
MAX_BACKOFF_SECONDS = 60


@dataclass(frozen=True)
class Claimed:
    id: str
    kind: str
    topic: str
    dedupe_key: str | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Outcome:
    done: list[str]
    failed: dict[str, str]


class OutboxDispatcher:
    def __init__(
        self,
        runtime: Runtime,
        *,
        batch_size: int = BATCH_SIZE,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.runtime = runtime
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = runtime.settings.outbox_poll_ms / 1000
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._unsubscribe = outbox.on_commit(self.wake)
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Flush what the last requests and jobs committed (the next start would do it too).
        try:
            await self.dispatch_once()
        except Exception:
            logger.exception("final outbox dispatch failed; rows stay for the next dispatcher")

    def wake(self) -> None:
        """Thread-safe: dispatch now rather than at the next poll."""
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closing
            loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        assert self._event is not None
        while True:
            self._event.clear()
            try:
                count = await self.dispatch_once()
            except Exception:
                logger.exception("outbox dispatch failed; retrying after the poll interval")
                count = 0
            if count >= self.batch_size:
                continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), self.poll_seconds)

    # ------------------------------------------------------------ one pass

    async def dispatch_once(self) -> int:
        """Claim, apply and mark one batch; returns how many rows were claimed."""
        now = utcnow()
        lease_until = now + self.lease
        rows = await anyio.to_thread.run_sync(
            self.runtime.db.run_write,
            lambda s: claim(s, now=now, lease_until=lease_until, limit=self.batch_size),
        )
        if not rows:
            return 0
        done: list[str] = []
        failed: dict[str, str] = {}
        for row in rows:
            try:
                await self._apply(row)
            except Exception as exc:
                logger.warning("outbox row %s (%s) failed: %s", row.id, row.kind, exc)
                failed[row.id] = f"{type(exc).__name__}: {exc}"
            else:
                done.append(row.id)
        attempts = {row.id: row.attempts for row in rows}
        await anyio.to_thread.run_sync(
            self.runtime.db.run_write,
            lambda s: settle(
                s,
                Outcome(done=done, failed=failed),
                lease_until=lease_until,
                attempts=attempts,
                now=utcnow(),
            ),
        )
        return len(rows)

    async def _apply(self, row: Claimed) -> None:
        if row.kind == "job":
            function = str(row.payload["function"])
            kwargs = dict(row.payload.get("kwargs") or {})
            key = row.dedupe_key or f"outbox:{row.id}"
            queue = self.runtime.queue
            if queue is None:
                raise RuntimeError("no job queue in this process")
            await enqueue_once(queue, self.runtime.settings, function, key=key, kwargs=kwargs)
        elif row.kind == "publish":
            message = json.dumps(row.payload, separators=(",", ":"), default=str).encode()
            await self.runtime.pubsub.publish(row.topic, message)
        elif row.kind == "invalidate":
            keys = [str(k) for k in row.payload.get("keys", [])]
            if keys:
                await anyio.to_thread.run_sync(lambda: self.runtime.cache.delete(*keys))
        else:
            raise ValueError(f"unknown outbox kind {row.kind!r}")


def claim(session: Session, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due rows, oldest first."""
    m = OutboxMessage
    query = (
        select(m.id)
        .where(
            m.dispatched_at.is_(None),
            m.available_at <= now,
            or_(m.lease_until.is_(None), m.lease_until < now),
        )
        .order_by(m.created_at, m.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(m)
        .where(m.id.in_(ids))
        .values(lease_until=lease_until, attempts=m.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(m.id, m.kind, m.topic, m.dedupe_key, m.payload, m.attempts)
        .where(m.id.in_(ids))
        .order_by(m.created_at, m.id)
    ).all()
    return [
        Claimed(
            id=r.id,
            kind=r.kind,
            topic=r.topic,
            dedupe_key=r.dedupe_key,
            payload=r.payload,
            attempts=r.attempts,
        )
        for r in rows
    ]


def settle(
    session: Session,
    outcome: Outcome,
    *,
    lease_until: datetime,
    attempts: dict[str, int],
    now: datetime,
) -> None:
    """Mark applied rows dispatched and release failed ones, where our lease still holds."""
    m = OutboxMessage
    if outcome.done:
        session.execute(
            update(m)
            .where(m.id.in_(outcome.done), m.lease_until == lease_until)
            .values(dispatched_at=now, lease_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
    for row_id, error in outcome.failed.items():
        delay = min(2 ** max(attempts.get(row_id, 1) - 1, 0), MAX_BACKOFF_SECONDS)
        session.execute(
            update(m)
            .where(m.id == row_id, m.lease_until == lease_until)
            .values(
                lease_until=None,
                last_error=error[:2000],
                available_at=now + timedelta(seconds=delay),
            )
            .execution_options(synchronize_session=False)
        )
