"""Outbox, idempotency records and the embedded (SQLite) job queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderflow.db.base import Base
from orderflow.kit.clock import utcnow


class OutboxMessage(Base):
    """A side effect committed with the state change that caused it, dispatched after commit.

    ``kind``: job (enqueue ``payload['function']`` with key ``dedupe_key``) | publish (tracking
    fan-out) | invalidate (cache keys).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "available_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(120))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dispatched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first response to a POST carrying an Idempotency-Key, per caller and route."""

    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueuedJob(Base):
    """saq jobs for the embedded SQLite queue (workers/sqlite_queue.py)."""

    __tablename__ = "saq_sqlite_jobs"
    __table_args__ = (
        Index("ix_saq_sqlite_jobs_dequeue", "queue", "status", "scheduled"),
        Index("ix_saq_sqlite_jobs_function_status", "function", "status"),
    )

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    function: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    job: Mapped[bytes] = mapped_column(LargeBinary)
    scheduled: Mapped[float] = mapped_column(default=0.0)
    expire_at: Mapped[float | None]
    worker_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
