"""The reconciler re-enqueues the job of an order stuck in a pipeline step, with its key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from saq.job import Status
from sqlalchemy import update

from orderflow.db.models import Order
from orderflow.kit.clock import utcnow
from orderflow.kit.ids import new_id
from orderflow.runtime import Runtime
from orderflow.workers.queue import new_job
from orderflow.workers.reconciler import STEP_JOBS, reconcile_once
from tests.factories import address

ALL_JOBS = {function for function, _ in STEP_JOBS.values()}


@pytest.fixture
def order_id(queued_runtime: Runtime) -> str:
    """A bare pending order row (the reconciler reads only its status and pipeline columns)."""
    order = Order(
        id=new_id("ord"),
        display_id="OF-REC1",
        customer_id="cus_alice",
        delivery_type="standard",
        shipping_address=address(),
        billing_address=address(),
        payment_method_id="pm_card_visa",
    )
    queued_runtime.db.run_write(lambda s: s.add(order))
    return order.id


def stuck_in(rt: Runtime, order_id: str, step: str, *, minutes_ago: int = 30) -> str:
    rt.db.run_write(
        lambda s: s.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(
                pipeline_step=step,
                pipeline_updated_at=utcnow() - timedelta(minutes=minutes_ago),
            )
        )
    )
    _, template = STEP_JOBS[step]
    return template.format(order_id=order_id)


class TestReconciler:
    @pytest.mark.parametrize("step", ["validate", "pay", "fulfil"])
    async def test_an_order_stuck_in_a_step_gets_that_steps_job_again(
        self, queued_runtime: Runtime, order_id: str, step: str
    ) -> None:
        key = stuck_in(queued_runtime, order_id, step)

        enqueued = await reconcile_once(queued_runtime, known_jobs=ALL_JOBS)

        assert enqueued == [key]
        job = await queued_runtime.queue.job(key)
        assert job is not None and job.status == Status.QUEUED
        assert job.function == STEP_JOBS[step][0]
        assert job.kwargs == {"order_id": order_id}

    async def test_an_order_that_moved_recently_is_left_alone(
        self, queued_runtime: Runtime, order_id: str
    ) -> None:
        stuck_in(queued_runtime, order_id, "pay", minutes_ago=1)

        assert await reconcile_once(queued_runtime, known_jobs=ALL_JOBS) == []

    async def test_a_job_already_queued_is_not_duplicated(
        self, queued_runtime: Runtime, order_id: str
    ) -> None:
        stuck_in(queued_runtime, order_id, "pay")
        await reconcile_once(queued_runtime, known_jobs=ALL_JOBS)

        assert await reconcile_once(queued_runtime, known_jobs=ALL_JOBS) == []

    async def test_a_completed_job_is_enqueued_again_but_a_dead_letter_is_not(
        self, queued_runtime: Runtime, order_id: str
    ) -> None:
        rt = queued_runtime
        key = stuck_in(rt, order_id, "pay")
        job = new_job(rt.settings, "payments.process", key=key, kwargs={"order_id": order_id})
        await rt.queue.enqueue(job)
        await job.finish(Status.COMPLETE)

        assert await reconcile_once(rt, known_jobs=ALL_JOBS) == [key]

        again = await rt.queue.job(key)
        assert again is not None and again.status == Status.QUEUED
        await again.finish(Status.FAILED, error="declined")
        assert await reconcile_once(rt, known_jobs=ALL_JOBS) == []

    async def test_a_step_whose_job_is_not_deployed_is_skipped(
        self, queued_runtime: Runtime, order_id: str
    ) -> None:
        stuck_in(queued_runtime, order_id, "validate")

        assert await reconcile_once(queued_runtime, known_jobs={"payments.process"}) == []


class TestGauges:
    async def test_queue_depth_and_dead_letters_are_exported(self, queued_runtime: Runtime) -> None:
        from orderflow import metrics
        from orderflow.workers.reconciler import refresh_gauges

        rt = queued_runtime
        for i in range(3):
            await rt.queue.enqueue(new_job(rt.settings, "test.ok", key=f"g{i}", kwargs={}))
        dead = new_job(rt.settings, "test.ok", key="g-dead", kwargs={})
        await rt.queue.enqueue(dead)
        await dead.finish(Status.FAILED, error="boom")

        await refresh_gauges(rt)

        assert metrics.QUEUE_DEPTH._value.get() == 3
        assert metrics.FAILED_JOBS._value.get() == 1
