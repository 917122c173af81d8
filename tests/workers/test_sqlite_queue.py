"""Our SQLite queue keeps saq's semantics: durable jobs, key dedupe, dead workers swept."""

from __future__ import annotations

import pytest
from saq.job import Status

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.workers.queue import new_job
from orderflow.workers.sqlite_queue import SQLiteQueue


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def open_queue(settings: Settings) -> tuple[SQLiteQueue, Database]:
    db = Database(settings)
    queue = SQLiteQueue(db, name="orderflow", poll_interval=0.02)
    await queue.connect()
    return queue, db


class TestSQLiteQueue:
    async def test_a_queued_job_survives_a_restart(self, settings: Settings) -> None:
        queue, db = await open_queue(settings)
        await queue.enqueue(new_job(settings, "test.ok", key="k1", kwargs={"order_id": "o1"}))
        await queue.disconnect()
        db.dispose()

        reopened, db2 = await open_queue(settings)
        job = await reopened.dequeue(timeout=1)

        assert job is not None and job.key == "k1" and job.kwargs == {"order_id": "o1"}
        assert (await reopened.job("k1")).status == Status.ACTIVE  # type: ignore[union-attr]
        db2.dispose()

    async def test_enqueueing_a_key_that_is_queued_or_active_is_a_no_op(
        self, settings: Settings
    ) -> None:
        queue, db = await open_queue(settings)
        assert await queue.enqueue(new_job(settings, "test.ok", key="k2", kwargs={})) is not None
        assert await queue.enqueue(new_job(settings, "test.ok", key="k2", kwargs={})) is None
        await queue.dequeue(timeout=1)
        assert await queue.enqueue(new_job(settings, "test.ok", key="k2", kwargs={})) is None
        assert await queue.count("incomplete") == 1
        db.dispose()

    async def test_two_queues_on_one_file_never_claim_the_same_job(
        self, settings: Settings
    ) -> None:
        a, db_a = await open_queue(settings)
        b, db_b = await open_queue(settings)
        for i in range(20):
            await a.enqueue(new_job(settings, "test.ok", key=f"k{i:02}", kwargs={}))

        claimed = []
        for _ in range(10):
            for queue in (a, b):
                job = await queue.dequeue(timeout=0.5)
                assert job is not None
                claimed.append(job.key)

        assert sorted(claimed) == [f"k{i:02}" for i in range(20)]
        assert await a.dequeue(timeout=0.1) is None
        db_a.dispose()
        db_b.dispose()

    async def test_a_job_whose_worker_went_silent_is_swept_back_to_the_queue(
        self, settings: Settings
    ) -> None:
        queue, db = await open_queue(settings)
        job = new_job(settings, "test.ok", key="k3", kwargs={})
        job.heartbeat = 1
        await queue.enqueue(job)
        claimed = await queue.dequeue(timeout=1)
        assert claimed is not None
        claimed.attempts = 1
        claimed.touched -= 5_000  # its worker died 5 s ago (saq times are in ms)
        await queue._update(claimed, status=Status.ACTIVE)  # update() would touch it now

        assert await queue.sweep() == ["k3"]

        swept = await queue.job("k3")
        assert swept is not None and swept.status == Status.QUEUED
        assert swept.error == "swept"
        db.dispose()

    async def test_a_silent_job_on_its_last_attempt_is_aborted_not_retried(
        self, settings: Settings
    ) -> None:
        queue, db = await open_queue(settings)
        job = new_job(settings, "test.ok", key="k4", kwargs={})
        job.heartbeat = 1
        await queue.enqueue(job)
        claimed = await queue.dequeue(timeout=1)
        assert claimed is not None
        claimed.attempts = claimed.retries
        claimed.touched -= 5_000
        await queue._update(claimed, status=Status.ACTIVE)

        await queue.sweep()

        swept = await queue.job("k4")
        assert swept is not None and swept.status == Status.ABORTED
        db.dispose()
