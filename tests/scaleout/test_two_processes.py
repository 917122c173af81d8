"""Scale-out acceptance: two `orderflow serve` and two `orderflow worker` processes on PostgreSQL
and Redis complete 200 orders with no duplicate effects, and either API process reads a fresh
status right after the other one changed it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from orderflow.auth.tokens import issue_token
from orderflow.db.models import LedgerEntry, Order, SubOrder, TrackingEvent, Transfer
from orderflow.db.session import Database
from orderflow.payments import ledger
from tests.conftest import TEST_SECRET, make_settings
from tests.orders.factories import marketplace, order_payload
from tests.workers.conftest import clear_saq_tables
from tests.workers.test_crash import Process, _up, free_port, settled_orders, wait_for

pytestmark = pytest.mark.slow

ORDERS = 200


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_settings(database_url))
    yield database
    database.dispose()


@pytest.mark.parametrize("backend", ["postgres"])
def test_two_api_and_two_worker_processes_complete_200_orders_once_each(
    backend: str,
    database_url: str,
    db: Database,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    clear_saq_tables(database_url)
    env = {
        **os.environ,
        "ORDERFLOW_ENV": "test",
        "ORDERFLOW_DATABASE_URL": database_url,
        "ORDERFLOW_REDIS_URL": redis_url,
        "ORDERFLOW_REDIS_PREFIX": redis_prefix,
        "ORDERFLOW_JWT_SECRET": TEST_SECRET,
        "ORDERFLOW_LOG_JSON": "false",
        "ORDERFLOW_LOG_LEVEL": "WARNING",
        "ORDERFLOW_RUN_WORKER_IN_PROCESS": "false",
        "ORDERFLOW_OUTBOX_POLL_MS": "50",
    }
    shop = marketplace(db, beer_stock=10_000, wine_stock=10_000)
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    processes = [
        Process(f"serve-{i}", ["serve", "--port", str(p), "--no-migrate"], env, tmp_path)
        for i, p in enumerate(ports)
    ] + [Process(f"worker-{i}", ["worker"], env, tmp_path) for i in range(2)]
    try:
        for base, proc in zip(bases, processes, strict=False):
            wait_for(lambda b=base: _up(b), within=30, what=lambda p=proc: p.tail())
        customer = {
            "Authorization": f"Bearer {issue_token(TEST_SECRET, role='customer', sub='cus_alice')}"
        }

        def place(i: int) -> str:
            response = httpx.post(
                f"{bases[i % 2]}/v1/orders",
                json=order_payload(*shop.lines()),
                headers={**customer, "Idempotency-Key": f"scale-{i}"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        with ThreadPoolExecutor(8) as pool:
            placed = list(pool.map(place, range(ORDERS)))
        wait_for(
            lambda: settled_orders(db) == ORDERS,
            within=120,
            every=0.5,
            what=lambda: "\n".join(p.tail() for p in processes),
        )

        with db.read() as s:
            confirmed = Counter(
                s.scalars(
                    select(TrackingEvent.order_id).where(TrackingEvent.event == "order.confirmed")
                )
            )
            captures = Counter(
                order_id
                for order_id, _ in s.execute(
                    select(LedgerEntry.order_id, LedgerEntry.txn_key)
                    .where(LedgerEntry.kind == "capture")
                    .distinct()
                )
            )
            transfers = Counter(s.scalars(select(Transfer.sub_order_id)))
            sub_orders = set(s.scalars(select(SubOrder.id)))
            assert ledger.check(s) == []
            assert s.scalar(select(func.count()).select_from(Order)) == ORDERS
        assert confirmed == {order_id: 1 for order_id in placed}
        assert captures == {order_id: 1 for order_id in placed}
        assert transfers == {sub_order_id: 1 for sub_order_id in sub_orders}

        # A read through B right after a write through A sees the new status.
        for order_id in placed[:5]:
            before = httpx.get(f"{bases[1]}/v1/orders/{order_id}", headers=customer).json()
            assert before["status"] == "confirmed"
            cancel = httpx.post(
                f"{bases[0]}/v1/orders/{order_id}/cancel",
                json={"reason": "changed my mind"},
                headers=customer,
                timeout=30,
            )
            assert cancel.status_code == 200, cancel.text
            after = httpx.get(f"{bases[1]}/v1/orders/{order_id}", headers=customer).json()
            assert after["status"] == "cancelled"
    finally:
        for proc in processes:
            proc.terminate()
