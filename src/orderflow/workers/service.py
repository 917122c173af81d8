"""The dead-letter view: list jobs by status and retry failed ones, on either queue."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from saq.job import Status
from sqlalchemy.orm import Session

from orderflow.config import Settings
from orderflow.kit.pagination import Cursor, Page
from orderflow.workers import repository as repo
from orderflow.workers.errors import JobNotFound, JobNotRetryable
from orderflow.workers.queue import COMPLETE_TTL_SECONDS
from orderflow.workers.schemas import JobView

RETRYABLE = (Status.FAILED.value, Status.ABORTED.value)


class JobService:
    def list(
        self, session: Session, *, status: Status | None, limit: int, cursor: str | None
    ) -> Page[JobView]:
        after = Cursor.decode(cursor).id if cursor else None
        rows = repo.list_jobs(session, status=status, after_key=after, limit=limit + 1)
        items = [to_view(row) for row in rows[:limit]]
        next_cursor = Cursor("", rows[limit - 1].key).encode() if len(rows) > limit else None
        return Page[JobView](items=items, next_cursor=next_cursor)

    def retry(self, session: Session, job_id: str, *, settings: Settings) -> JobView:
        """Queue a failed (or aborted) job again with a fresh set of attempts, due now."""
        stored = repo.get_job(session, job_id, for_update=True)
        if stored is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        if stored.status not in RETRYABLE:
            raise JobNotRetryable(
                f"job {job_id!r} is {stored.status}; only failed or aborted jobs can be retried"
            )
        data = dict(stored.data)
        scheduled = time.time()
        delays = settings.job_backoff_delays
        data.update(
            status=Status.QUEUED.value,
            attempts=0,
            error=None,
            started=0,
            completed=0,
            touched=int(scheduled * 1000),
            scheduled=scheduled,
            retries=max(settings.job_attempts, 1),
            retry_delay=delays[0] if delays else 0.0,
            ttl=COMPLETE_TTL_SECONDS,
            worker_id=None,
        )
        meta = {
            k: v
            for k, v in (data.get("meta") or {}).items()
            if k not in ("compensated", "compensation_error")
        }
        data["meta"] = meta
        repo.requeue(session, job_id, data, scheduled=scheduled)
        return to_view(repo.StoredJob(key=job_id, status=Status.QUEUED.value, data=data))


def to_view(stored: repo.StoredJob) -> JobView:
    data = stored.data
    meta: dict[str, Any] = data.get("meta") or {}
    return JobView(
        id=stored.key,
        function=str(data.get("function", "")),
        status=stored.status,
        attempts=int(data.get("attempts", 0)),
        max_attempts=int(data.get("retries", 1)),
        arguments=dict(data.get("kwargs") or {}),
        error=data.get("error"),
        compensated=meta.get("compensated"),
        queued_at=_from_ms(data.get("queued")),
        scheduled_at=_from_seconds(data.get("scheduled")),
        started_at=_from_ms(data.get("started")),
        completed_at=_from_ms(data.get("completed")),
    )


def _from_ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, UTC) if value else None


def _from_seconds(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


job_service = JobService()
