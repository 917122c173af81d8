"""Fixtures for the pipeline: a fast-clock runtime with a connected queue, test-only jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.runtime import Runtime, build_runtime
from orderflow.workers.errors import PermanentError
from orderflow.workers.lifecycle import connect_queue
from orderflow.workers.registry import Registry
from orderflow.workers.worker import JobWorker
from tests.conftest import make_settings

# Retry delays scaled down tenfold: 200 ms then 400 ms (production: 2 s then 4 s).
BASE_MS = 200


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        job_backoff_base_ms=BASE_MS,
        job_heartbeat_seconds=2,
        worker_sweep_seconds=1,
        outbox_poll_ms=50,
        worker_drain_seconds=5,
    )


def clear_saq_tables(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('saq_jobs') IS NOT NULL")).scalar():
            conn.execute(text("TRUNCATE saq_jobs, saq_stats"))
    engine.dispose()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    if not settings.is_sqlite:
        clear_saq_tables(settings.database_url)
    rt = build_runtime(settings, db=Database(settings))
    yield rt
    rt.close()


@pytest.fixture
async def queued_runtime(runtime: Runtime) -> AsyncIterator[Runtime]:
    """The runtime with ``runtime.queue`` connected (SQLite queue or saq's PostgreSQL queue)."""
    disconnect = await connect_queue(runtime)
    yield runtime
    await disconnect()


@dataclass
class Journal:
    """What the test jobs did, with monotonic timestamps (the worker runs in this process)."""

    runs: dict[str, list[float]] = field(default_factory=dict)
    compensations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str) -> int:
        with self.lock:
            self.runs.setdefault(name, []).append(time.monotonic())
            return len(self.runs[name])


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def registry(journal: Journal) -> Registry:
    """Test-only jobs: ``flaky`` fails twice then succeeds, ``broken`` always fails,
    ``refused`` raises PermanentError, ``doomed`` always fails and has no compensation,
    ``ok`` succeeds."""

    def flaky(runtime: Runtime, *, order_id: str) -> None:
        if journal.record(f"flaky:{order_id}") <= 2:
            raise RuntimeError("gateway timeout")

    def broken(runtime: Runtime, *, order_id: str) -> None:
        journal.record(f"broken:{order_id}")
        raise RuntimeError("still broken")

    def refused(runtime: Runtime, *, order_id: str) -> None:
        journal.record(f"refused:{order_id}")
        raise PermanentError("card declined")

    def doomed(runtime: Runtime, *, order_id: str) -> None:
        journal.record(f"doomed:{order_id}")
        raise RuntimeError("no way back")

    def ok(runtime: Runtime, *, order_id: str) -> None:
        journal.record(f"ok:{order_id}")

    def compensate(runtime: Runtime, *, reason: str, order_id: str) -> None:
        with journal.lock:
            journal.compensations.append((order_id, {"reason": reason}))

    return Registry(
        tasks={
            "test.flaky": flaky,
            "test.broken": broken,
            "test.refused": refused,
            "test.ok": ok,
            "test.doomed": doomed,
        },
        compensations={"test.broken": compensate, "test.refused": compensate},
    )


@pytest.fixture
async def worker(queued_runtime: Runtime, registry: Registry) -> AsyncIterator[JobWorker]:
    job_worker = JobWorker(queued_runtime, registry=registry, concurrency=4)
    await job_worker.start()
    yield job_worker
    await job_worker.stop(drain_seconds=2)
