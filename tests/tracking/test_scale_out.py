"""Two API processes on PostgreSQL + Redis: an event produced on one reaches clients of the other.

Real ``uvicorn`` subprocesses; the test process only drives them over HTTP/WebSocket (and
confirms the order the way the payments job does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.sync.client import connect

from orderflow.auth.tokens import issue_token
from orderflow.db.migrate import upgrade
from orderflow.db.session import Database
from tests.conftest import (
    PG_ADMIN_URL,
    PG_HOST,
    PG_PORT,
    TEST_SECRET,
    make_settings,
    require_service,
)
from tests.fulfillment.factories import confirm
from tests.orders.factories import marketplace, order_payload
from tests.tracking.conftest import free_port
from tests.tracking.sse import frames, read

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


@dataclass
class Process:
    base_url: str
    ws_url: str
    proc: subprocess.Popen[bytes]


def start(database_url: str, redis_url: str, prefix: str) -> Process:
    port = free_port()
    env = {
        **os.environ,
        "ORDERFLOW_ENV": "test",
        "ORDERFLOW_DATABASE_URL": database_url,
        "ORDERFLOW_REDIS_URL": redis_url,
        "ORDERFLOW_REDIS_PREFIX": prefix,
        "ORDERFLOW_JWT_SECRET": TEST_SECRET,
        "ORDERFLOW_RUN_WORKER_IN_PROCESS": "false",
        "ORDERFLOW_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "orderflow.api.asgi:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"API process exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Process(base, f"ws://127.0.0.1:{port}", proc)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("API process did not start")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database shared by the API processes of one test."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = f"orderflow_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def processes(pg_url: str, redis_url: str, redis_prefix: str) -> Iterator[list[Process]]:
    started = [start(pg_url, redis_url, redis_prefix) for _ in range(2)]
    yield started
    for process in started:
        process.proc.terminate()
    for process in started:
        try:
            process.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.proc.kill()


def bearer(role: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, role=role, sub=sub)}"}  # type: ignore[arg-type]


def sequences(ws: Any, n: int) -> list[tuple[int, str]]:
    out = []
    while len(out) < n:
        message = json.loads(ws.recv(timeout=10))
        if message["event"] != "heartbeat":
            out.append((message["sequence"], message["event"]))
    return out


class TestTwoApiProcesses:
    def test_clients_of_one_process_follow_transitions_made_on_the_other(
        self, processes: list[Process], pg_url: str
    ) -> None:
        a, b = processes
        db = Database(make_settings(pg_url))
        try:
            shop = marketplace(db)
            api_b = httpx.Client(base_url=b.base_url, timeout=10)
            placed = api_b.post(
                "/v1/orders",
                json=order_payload(*shop.lines()),
                headers=bearer("customer", "cus_alice"),
            )
            assert placed.status_code == 201, placed.text
            order = placed.json()
            confirm(db, order["id"])
        finally:
            db.dispose()
        fulfillment = order["fulfillments"][0]["id"]

        def step(to: str, **extra: Any) -> None:
            response = api_b.post(
                f"/v1/fulfillments/{fulfillment}/transitions",
                json={"to": to, **extra},
                headers=bearer("admin", "ops"),
            )
            assert response.status_code == 200, response.text

        token = issue_token(TEST_SECRET, role="customer", sub="cus_alice")
        ws_url = f"{a.ws_url}/v1/orders/{order['id']}/ws?token={token}"
        with connect(ws_url + "&after=0") as ws:
            assert sequences(ws, 2) == [(1, "order.placed"), (2, "order.confirmed")]
            step("processing")
            assert sequences(ws, 1) == [(3, "order.processing")]

        # Missed while disconnected: exactly these, in order, then live again.
        step("packed")
        step("picked_up", courierId="cou_1")
        with connect(ws_url + "&after=3") as ws:
            assert sequences(ws, 2) == [(4, "order.packed"), (5, "order.picked_up")]
            step("in_transit")
            assert sequences(ws, 1) == [(6, "order.in_transit")]

        # The same over SSE, resuming from Last-Event-ID.
        headers = {**bearer("customer", "cus_alice"), "Last-Event-ID": "4"}
        with httpx.stream(
            "GET", f"{a.base_url}/v1/orders/{order['id']}/stream", headers=headers, timeout=15
        ) as response:
            stream = frames(response)
            assert [i for i, _ in read(stream, 2)] == ["5", "6"]
            step("out_for_delivery")
            ((event_id, body),) = read(stream, 1)
        assert (event_id, body["event"]) == ("7", "order.out_for_delivery")
