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
        self.worker = DrainingWorker(
            runtime.queue,
            functions=job_functions(self.registry, settings),
            concurrency=concurrency or settings.worker_concurrency,
            timers=timers,
            shutdown_grace_period_s=0,
            drain_seconds=settings.worker_drain_seconds,
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
        if drain_seconds is not None:
            self.worker.drain_seconds = drain_seconds
        self.worker.event.set()  # saq's start() then calls our drain-first stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        logger.info("worker %s stopped", self.worker.id)


class DrainingWorker(Worker[Context]):
    """saq's worker, whose ``stop()`` first waits for the jobs in flight.

    saq's own grace period waits for *all* its tasks, idle ones included (a dequeue waiting for
    work, upkeep timers asleep for seconds), so it either cancels running jobs at once (grace 0)
    or always waits the whole grace period. Here: the stop event stops new process loops, running
    jobs may finish for ``drain_seconds``, then saq cancels what is left (re-queued as
    "cancelled"). A loop that claims a job while we drain runs it too, or sees it re-queued.
    """

    def __init__(self, *args: Any, drain_seconds: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drain_seconds = drain_seconds

    async def stop(self) -> None:
        self.event.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(self.drain_seconds, 0)
        while self.job_task_contexts and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # saq has no "job finished" event to wait on
        if self.job_task_contexts:
            logger.warning(
                "worker %s: %d job(s) still running after %.1f s; cancelling (they are retried)",
                self.id,
                len(self.job_task_contexts),
                self.drain_seconds,
            )
        await super().stop()
