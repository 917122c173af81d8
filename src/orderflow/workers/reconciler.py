"""The reconciler: re-kicks orders stuck in a pipeline step.

The outbox makes losing a job unlikely, but a job can still vanish (a queue wiped by hand, a
worker killed on its last attempt, whose job the sweep then aborts). Every
``settings.reconcile_interval_seconds`` the reconciler looks for orders whose ``pipeline_step``
is ``validate`` / ``pay`` / ``fulfil``, whose status is ``pending`` / ``confirmed`` and whose
``pipeline_updated_at`` is older than ``settings.reconcile_after_seconds``, and enqueues the
step's job again with its deterministic key (``validate:{id}``, ``payment:{id}``,
``fulfillment:{id}``). A job that is queued or running is left alone (saq's key dedupe); a
completed or aborted one is enqueued again (tasks are no-ops when their work is done); a failed
one is a dead letter, left to an admin (``POST /v1/jobs/{jobId}/retry``).

It also prunes dispatched outbox rows older than a week, and every few seconds sets the
``queue_depth`` and ``failed_jobs`` gauges of ``GET /metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

import anyio.to_thread
from saq.job import Status
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderflow import metrics
from orderflow.db.models import Order, OutboxMessage
from orderflow.kit.clock import utcnow
from orderflow.runtime import Runtime
from orderflow.workers import repository as jobs_repo
from orderflow.workers.queue import enqueue_again

logger = logging.getLogger("orderflow.workers.reconciler")

# pipeline step -> (job name, key template)
STEP_JOBS: dict[str, tuple[str, str]] = {
    "validate": ("orders.validate", "validate:{order_id}"),
    "pay": ("payments.process", "payment:{order_id}"),
    "fulfil": ("fulfillment.create", "fulfillment:{order_id}"),
}
OPEN_STATUSES = ("pending", "confirmed")
BATCH_SIZE = 500
OUTBOX_RETENTION = timedelta(days=7)
GAUGE_SECONDS = 5


def stuck_orders(session: Session, *, before: datetime, limit: int) -> list[tuple[str, str]]:
    """``(order_id, step)`` of orders waiting on a step since before ``before``."""
    rows = session.execute(
        select(Order.id, Order.pipeline_step)
        .where(
            Order.pipeline_step.in_(list(STEP_JOBS)),
            Order.status.in_(OPEN_STATUSES),
            Order.pipeline_updated_at < before,
        )
        .order_by(Order.pipeline_updated_at)
        .limit(limit)
    ).all()
    return [(row.id, row.pipeline_step) for row in rows]


def prune_outbox(session: Session, *, before: datetime) -> int:
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.dispatched_at.is_not(None), OutboxMessage.dispatched_at < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def reconcile_once(
    runtime: Runtime, *, known_jobs: set[str], now: datetime | None = None
) -> list[str]:
    """Re-enqueue the jobs of stuck orders; returns the keys enqueued.

    ``known_jobs``: job names this deployment runs (a step whose job is not registered is
    skipped rather than enqueued for nobody).
    """
    settings = runtime.settings
    now = now or utcnow()
    before = now - timedelta(seconds=settings.reconcile_after_seconds)

    def read_stuck() -> list[tuple[str, str]]:
        with runtime.db.read() as session:
            return stuck_orders(session, before=before, limit=BATCH_SIZE)

    stuck = await anyio.to_thread.run_sync(read_stuck)
    queue = runtime.queue
    if queue is None:
        raise RuntimeError("no job queue in this process")
    enqueued: list[str] = []
    for order_id, step in stuck:
        function, template = STEP_JOBS[step]
        if function not in known_jobs:
            continue
        key = template.format(order_id=order_id)
        job = await enqueue_again(queue, settings, function, key=key, kwargs={"order_id": order_id})
        if job is not None:
            enqueued.append(key)
    if enqueued:
        logger.warning("reconciler re-enqueued %d stuck order job(s): %s", len(enqueued), enqueued)
    return enqueued


async def refresh_gauges(runtime: Runtime) -> None:
    """Queue depth and dead letters, for ``GET /metrics``."""
    queue = runtime.queue
    if queue is None:
        return
    metrics.QUEUE_DEPTH.set(await queue.count("queued"))

    def failed() -> int:
        with runtime.db.read() as session:
            return jobs_repo.count_jobs(session, status=Status.FAILED)

    metrics.FAILED_JOBS.set(await anyio.to_thread.run_sync(failed))


class Reconciler:
    def __init__(self, runtime: Runtime, *, known_jobs: set[str]) -> None:
        self.runtime = runtime
        self.known_jobs = known_jobs
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reconciler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _prune(self) -> None:
        cutoff = utcnow() - OUTBOX_RETENTION
        self.runtime.db.run_write(lambda s: prune_outbox(s, before=cutoff))

    async def _run(self) -> None:
        interval = self.runtime.settings.reconcile_interval_seconds
        tick = min(GAUGE_SECONDS, interval)
        waited = 0.0
        while True:
            await asyncio.sleep(tick)
            waited += tick
            try:
                await refresh_gauges(self.runtime)
                if waited >= interval:
                    waited = 0.0
                    await reconcile_once(self.runtime, known_jobs=self.known_jobs)
                    await anyio.to_thread.run_sync(self._prune)
            except Exception:
                logger.exception("reconciliation failed; trying again next interval")
