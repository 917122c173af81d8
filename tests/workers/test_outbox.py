"""The transactional outbox: side effects leave only after commit, once, whoever dispatches."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from saq.job import Status
from sqlalchemy import func, select

from orderflow.db.models import OutboxMessage
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow
from orderflow.runtime import Runtime, build_runtime
from orderflow.workers import outbox
from orderflow.workers.dispatcher import OutboxDispatcher, claim
from orderflow.workers.queue import new_job
from tests.conftest import make_settings
from tests.workers.helpers import wait_for_job, wait_until


class Boom(Exception):
    pass


def published(runtime: Runtime, channel: str) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = []
    runtime.pubsub.subscribe(channel, lambda _c, m: messages.append(json.loads(m)))
    return messages


def pending_rows(db: Database) -> int:
    with db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.dispatched_at.is_(None))
            )
            or 0
        )


class TestAfterCommit:
    async def test_a_rolled_back_transaction_leaves_no_job_event_or_invalidation(
        self, queued_runtime: Runtime
    ) -> None:
        rt = queued_runtime
        events = published(rt, "order:ord_rb")
        rt.cache.set("order:ord_rb", b"cached", 60)
        with pytest.raises(Boom), rt.db.write() as s:
            outbox.add_job(s, "test.ok", key="ok:ord_rb", order_id="ord_rb")
            outbox.add_publish(s, "order:ord_rb", {"event": "order.placed"}, order_id="ord_rb")
            outbox.add_invalidate(s, ["order:ord_rb"], order_id="ord_rb")
            raise Boom

        assert await OutboxDispatcher(rt).dispatch_once() == 0
        with rt.db.read() as s:
            assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await rt.queue.job("ok:ord_rb") is None
        assert events == []
        assert rt.cache.get("order:ord_rb") == b"cached"

    async def test_committed_rows_enqueue_publish_and_invalidate_then_are_marked(
        self, queued_runtime: Runtime
    ) -> None:
        rt = queued_runtime
        events = published(rt, "order:ord_1")
        rt.cache.set("order:ord_1", b"cached", 60)
        with rt.db.write() as s:
            outbox.add_job(s, "test.ok", key="ok:ord_1", order_id="ord_1")
            outbox.add_publish(s, "order:ord_1", {"event": "order.placed"}, order_id="ord_1")
            outbox.add_invalidate(s, ["order:ord_1"], order_id="ord_1")

        assert await OutboxDispatcher(rt).dispatch_once() == 3

        job = await rt.queue.job("ok:ord_1")
        assert job is not None and job.function == "test.ok"
        assert job.kwargs == {"order_id": "ord_1"}
        assert job.retries == 3
        assert events == [{"event": "order.placed"}]
        assert rt.cache.get("order:ord_1") is None
        assert pending_rows(rt.db) == 0

    async def test_dispatching_a_job_key_again_does_not_run_a_finished_job_twice(
        self, queued_runtime: Runtime
    ) -> None:
        rt = queued_runtime
        job = new_job(rt.settings, "test.ok", key="ok:ord_2", kwargs={"order_id": "ord_2"})
        await rt.queue.enqueue(job)
        await job.finish(Status.FAILED, error="dead letter")
        with rt.db.write() as s:
            outbox.add_job(s, "test.ok", key="ok:ord_2", order_id="ord_2")

        await OutboxDispatcher(rt).dispatch_once()

        stored = await rt.queue.job("ok:ord_2")
        assert stored is not None and stored.status == Status.FAILED
        assert pending_rows(rt.db) == 0


class TestLeases:
    async def test_two_dispatchers_racing_dispatch_every_row_exactly_once(
        self, queued_runtime: Runtime
    ) -> None:
        rt = queued_runtime
        # A second "process": its own engine and connections on the same database.
        other = build_runtime(rt.settings, db=Database(rt.settings))
        other.pubsub = rt.pubsub
        other.queue = rt.queue
        events = published(rt, "race")
        for batch in range(6):
            with rt.db.write() as s:
                for i in range(10):
                    n = batch * 10 + i
                    outbox.add_publish(s, "race", {"n": n}, order_id=None)
                    outbox.add_job(s, "test.ok", key=f"ok:race{n}", order_id=f"race{n}")

        a = OutboxDispatcher(rt, batch_size=7)
        b = OutboxDispatcher(other, batch_size=7)

        async def drain(d: OutboxDispatcher) -> None:
            while await d.dispatch_once():
                continue

        try:
            await asyncio.gather(drain(a), drain(b), drain(a), drain(b))
        finally:
            other.db.dispose()

        assert sorted(e["n"] for e in events) == list(range(60))  # type: ignore[type-var]
        assert pending_rows(rt.db) == 0
        with rt.db.read() as s:
            attempts = s.scalars(select(OutboxMessage.attempts)).all()
        assert set(attempts) == {1}

    async def test_rows_leased_by_a_crashed_dispatcher_are_taken_over_when_the_lease_ends(
        self, queued_runtime: Runtime
    ) -> None:
        rt = queued_runtime
        events = published(rt, "order:ord_3")
        with rt.db.write() as s:
            outbox.add_publish(s, "order:ord_3", {"event": "order.placed"}, order_id="ord_3")
        # A dispatcher claimed the row and died; its lease is still running, then runs out.
        now = utcnow()
        rt.db.run_write(
            lambda s: claim(s, now=now, lease_until=now + timedelta(seconds=30), limit=10)
        )
        assert await OutboxDispatcher(rt).dispatch_once() == 0

        rt.db.run_write(
            lambda s: s.execute(
                OutboxMessage.__table__.update().values(lease_until=now - timedelta(seconds=1))
            )
        )
        assert await OutboxDispatcher(rt).dispatch_once() == 1
        assert events == [{"event": "order.placed"}]


class TestWakeUp:
    async def test_a_commit_in_this_process_wakes_the_dispatcher_before_its_next_poll(
        self, database_url: str
    ) -> None:
        settings = make_settings(database_url, outbox_poll_ms=10_000)
        rt = build_runtime(settings)
        from orderflow.workers.lifecycle import connect_queue

        disconnect = await connect_queue(rt)
        dispatcher = OutboxDispatcher(rt)
        await dispatcher.start()
        try:
            await asyncio.sleep(0.05)  # the first (empty) pass is done; next poll in 10 s
            events = published(rt, "order:ord_4")
            started = time.monotonic()
            await asyncio.to_thread(
                rt.db.run_write,
                lambda s: outbox.add_publish(s, "order:ord_4", {"e": 1}, order_id="ord_4"),
            )
            await wait_until(lambda: bool(events), within=2)
            assert time.monotonic() - started < 1
        finally:
            await dispatcher.stop()
            await disconnect()
            rt.close()


class TestEndToEnd:
    async def test_a_job_committed_by_a_writer_runs_on_the_worker(
        self, queued_runtime: Runtime, worker: object
    ) -> None:
        rt = queued_runtime
        dispatcher = OutboxDispatcher(rt)
        await dispatcher.start()
        try:
            await asyncio.to_thread(
                rt.db.run_write,
                lambda s: outbox.add_job(s, "test.ok", key="ok:ord_5", order_id="ord_5"),
            )
            await wait_for_job(rt.queue, "ok:ord_5", Status.COMPLETE)
        finally:
            await dispatcher.stop()
