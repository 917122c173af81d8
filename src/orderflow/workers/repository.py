"""SQL on the job tables, for the dead-letter view: the same rows whichever queue stores them.

Both queues keep jobs in the app's database: saq's ``saq_jobs`` on PostgreSQL, our
``saq_sqlite_jobs`` on SQLite. Each row has the job's key, queue, status, scheduled time and the
job itself as saq serialises it (JSON of ``Job.to_dict()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from saq.job import Status
from sqlalchemy import Float, Integer, LargeBinary, String, TableClause, column, func, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from orderflow.workers.queue import QUEUE_NAME

_COMMON = (
    column("key", String),
    column("queue", String),
    column("status", String),
    column("job", LargeBinary),
    column("scheduled", Float),
    column("expire_at", Float),
)
_SQLITE = table("saq_sqlite_jobs", *_COMMON, column("attempts", Integer), column("error", String))
_POSTGRES = table("saq_jobs", *(column(c.name, c.type) for c in _COMMON))


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _jobs_table(session: Session) -> TableClause:
    return _SQLITE if _is_sqlite(session) else _POSTGRES


@dataclass(frozen=True)
class StoredJob:
    key: str
    status: str
    data: dict[str, Any]


def _stored(row: Any) -> StoredJob:
    raw = row.job
    data = json.loads(bytes(raw).decode() if not isinstance(raw, str) else raw)
    return StoredJob(key=row.key, status=row.status, data=data)


def list_jobs(
    session: Session, *, status: Status | None, after_key: str | None, limit: int
) -> list[StoredJob]:
    """Jobs of our queue ordered by key, after ``after_key``."""
    if not _has_table(session):
        return []
    t = _jobs_table(session)
    query = select(t.c.key, t.c.status, t.c.job).where(t.c.queue == QUEUE_NAME)
    if status is not None:
        query = query.where(t.c.status == status.value)
    if after_key is not None:
        query = query.where(t.c.key > after_key)
    rows = session.execute(query.order_by(t.c.key).limit(limit)).all()
    return [_stored(row) for row in rows]


def count_jobs(session: Session, *, status: Status) -> int:
    if not _has_table(session):
        return 0
    t = _jobs_table(session)
    query = (
        select(func.count())
        .select_from(t)
        .where(t.c.queue == QUEUE_NAME, t.c.status == status.value)
    )
    return int(session.execute(query).scalar_one())


def get_job(session: Session, key: str, *, for_update: bool = False) -> StoredJob | None:
    if not _has_table(session):
        return None
    t = _jobs_table(session)
    query = select(t.c.key, t.c.status, t.c.job).where(t.c.key == key, t.c.queue == QUEUE_NAME)
    if for_update and not _is_sqlite(session):
        query = query.with_for_update()
    row = session.execute(query).first()
    return None if row is None else _stored(row)


def requeue(session: Session, key: str, data: dict[str, Any], *, scheduled: float) -> None:
    """Store ``data`` as the job, queued at ``scheduled``, and wake PostgreSQL workers."""
    t = _jobs_table(session)
    values: dict[str, Any] = {
        "job": json.dumps(data).encode(),
        "status": Status.QUEUED.value,
        "scheduled": scheduled,
        "expire_at": None,
    }
    if _is_sqlite(session):
        values.update(attempts=0, error=None)
    session.execute(t.update().where(t.c.key == key).values(**values))
    if _is_sqlite(session):
        return  # SQLite workers poll
    # saq's PostgreSQL workers LISTEN on their queue's channel; delivered at commit.
    session.execute(sql_text(f"NOTIFY \"saq:{QUEUE_NAME}\", 'saq:enqueue'"))


def _has_table(session: Session) -> bool:
    # saq creates saq_jobs when a PostgreSQL queue first connects; before that there are no jobs.
    if _is_sqlite(session):
        return True
    found = session.execute(sql_text("SELECT to_regclass('saq_jobs') IS NOT NULL")).scalar()
    return bool(found)
