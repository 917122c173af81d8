"""The saq worker that runs the jobs, in the API process (embedded) or on its own (production).

``JobWorker`` owns a ``saq.Worker`` on the runtime's queue and stops it gracefully: no new job is
taken, jobs in flight may finish for ``settings.worker_drain_seconds``, then the rest are
cancelled (saq re-queues them; every task is safe to run again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from saq import Worker
from saq.types import Context, PartialTimersDict

from orderflow.runtime import Runtime
from orderflow.workers.registry import RUNTIME, Registry, job_functions, load_registry

logger = logging.getLogger("orderflow.workers")


class JobWorker:
    def __init__(
        self,
        runtime: Runtime,
        *,
        registry: Registry | None = None,
        concurrency: int | None = None,
    ) -> None:
        if runtime.queue is None:
            raise RuntimeError("runtime.queue is not set; connect the queue first")
        settings = runtime.settings
        self.runtime = runtime
        self.registry = registry or load_registry()
        timers = cast(PartialTimersDict, {"sweep": settings.worker_sweep_seconds})
        self.worker: Worker[Context] = Worker(
            runtime.queue,
            functions=job_functions(self.registry, settings),
            concurrency=concurrency or settings.worker_concurrency,
            timers=timers,
            shutdown_grace_period_s=0,
            cancellation_hard_deadline_s=5.0,
        )
        # We own the signals (uvicorn does in the API process; the CLI drains on its own).
        self.worker.SIGNALS = []
        cast(dict[str, Any], self.worker.context)[RUNTIME] = runtime
        self._task: asyncio.Task[None] | None = None

    @property
    def id(self) -> str:
        return self.worker.id

    async def start(self) -> None:
        self._task = asyncio.create_task(self.worker.start(), name="orderflow-worker")
        await asyncio.sleep(0)  # let saq set up its stop event before anyone may stop us
        logger.info(
            "worker %s started: %d job types, concurrency %d",
            self.worker.id,
            len(self.registry.tasks),
            self.worker.concurrency,
        )

    async def stop(self, drain_seconds: float | None = None) -> None:
        """Take no new job, let running jobs finish (up to the drain time), then stop."""
        if self._task is None:
            return
        grace = (
            self.runtime.settings.worker_drain_seconds if drain_seconds is None else drain_seconds
        )
        # Setting the event makes saq start no new process loop; the ones waiting on the queue
        # are cancelled below (a job they claim meanwhile is swept back by a live worker).
        self.worker.event.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(grace, 0)
        while self.worker.job_task_contexts and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # saq has no "job finished" event to wait on
        if self.worker.job_task_contexts:
            logger.warning(
                "worker %s: %d job(s) still running after %.0f s; cancelling (they will be "
                "retried)",
                self.worker.id,
                len(self.worker.job_task_contexts),
                grace,
            )
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        logger.info("worker %s stopped", self.worker.id)
