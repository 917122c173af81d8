"""SQL of the analytics log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from orderflow.db.models import AnalyticsRecord


def insert_record(session: Session, values: dict[str, Any]) -> None:
    session.execute(insert(AnalyticsRecord).values(**values))


def in_period(start: datetime, end: datetime) -> Any:
    return (AnalyticsRecord.occurred_at >= start) & (AnalyticsRecord.occurred_at < end)


def placed_in(session: Session, start: datetime, end: datetime) -> list[AnalyticsRecord]:
    return list(
        session.scalars(
            select(AnalyticsRecord).where(
                AnalyticsRecord.event == "order.placed", in_period(start, end)
            )
        )
    )


def latest_status(session: Session, order_ids: list[str]) -> dict[str, str]:
    """Each order's status as of its latest record."""
    out: dict[str, str] = {}
    for chunk in _chunks(order_ids, 500):
        latest = (
            select(AnalyticsRecord.order_id, func.max(AnalyticsRecord.sequence).label("seq"))
            .where(AnalyticsRecord.order_id.in_(chunk))
            .group_by(AnalyticsRecord.order_id)
            .subquery()
        )
        rows = session.execute(
            select(AnalyticsRecord.order_id, AnalyticsRecord.order_status).join(
                latest,
                (AnalyticsRecord.order_id == latest.c.order_id)
                & (AnalyticsRecord.sequence == latest.c.seq),
            )
        )
        out.update({r.order_id: r.order_status for r in rows})
    return out


def delivery_seconds(session: Session, start: datetime, end: datetime) -> list[float]:
    return [
        float(v)
        for v in session.scalars(
            select(AnalyticsRecord.seconds_since_placed).where(
                AnalyticsRecord.event == "order.delivered", in_period(start, end)
            )
        )
    ]


def count_in(session: Session, start: datetime, end: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(AnalyticsRecord).where(in_period(start, end))
        )
        or 0
    )


def stream_in(
    session: Session, start: datetime, end: datetime, *, batch: int = 1000
) -> Iterator[AnalyticsRecord]:
    query = (
        select(AnalyticsRecord)
        .where(in_period(start, end))
        .order_by(AnalyticsRecord.occurred_at, AnalyticsRecord.id)
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(query)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
