"""The analytics log (seed ``logAnalyticsEvent``): one record per tracking event, and reports.

``record`` runs inside ``tracking.repository.append_event`` (same transaction as the event).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from sqlalchemy.orm import Session

from orderflow.analytics import repository as repo
from orderflow.analytics.errors import InvalidPeriod
from orderflow.analytics.schemas import AnalyticsSummary, DeliveryTimes, HubCount, VendorCount
from orderflow.analytics.stats import percentile, rate
from orderflow.db.models import AnalyticsRecord
from orderflow.kit.clock import as_utc, isoformat
from orderflow.kit.ids import new_id
from orderflow.tracking.facts import OrderFacts

DEFAULT_PERIOD = timedelta(days=30)
EXPORT_FIELDS = (
    "id",
    "orderId",
    "sequence",
    "event",
    "customerId",
    "orderStatus",
    "deliveryType",
    "vendorIds",
    "hubIds",
    "total",
    "secondsSincePlaced",
    "occurredAt",
    "placedAt",
)
ExportFormat = Literal["csv", "jsonl"]


class AnalyticsService:
    def record(
        self, session: Session, *, facts: OrderFacts, event: str, sequence: int, now: datetime
    ) -> None:
        repo.insert_record(
            session,
            {
                "id": new_id("anl"),
                "order_id": facts.order_id,
                "sequence": sequence,
                "event": event,
                "customer_id": facts.customer_id,
                "order_status": facts.status_after(event),
                "delivery_type": facts.delivery_type,
                "vendor_ids": list(facts.vendor_ids),
                "hub_ids": list(facts.hub_ids),
                "total_amount": facts.total_amount,
                "seconds_since_placed": max((now - facts.placed_at).total_seconds(), 0.0),
                "occurred_at": now,
                "placed_at": facts.placed_at,
            },
        )

    def period(
        self, *, start: datetime | None, end: datetime | None, now: datetime
    ) -> tuple[datetime, datetime]:
        end = as_utc(end) if end else now
        start = as_utc(start) if start else end - DEFAULT_PERIOD
        if start >= end:
            raise InvalidPeriod(
                f"'from' ({isoformat(start)}) must be before 'to' ({isoformat(end)})"
            )
        return start, end

    def summary(
        self, session: Session, *, start: datetime | None, end: datetime | None, now: datetime
    ) -> AnalyticsSummary:
        """Orders placed in [from, to): their status now, hubs and vendors, cancellations;
        placement → delivery times of the orders delivered in the period."""
        start, end = self.period(start=start, end=end, now=now)
        placed = repo.placed_in(session, start, end)
        statuses = repo.latest_status(session, [r.order_id for r in placed])
        by_status = Counter(statuses.values())
        hubs: Counter[str] = Counter()
        vendors: Counter[str] = Counter()
        for record in placed:
            hubs.update(set(record.hub_ids))
            vendors.update(set(record.vendor_ids))
        seconds = repo.delivery_seconds(session, start, end)
        p50, p90 = percentile(seconds, 50), percentile(seconds, 90)
        cancelled = by_status.get("cancelled", 0)
        return AnalyticsSummary(
            from_=start,
            to=end,
            orders_placed=len(placed),
            orders_by_status=dict(sorted(by_status.items())),
            delivery_times=DeliveryTimes(
                count=len(seconds),
                p50_seconds=round(p50, 1) if p50 is not None else None,
                p90_seconds=round(p90, 1) if p90 is not None else None,
            ),
            per_hub=[HubCount(hub_id=h, orders=n) for h, n in sorted(hubs.items())],
            per_vendor=[VendorCount(vendor_id=v, orders=n) for v, n in sorted(vendors.items())],
            cancelled=cancelled,
            cancellation_rate=rate(cancelled, len(placed)),
        )

    def count(self, session: Session, *, start: datetime, end: datetime) -> int:
        return repo.count_in(session, start, end)

    def export_lines(
        self, session: Session, *, start: datetime, end: datetime, fmt: ExportFormat
    ) -> Iterator[str]:
        """The records of [start, end), oldest first: a CSV header then rows, or JSON lines."""
        if fmt == "csv":
            yield _csv_line(EXPORT_FIELDS)
        for record in repo.stream_in(session, start, end):
            row = export_row(record)
            if fmt == "csv":
                yield _csv_line([";".join(v) if isinstance(v, list) else v for v in row.values()])
            else:
                yield orjson.dumps(row).decode() + "\n"


def export_row(record: AnalyticsRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "orderId": record.order_id,
        "sequence": record.sequence,
        "event": record.event,
        "customerId": record.customer_id,
        "orderStatus": record.order_status,
        "deliveryType": record.delivery_type,
        "vendorIds": list(record.vendor_ids),
        "hubIds": list(record.hub_ids),
        "total": f"{record.total_amount / 100:.2f}",
        "secondsSincePlaced": round(record.seconds_since_placed, 3),
        "occurredAt": isoformat(record.occurred_at),
        "placedAt": isoformat(record.placed_at),
    }


def _csv_line(values: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


analytics_service = AnalyticsService()
