"""The worker's lifecycle: graceful drain, and the pipeline started by the API lifespan."""

from __future__ import annotations

import json
import threading
import time

from fastapi.testclient import TestClient
from saq.job import Status

from orderflow.api.app import create_app
from orderflow.config import Settings
from orderflow.runtime import Runtime, build_runtime
from orderflow.workers import outbox
from orderflow.workers.queue import new_job
from orderflow.workers.registry import Registry
from orderflow.workers.worker import JobWorker
from tests.conftest import make_settings
from tests.workers.helpers import wait_until


class TestGracefulStop:
    async def test_a_job_in_flight_finishes_before_the_worker_stops(
        self, queued_runtime: Runtime
    ) -> None:
        started = threading.Event()

        def slow(runtime: Runtime, *, order_id: str) -> None:
            started.set()
            time.sleep(0.5)

        worker = JobWorker(queued_runtime, registry=Registry({"test.slow": slow}, {}))
        await worker.start()
        job = new_job(queued_runtime.settings, "test.slow", key="slow:1", kwargs={"order_id": "1"})
        await queued_runtime.queue.enqueue(job)
        await wait_until(started.is_set)

        await worker.stop(drain_seconds=5)

        stored = await queued_runtime.queue.job("slow:1")
        assert stored is not None and stored.status == Status.COMPLETE

    async def test_a_job_still_running_after_the_drain_time_is_queued_again(
        self, queued_runtime: Runtime
    ) -> None:
        started = threading.Event()

        def stuck(runtime: Runtime, *, order_id: str) -> None:
            started.set()
            time.sleep(1.5)

        worker = JobWorker(queued_runtime, registry=Registry({"test.stuck": stuck}, {}))
        await worker.start()
        job = new_job(
            queued_runtime.settings, "test.stuck", key="stuck:1", kwargs={"order_id": "1"}
        )
        await queued_runtime.queue.enqueue(job)
        await wait_until(started.is_set)

        await worker.stop(drain_seconds=0.1)

        stored = await queued_runtime.queue.job("stuck:1")
        assert stored is not None and stored.status == Status.QUEUED
        assert stored.error == "cancelled"


class TestLifespan:
    def test_serve_runs_the_dispatcher_and_worker_and_stops_them_cleanly(
        self, database_url: str
    ) -> None:
        settings: Settings = make_settings(database_url, run_worker_in_process=True)
        runtime = build_runtime(settings)
        app = create_app(runtime=runtime)
        received: list[bytes] = []
        try:
            with TestClient(app):
                assert runtime.queue is not None
                runtime.pubsub.subscribe("order:ord_l", lambda _c, m: received.append(m))
                runtime.db.run_write(
                    lambda s: outbox.add_publish(s, "order:ord_l", {"e": 1}, order_id="ord_l")
                )
                deadline = time.monotonic() + 2
                while not received and time.monotonic() < deadline:
                    time.sleep(0.01)
                started = time.monotonic()
            assert time.monotonic() - started < 3  # shutdown does not wait on idle timers
            assert [json.loads(m) for m in received] == [{"e": 1}]
            assert runtime.queue is None
        finally:
            runtime.close()
