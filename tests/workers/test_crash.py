"""Crash acceptance: ``kill -9`` the worker in the middle of payments, restart it, and every
order still reaches its final state exactly once (one capture, one confirmation, no stock leak).

Real processes: ``orderflow serve`` (dispatcher on, in-process worker off) and a separate
``orderflow worker``, on SQLite and on PostgreSQL, with the real order/payment/fulfillment jobs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from saq.job import Status
from sqlalchemy import func, select

from orderflow.auth.tokens import issue_token
from orderflow.db.models import LedgerEntry, Order, StockLevel, TrackingEvent
from orderflow.db.session import Database
from orderflow.workers import repository as jobs_repo
from tests.conftest import TEST_SECRET, make_settings
from tests.orders.factories import marketplace, order_payload
from tests.workers.conftest import clear_saq_tables

pytestmark = pytest.mark.slow

ORDERS = 40
STOCK = 1000
BIN = Path(sys.executable).parent / "orderflow"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen([str(BIN), *args], env=env, stdout=self.log, stderr=self.log)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return int(self.proc.returncode)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    if not database_url.startswith("sqlite"):
        clear_saq_tables(database_url)
    values = {
        "ORDERFLOW_ENV": "test",
        "ORDERFLOW_DATABASE_URL": database_url,
        "ORDERFLOW_JWT_SECRET": TEST_SECRET,
        "ORDERFLOW_LOG_JSON": "false",
        "ORDERFLOW_RUN_WORKER_IN_PROCESS": "false",
        "ORDERFLOW_JOB_BACKOFF_BASE_MS": "200",
        "ORDERFLOW_JOB_HEARTBEAT_SECONDS": "2",
        "ORDERFLOW_WORKER_SWEEP_SECONDS": "1",
        "ORDERFLOW_OUTBOX_POLL_MS": "50",
        "ORDERFLOW_REDIS_URL": "",
    }
    return {k: v for k, v in {**os.environ, **values}.items() if v != ""}


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(make_settings(database_url))
    yield database
    database.dispose()


def wait_for(
    predicate: Callable[[], bool], *, within: float, what: Callable[[], str], every: float = 0.05
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what()}")


def payment_jobs_running(db: Database) -> int:
    with db.read() as s:
        active = jobs_repo.list_jobs(s, status=Status.ACTIVE, after_key=None, limit=500)
    return sum(1 for job in active if job.data.get("function") == "payments.process")


def settled_orders(db: Database) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.status == "confirmed", Order.pipeline_step == "done")
            )
            or 0
        )


def test_killing_the_worker_mid_payment_loses_nothing_and_repeats_nothing(
    backend: str, db: Database, env: dict[str, str], tmp_path: Path
) -> None:
    shop = marketplace(db, beer_stock=STOCK, wine_stock=STOCK)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Process("serve", ["serve", "--port", str(port), "--no-migrate"], env, tmp_path)
    worker = Process("worker-1", ["worker", "--concurrency", "8"], env, tmp_path)
    restarted: Process | None = None
    try:
        wait_for(lambda: _up(base), within=30, what=lambda: f"the server\n{server.tail()}")
        token = issue_token(TEST_SECRET, role="customer", sub="cus_alice")
        placed: list[str] = []
        failures: list[str] = []

        def place_all() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
                for i in range(ORDERS):
                    r = c.post(
                        "/v1/orders",
                        json=order_payload(*shop.lines()),
                        headers={"Idempotency-Key": f"crash-{i}"},
                    )
                    if r.status_code == 201:
                        placed.append(r.json()["id"])
                    else:
                        failures.append(r.text)

        placing = threading.Thread(target=place_all)
        placing.start()
        wait_for(
            lambda: payment_jobs_running(db) > 0,
            within=30,
            every=0.005,
            what=lambda: f"a payment job to start\n{worker.tail()}",
        )
        worker.kill9()
        placing.join(60)
        assert failures == [] and len(placed) == ORDERS
        assert settled_orders(db) < ORDERS  # the kill left work behind

        restarted = Process("worker-2", ["worker", "--concurrency", "8"], env, tmp_path)
        wait_for(
            lambda: settled_orders(db) == ORDERS,
            within=90,
            what=lambda: f"every order to settle\n{_tail(restarted)}\n{server.tail()}",
        )

        with db.read() as s:
            confirmed = Counter(
                s.scalars(
                    select(TrackingEvent.order_id).where(TrackingEvent.event == "order.confirmed")
                )
            )
            captures = Counter(
                order_id
                for order_id, _key in s.execute(
                    select(LedgerEntry.order_id, LedgerEntry.txn_key)
                    .where(LedgerEntry.kind == "capture")
                    .distinct()
                )
            )
            balance = s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)))
            stock = {
                row.variant_id: (row.on_hand, row.reserved)
                for row in s.execute(
                    select(StockLevel.variant_id, StockLevel.on_hand, StockLevel.reserved)
                )
            }
            failed_jobs = jobs_repo.list_jobs(s, status=Status.FAILED, after_key=None, limit=10)
        assert confirmed == {order_id: 1 for order_id in placed}
        assert captures == {order_id: 1 for order_id in placed}
        assert balance == 0
        assert stock[shop.beer.id] == (STOCK, 2 * ORDERS)
        assert stock[shop.wine.id] == (STOCK, 1 * ORDERS)
        assert failed_jobs == []
    finally:
        codes = {p.name: p.terminate() for p in (restarted, server) if p is not None}
        if worker.proc.poll() is None:
            worker.terminate()
    # Both drained and exited cleanly (uvicorn re-raises SIGTERM after its graceful shutdown).
    assert codes["worker-2"] == 0
    assert codes["serve"] in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.tail()


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _tail(process: Process | None) -> str:
    return "" if process is None else process.tail()
