"""saq's ``Queue`` interface on the app's SQLite file (table ``saq_sqlite_jobs``).

The embedded deployment has no PostgreSQL and no Redis, so jobs live in the same SQLite file as
the orders: they survive a restart, and several processes (``orderflow serve`` and any number of
``orderflow worker``) share them. Semantics follow saq's PostgreSQL queue:

- ``enqueue`` with a key that is queued or active is a no-op (returns ``None``); a terminal job
  (complete, failed, aborted) with that key is replaced only when the new one is scheduled later.
- Claiming a job is one ``BEGIN IMMEDIATE`` transaction, so two processes never claim the same
  job. SQLite has no LISTEN/NOTIFY: workers poll (a cheap read first) and are woken at once by
  enqueues and retries made in their own process.
- ``sweep`` deletes expired terminal jobs and re-queues active jobs whose heartbeat stopped
  (their worker died), or aborts them when no attempt is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar, cast

import anyio.to_thread
from saq.job import Job, Status
from saq.queue.base import Queue
from saq.types import CountKind, QueueInfo, WorkerInfo
from saq.utils import now, now_seconds
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from orderflow.db.models import QueuedJob
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow

logger = logging.getLogger("orderflow.workers.queue")

T = TypeVar("T")

TERMINAL = ("aborted", "complete", "failed")
_table = cast(Table, QueuedJob.__table__)


class SQLiteQueue(Queue):
    """A saq queue stored in ``saq_sqlite_jobs`` through the app's :class:`Database`."""

    def __init__(self, db: Database, *, name: str = "default", poll_interval: float = 0.1) -> None:
        super().__init__(name=name, dump=None, load=None)
        self.db = db
        self.poll_interval = poll_interval
        self._wake: asyncio.Event | None = None
        self._dequeue_lock: asyncio.Lock | None = None
        self._workers: dict[str, tuple[float, WorkerInfo]] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def __repr__(self) -> str:
        return f"SQLiteQueue<name={self.name}>"

    # ------------------------------------------------------------ plumbing

    async def connect(self) -> None:
        await super().connect()
        self._wake = asyncio.Event()
        self._dequeue_lock = asyncio.Lock()

    async def disconnect(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    async def _write(self, fn: Callable[[Session], T]) -> T:
        return await anyio.to_thread.run_sync(self.db.run_write, fn)

    async def _read(self, fn: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.db.read() as session:
                return fn(session)

        return await anyio.to_thread.run_sync(run)

    def _wake_soon(self, delay: float = 0.0) -> None:
        """Wake this process's waiting dequeue now, or after ``delay`` seconds (a retry)."""
        if self._wake is None:
            return
        wake = self._wake
        if delay <= 0:
            self.loop.call_soon_threadsafe(wake.set)
            return
        handle = self.loop.call_later(delay, wake.set)
        self._timers.add(handle)
        self.loop.call_later(delay + 0.01, self._timers.discard, handle)

    def _values(self, job: Job, status: Status | str | None = None) -> dict[str, Any]:
        return {
            "queue": self.name,
            "function": job.function,
            "status": str(Status(status or job.status).value),
            "job": _as_bytes(self.serialize(job)),
            "scheduled": float(job.scheduled or 0),
            "worker_id": job.worker_id,
            "attempts": job.attempts,
            "error": job.error,
            "updated_at": utcnow(),
        }

    def _decode(self, payload: bytes, status: str) -> Job:
        job = self.deserialize(payload, status)
        assert job is not None
        return job

    # ------------------------------------------------------------ enqueue / dequeue

    async def _enqueue(self, job: Job) -> Job | None:
        job.scheduled = job.scheduled or now_seconds()  # type: ignore[assignment]
        values = self._values(job)

        def write(session: Session) -> bool:
            row = session.execute(
                select(_table.c.status, _table.c.scheduled).where(_table.c.key == job.key)
            ).first()
            if row is None:
                session.execute(
                    _table.insert().values(key=job.key, created_at=values["updated_at"], **values)
                )
                return True
            if row.status in TERMINAL and values["scheduled"] > row.scheduled:
                session.execute(
                    update(_table).where(_table.c.key == job.key).values(expire_at=None, **values)
                )
                return True
            return False

        if not await self._write(write):
            return None
        logger.info("Enqueuing %s", job.info())
        self._wake_soon(max(0.0, float(job.scheduled) - now_seconds()))
        return job

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109
        assert self._wake is not None and self._dequeue_lock is not None, "connect() first"
        interval = poll_interval or self.poll_interval
        deadline = time.monotonic() + timeout if timeout > 0 else None
        try:
            # One poller per process; the others wait their turn on the lock.
            async with self._dequeue_lock:
                while True:
                    self._wake.clear()
                    job = await self._claim()
                    if job is not None:
                        return job
                    wait = interval
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                        if wait <= 0:
                            return None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
        except asyncio.CancelledError:
            return None

    async def _claim(self) -> Job | None:
        def ready(session: Session) -> bool:
            return (
                session.execute(self._ready_query().with_only_columns(_table.c.key)).first()
                is not None
            )

        if not await self._read(ready):
            return None

        def claim(session: Session) -> Job | None:
            row = session.execute(self._ready_query()).first()
            if row is None:
                return None
            job = self._decode(row.job, "active")
            job.started = job.touched = now()
            session.execute(
                update(_table)
                .where(_table.c.key == job.key)
                .values(**self._values(job, Status.ACTIVE))
            )
            return job

        return await self._write(claim)

    def _ready_query(self) -> Any:
        return (
            select(_table.c.key, _table.c.job)
            .where(
                _table.c.queue == self.name,
                _table.c.status == "queued",
                _table.c.scheduled <= now_seconds(),
            )
            .order_by(_table.c.scheduled, _table.c.key)
            .limit(1)
        )

    # ------------------------------------------------------------ state changes

    async def _update(self, job: Job, status: Status | None = None, **kwargs: Any) -> None:
        expire_at = kwargs.pop("expire_at", -1)

        def write(session: Session) -> None:
            current = status
            if current is None:
                found = session.execute(
                    select(_table.c.status).where(_table.c.key == job.key)
                ).scalar_one_or_none()
                current = Status(found) if found else job.status
            job.status = current
            values = self._values(job, current)
            if expire_at != -1:
                values["expire_at"] = expire_at
            session.execute(update(_table).where(_table.c.key == job.key).values(**values))

        await self._write(write)

    async def _retry(self, job: Job, error: str | None) -> None:
        delay = job.next_retry_delay()
        scheduled = now_seconds() + delay if delay else (job.scheduled or now_seconds())
        await self.update(job, status=Status.QUEUED, scheduled=scheduled, expire_at=None)
        self._wake_soon(delay)

    async def _finish(
        self,
        job: Job,
        status: Status,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        if job.ttl >= 0:
            expire_at = now_seconds() + job.ttl if job.ttl > 0 else None
            await self.update(job, status=status, expire_at=expire_at)
            return

        def write(session: Session) -> None:
            session.execute(delete(_table).where(_table.c.key == job.key))

        await self._write(write)

    async def abort(self, job: Job, error: str, ttl: float = 5) -> None:
        stored = await self.job(job.key)
        if stored is None or stored.status == Status.QUEUED:
            await self.finish(job, Status.ABORTED, error=error)
        else:
            await self.update(job, status=Status.ABORTING, error=error)

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """Drop expired terminal jobs; re-queue (or abort) active jobs whose worker went silent.

        One write transaction, so two processes sweeping at once cannot both act on a job.
        """
        error = self.swept_error_message

        def write(session: Session) -> list[tuple[Job, bool]]:
            session.execute(
                delete(_table).where(
                    _table.c.queue == self.name,
                    _table.c.status.in_(TERMINAL),
                    _table.c.expire_at.is_not(None),
                    _table.c.expire_at <= now_seconds(),
                )
            )
            rows = session.execute(
                select(_table.c.key, _table.c.job, _table.c.status).where(
                    _table.c.queue == self.name, _table.c.status.in_(("active", "aborting"))
                )
            ).all()
            swept: list[tuple[Job, bool]] = []
            for row in rows:
                job = self._decode(row.job, row.status)
                if not job.stuck:
                    continue
                retry = job.retryable
                job.error = error
                job.touched = now()
                if retry:
                    job.status = Status.QUEUED
                    job.started = job.completed = 0
                    delay = job.next_retry_delay()
                    job.scheduled = now_seconds() + delay  # type: ignore[assignment]
                    values = self._values(job)
                    values["expire_at"] = None
                else:
                    job.status = Status.ABORTED
                    job.completed = now()
                    values = self._values(job)
                    values["expire_at"] = None if job.ttl <= 0 else now_seconds() + job.ttl
                session.execute(update(_table).where(_table.c.key == job.key).values(**values))
                swept.append((job, retry))
            return swept

        swept = await self._write(write)
        for job, retried in swept:
            logger.info("Swept %s (%s)", job.info(), "retried" if retried else "aborted")
            if retried:
                self.retried += 1
                self._wake_soon(max(0.0, float(job.scheduled) - now_seconds()))
            else:
                self.aborted += 1
        return [job.key for job, _ in swept]

    # ------------------------------------------------------------ reads

    async def job(self, job_key: str) -> Job | None:
        def read(session: Session) -> Job | None:
            row = session.execute(
                select(_table.c.job, _table.c.status).where(
                    _table.c.key == job_key, _table.c.queue == self.name
                )
            ).first()
            return None if row is None else self._decode(row.job, row.status)

        return await self._read(read)

    async def jobs(self, job_keys: Iterable[str]) -> list[Job | None]:
        keys = list(job_keys)

        def read(session: Session) -> list[Job | None]:
            rows = session.execute(
                select(_table.c.key, _table.c.job, _table.c.status).where(
                    _table.c.key.in_(keys), _table.c.queue == self.name
                )
            ).all()
            found = {row.key: self._decode(row.job, row.status) for row in rows}
            return [found.get(key) for key in keys]

        return await self._read(read)

    async def iter_jobs(
        self,
        statuses: list[Status] = list(Status),  # noqa: B006 (saq's signature)
        batch_size: int = 100,
    ) -> AsyncIterator[Job]:
        wanted = [str(Status(s).value) for s in statuses]
        last_key = ""
        while True:

            def read(session: Session, after: str = last_key) -> list[Job]:
                rows = session.execute(
                    select(_table.c.key, _table.c.job, _table.c.status)
                    .where(
                        _table.c.queue == self.name,
                        _table.c.status.in_(wanted),
                        _table.c.key > after,
                    )
                    .order_by(_table.c.key)
                    .limit(batch_size)
                ).all()
                return [self._decode(row.job, row.status) for row in rows]

            batch = await self._read(read)
            if not batch:
                return
            for job in batch:
                last_key = job.key
                yield job

    async def count(self, kind: CountKind) -> int:
        def read(session: Session) -> int:
            query = select(func.count()).select_from(_table).where(_table.c.queue == self.name)
            if kind == "queued":
                query = query.where(
                    _table.c.status == "queued", _table.c.scheduled <= now_seconds()
                )
            elif kind == "active":
                query = query.where(_table.c.status == "active")
            elif kind == "incomplete":
                query = query.where(_table.c.status.in_(("new", "queued", "active")))
            else:
                raise ValueError(f"Can't count unknown type {kind}")
            return int(session.execute(query).scalar_one())

        return await self._read(read)

    async def info(self, jobs: bool = False, offset: int = 0, limit: int = 10) -> QueueInfo:
        current = time.time()
        workers = {wid: info for wid, (expires, info) in self._workers.items() if expires > current}
        queued = await self.count("queued")
        active = await self.count("active")
        incomplete = await self.count("incomplete")
        jobs_info: list[dict[str, Any]] = []
        if jobs:
            async for job in self.iter_jobs([Status.NEW, Status.QUEUED, Status.ACTIVE]):
                jobs_info.append(job.to_dict())
            jobs_info = jobs_info[offset : offset + limit]
        return {
            "workers": workers,
            "name": self.name,
            "queued": queued,
            "active": active,
            "scheduled": incomplete - queued - active,
            "jobs": jobs_info,
        }

    async def write_worker_info(self, worker_id: str, info: WorkerInfo, ttl: int) -> None:
        # Embedded mode: worker stats stay in the process (nothing reads them across processes).
        self._workers[worker_id] = (time.time() + ttl, info)


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
