"""The job queue: saq's PostgreSQL queue in production, our SQLite queue in embedded mode.

``make_queue(settings)`` picks one from the database URL. Both keep jobs in the app's database,
so a job survives a restart, and both use the same job options (``new_job``): attempts, exact
retry delays, heartbeat, timeout and how long finished jobs are kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from psycopg.sql import SQL
from saq.job import Job, Status
from saq.queue.base import Queue
from saq.queue.postgres import ENQUEUE, PostgresQueue
from saq.utils import now_seconds

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.workers.sqlite_queue import SQLiteQueue

logger = logging.getLogger("orderflow.workers.queue")

QUEUE_NAME = "orderflow"
# Completed jobs are kept a day (their key then still dedupes a late re-dispatch); a job that
# failed its last attempt is kept until an admin retries it (ttl 0 = forever in saq).
COMPLETE_TTL_SECONDS = 24 * 3600
KEEP_FOREVER = 0


def make_queue(settings: Settings, *, db: Database | None = None) -> Queue:
    """The queue for ``settings.database_url``; call ``await queue.connect()`` before use.

    SQLite: pass the process's ``db`` so queue writes share its writer lock.
    """
    if settings.is_sqlite:
        return SQLiteQueue(db or Database(settings), name=QUEUE_NAME)
    return PostgresJobQueue(
        url=postgres_conninfo(settings.database_url),
        name=QUEUE_NAME,
        min_size=1,
        max_size=settings.worker_concurrency + 4,
    )


def postgres_conninfo(url: str) -> str:
    """psycopg wants ``postgresql://``; SQLAlchemy URLs may name the driver."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def new_job(settings: Settings, function: str, *, key: str, kwargs: dict[str, Any]) -> Job:
    """A job with the pipeline's options. The retry delay is set per attempt by the worker."""
    delays = settings.job_backoff_delays
    return Job(
        function=function,
        key=key,
        kwargs=kwargs,
        retries=max(settings.job_attempts, 1),
        retry_delay=delays[0] if delays else 0.0,
        retry_backoff=False,
        timeout=settings.job_timeout_seconds,
        heartbeat=settings.job_heartbeat_seconds,
        ttl=COMPLETE_TTL_SECONDS,
        scheduled=now_seconds(),  # type: ignore[arg-type]  # saq stores seconds; ours are exact
    )


async def enqueue_once(
    queue: Queue, settings: Settings, function: str, *, key: str, kwargs: dict[str, Any]
) -> Job | None:
    """Enqueue unless a job with ``key`` exists in any state; returns the new job or ``None``.

    saq alone would replace a finished job with the same key (PostgreSQL: when scheduled
    later), re-running a completed job or a dead letter on every re-dispatch; checking first
    makes a repeated dispatch of the same outbox row harmless.
    """
    if await queue.job(key) is not None:
        return None
    return await queue.enqueue(new_job(settings, function, key=key, kwargs=kwargs))


async def enqueue_again(
    queue: Queue, settings: Settings, function: str, *, key: str, kwargs: dict[str, Any]
) -> Job | None:
    """Enqueue even over a completed or aborted job with ``key`` (the reconciler's re-kick).

    A queued or active job is left alone (saq's dedupe); a failed job is a dead letter and is
    retried only by an admin.
    """
    existing = await queue.job(key)
    if existing is not None and existing.status not in (Status.COMPLETE, Status.ABORTED):
        return None
    job = new_job(settings, function, key=key, kwargs=kwargs)
    if existing is not None:
        # saq replaces a finished job only with one scheduled later than it.
        job.scheduled = max(job.scheduled, existing.scheduled + 0.001)  # type: ignore[assignment]
    return await queue.enqueue(job)


class PostgresJobQueue(PostgresQueue):
    """saq's PostgreSQL queue with exact retry delays and a quicker sweep.

    saq stores ``scheduled`` as whole seconds and learns of a due retry only on its next
    schedule tick (1 s), so a 2 s delay would be anything from 1 s to 3 s. We store seconds as
    ``double precision`` and notify the workers when a retry falls due.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: set[asyncio.Handle | asyncio.Task[None]] = set()

    async def init_db(self) -> None:
        await super().init_db()
        async with self.pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute(
                SQL(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = %(table)s AND column_name = 'scheduled' "
                    "AND table_schema = current_schema()"
                ),
                {"table": self.jobs_table.as_string(conn).strip('"')},
            )
            row = await cursor.fetchone()
            if row is not None and row[0] != "double precision":
                await cursor.execute(
                    SQL(
                        "ALTER TABLE {} ALTER COLUMN scheduled TYPE double precision, "
                        "ALTER COLUMN scheduled SET DEFAULT EXTRACT(EPOCH FROM NOW())"
                    ).format(self.jobs_table)
                )

    async def disconnect(self) -> None:
        for pending in self._pending:
            pending.cancel()
        self._pending.clear()
        await super().disconnect()

    async def sweep(self, lock: int = 60, abort: float = 1.0) -> list[str]:
        # A stuck job's worker is gone (we heartbeat live jobs): wait 1 s, not 5 s, per job
        # for a live worker to acknowledge the abort.
        return await super().sweep(lock, abort)

    async def _retry(self, job: Job, error: str | None) -> None:
        delay = job.next_retry_delay()
        scheduled = now_seconds() + delay if delay else (job.scheduled or now_seconds())
        await self.update(job, status=Status.QUEUED, scheduled=scheduled, expire_at=None)
        if delay:
            handle = self.loop.call_later(delay, self._notify_due)
            self._pending.add(handle)
            self.loop.call_later(delay + 0.01, self._pending.discard, handle)

    def _notify_due(self) -> None:
        task = asyncio.ensure_future(self._notify(ENQUEUE))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
