"""The analytics log: a record per tracking event, the admin summary and the CSV/JSONL export."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from orderflow.cli import app as cli
from orderflow.config import get_settings
from orderflow.db.models import AnalyticsRecord
from orderflow.db.session import Database
from orderflow.kit.clock import as_utc, isoformat
from orderflow.tracking.repository import append_event
from tests.orders.factories import Marketplace, line, marketplace, order_payload, place_order


@pytest.fixture
def shop(db: Database) -> Marketplace:
    return marketplace(db)


def records(db: Database, order_id: str) -> list[AnalyticsRecord]:
    with db.read() as session:
        rows = list(
            session.scalars(
                select(AnalyticsRecord)
                .where(AnalyticsRecord.order_id == order_id)
                .order_by(AnalyticsRecord.sequence)
            )
        )
        session.expunge_all()
        return rows


def at(db: Database, order_id: str, event: str, after: timedelta, **data: Any) -> None:
    """Append ``event`` ``after`` the order was placed."""
    placed = as_utc(records(db, order_id)[0].placed_at)
    with db.write() as session:
        append_event(
            session,
            order_id=order_id,
            event=event,
            title=event,
            description="",
            data=data,
            now=placed + after,
        )


class TestOneRecordPerEvent:
    def test_placing_an_order_records_its_vendors_hubs_and_delivery_type(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines(), deliveryType="express"))
        (record,) = records(db, order["id"])
        assert record.event == "order.placed"
        assert record.sequence == 1
        assert record.order_status == "pending"
        assert record.delivery_type == "express"
        assert sorted(record.vendor_ids) == sorted([shop.brand.id, shop.distributor.id])
        assert record.hub_ids == [shop.hub.id]
        assert record.customer_id == "cus_alice"
        assert record.seconds_since_placed < 5

    def test_later_events_record_the_status_they_announce_and_the_time_since_placement(
        self, customer: TestClient, shop: Marketplace, db: Database
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        at(db, order["id"], "order.location", timedelta(minutes=50), lat=41.9, lng=-87.6)
        at(db, order["id"], "order.delivered", timedelta(hours=1))
        location, delivered = records(db, order["id"])[1:]
        assert location.order_status == "pending"  # a location update does not change it
        assert delivered.order_status == "delivered"
        assert delivered.seconds_since_placed == pytest.approx(3600)


class TestSummary:
    @pytest.fixture
    def three_orders(self, customer: TestClient, shop: Marketplace, db: Database) -> list[str]:
        ids = [place_order(customer, order_payload(line(shop.beer)))["id"] for _ in range(3)]
        at(db, ids[0], "order.delivered", timedelta(hours=1))
        at(db, ids[1], "order.delivered", timedelta(hours=3))
        at(db, ids[2], "order.cancelled", timedelta(minutes=5), reason="changed my mind")
        return ids

    def test_reports_statuses_delivery_times_hubs_vendors_and_cancellations(
        self, admin: TestClient, three_orders: list[str], shop: Marketplace
    ) -> None:
        now = datetime.now().astimezone()
        response = admin.get(
            "/v1/analytics/summary",
            params={
                "from": isoformat(now - timedelta(days=1)),
                "to": isoformat(now + timedelta(days=1)),
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ordersPlaced"] == 3
        assert body["ordersByStatus"] == {"cancelled": 1, "delivered": 2}
        assert body["deliveryTimes"] == {"count": 2, "p50Seconds": 7200.0, "p90Seconds": 10080.0}
        assert body["perHub"] == [{"hubId": shop.hub.id, "orders": 3}]
        assert body["perVendor"] == [{"vendorId": shop.brand.id, "orders": 3}]
        assert body["cancelled"] == 1
        assert body["cancellationRate"] == pytest.approx(0.3333)

    def test_a_period_without_orders_is_empty(
        self, admin: TestClient, three_orders: list[str]
    ) -> None:
        body = admin.get(
            "/v1/analytics/summary",
            params={"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"},
        ).json()
        assert body["ordersPlaced"] == 0
        assert body["deliveryTimes"]["p50Seconds"] is None
        assert body["cancellationRate"] == 0

    def test_from_after_to_is_a_422_problem(self, admin: TestClient) -> None:
        response = admin.get(
            "/v1/analytics/summary",
            params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_period"

    def test_only_the_admin_may_read_it(self, customer: TestClient) -> None:
        assert customer.get("/v1/analytics/summary").status_code == 403


class TestExport:
    @pytest.fixture
    def cli_env(self, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.setenv("ORDERFLOW_DATABASE_URL", database_url)
        get_settings.cache_clear()
        yield
        get_settings.cache_clear()

    def test_exports_csv_to_a_file(
        self,
        customer: TestClient,
        shop: Marketplace,
        db: Database,
        cli_env: None,
        tmp_path: Path,
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        at(db, order["id"], "order.delivered", timedelta(hours=2))
        out = tmp_path / "analytics.csv"
        period = ["--from", "2020-01-01", "--to", "2100-01-01"]
        args = ["analytics", "export", "--format", "csv", *period, "--out", str(out)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(out.open()))
        assert [r["event"] for r in rows] == ["order.placed", "order.delivered"]
        assert rows[1]["secondsSincePlaced"] == "7200.0"
        assert rows[0]["vendorIds"].count(";") == 1

    def test_exports_json_lines_to_stdout(
        self, customer: TestClient, shop: Marketplace, cli_env: None
    ) -> None:
        order = place_order(customer, order_payload(*shop.lines()))
        result = CliRunner().invoke(cli, ["analytics", "export", "--format", "jsonl"])
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert [(r["orderId"], r["event"]) for r in lines] == [(order["id"], "order.placed")]

    def test_an_unknown_format_is_refused(self, cli_env: None) -> None:
        result = CliRunner().invoke(cli, ["analytics", "export", "--format", "xml"])
        assert result.exit_code == 2
