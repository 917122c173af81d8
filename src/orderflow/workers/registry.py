"""Every job of every domain, wrapped for saq with the pipeline's retry and compensation policy.

Each domain's ``tasks.py`` exposes ``TASKS`` and ``COMPENSATIONS`` (name -> sync function taking
the runtime and ids, see docs/architecture.md). Here each task becomes a saq job function that:

- runs the sync task in a worker thread with the process's :class:`Runtime` (from saq's ctx),
  refreshing the job's heartbeat meanwhile so a live job is never swept;
- sets the delay before the next attempt to exactly ``base * 2**(attempt-1)`` (2 s, then 4 s by
  default; saq's own backoff adds random jitter, so we use a fixed ``retry_delay`` per attempt);
- on ``PermanentError`` or after the last attempt runs the task's compensation once, with
  ``reason=`` the error and the job's kwargs, and keeps the failed job (error, attempts) forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import anyio.to_thread
import structlog
from saq.job import Job
from saq.types import Context

from orderflow import metrics
from orderflow.config import Settings
from orderflow.logging import bind_order_id
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError
from orderflow.workers.queue import COMPLETE_TTL_SECONDS, KEEP_FOREVER

logger = logging.getLogger("orderflow.workers")

TaskFn = Callable[..., Any]
JobFunction = Callable[..., Awaitable[None]]
RUNTIME = "runtime"


@dataclass(frozen=True)
class Registry:
    tasks: Mapping[str, TaskFn]
    compensations: Mapping[str, TaskFn]


def load_registry() -> Registry:
    """Merge ``TASKS`` / ``COMPENSATIONS`` of every domain; a name defined twice is a bug."""
    from orderflow.changes import tasks as changes
    from orderflow.fulfillment import tasks as fulfillment
    from orderflow.notifications import tasks as notifications
    from orderflow.orders import tasks as orders
    from orderflow.payments import tasks as payments

    tasks: dict[str, TaskFn] = {}
    compensations: dict[str, TaskFn] = {}
    for module in (orders, payments, fulfillment, notifications, changes):
        for target, source in ((tasks, module.TASKS), (compensations, module.COMPENSATIONS)):
            for name, fn in source.items():
                if name in target:
                    raise RuntimeError(f"job {name!r} is registered by two domains")
                target[name] = fn
    unknown = set(compensations) - set(tasks)
    if unknown:
        raise RuntimeError(f"compensations without a task: {sorted(unknown)}")
    return Registry(tasks=tasks, compensations=compensations)


def retry_delay_after(settings: Settings, attempt: int) -> float:
    """Seconds between the failure of ``attempt`` (1-based) and the next attempt."""
    delays = settings.job_backoff_delays
    if not delays:
        return 0.0
    return delays[min(max(attempt, 1), len(delays)) - 1]


def job_functions(registry: Registry, settings: Settings) -> list[tuple[str, JobFunction]]:
    """``(name, saq job function)`` for every task, ready for ``saq.Worker(functions=...)``."""
    return [
        (name, _wrap(name, task, registry.compensations.get(name), settings))
        for name, task in registry.tasks.items()
    ]


def runtime_of(ctx: Context) -> Runtime:
    runtime = cast(dict[str, Any], ctx).get(RUNTIME)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("the worker context has no runtime (see workers/worker.py)")
    return runtime


def _wrap(name: str, task: TaskFn, compensation: TaskFn | None, settings: Settings) -> JobFunction:
    async def run(ctx: Context, **kwargs: Any) -> None:
        runtime = runtime_of(ctx)
        job = ctx["job"]
        structlog.contextvars.bind_contextvars(job=job.key, attempt=job.attempts)
        if isinstance(kwargs.get("order_id"), str):
            bind_order_id(kwargs["order_id"])
        job.retry_delay = retry_delay_after(settings, job.attempts)
        last = job.attempts >= job.retries
        # Kept forever if this attempt fails for good (a sweep of a dead worker included).
        job.ttl = KEEP_FOREVER if last else COMPLETE_TTL_SECONDS
        started = time.monotonic()
        try:
            async with _heartbeat(job, settings.job_heartbeat_seconds):
                await anyio.to_thread.run_sync(functools.partial(task, runtime, **kwargs))
        except PermanentError as exc:
            job.retries = job.attempts  # saq: not retryable, finish as failed now
            job.ttl = KEEP_FOREVER
            await _compensate(name, compensation, runtime, job, exc, kwargs)
            raise
        except Exception as exc:
            if last:
                await _compensate(name, compensation, runtime, job, exc, kwargs)
            else:
                logger.warning(
                    "job %s attempt %d/%d failed (%s); next attempt in %.1f s",
                    job.key,
                    job.attempts,
                    job.retries,
                    _reason(exc),
                    job.retry_delay,
                )
            raise
        finally:
            metrics.PIPELINE_STEP_SECONDS.labels(step=name).observe(time.monotonic() - started)
        job.ttl = COMPLETE_TTL_SECONDS

    run.__qualname__ = name
    return run


async def _compensate(
    name: str,
    compensation: TaskFn | None,
    runtime: Runtime,
    job: Job,
    exc: BaseException,
    kwargs: dict[str, Any],
) -> None:
    """Run the compensation once, before saq records the failure.

    A crash between the two leaves the job active; the sweep then aborts it (no attempt left)
    and the compensation, which must be idempotent like every task, may run again.
    """
    reason = _reason(exc)
    logger.error("job %s failed for good after %d attempt(s): %s", job.key, job.attempts, reason)
    # The dead-letter count is the FAILED_JOBS gauge (reconciler.refresh_gauges); an order's
    # own failure (declined, ...) is counted by its domain's compensation.
    if compensation is None:
        return
    try:
        await anyio.to_thread.run_sync(
            functools.partial(compensation, runtime, reason=reason, **kwargs)
        )
        job.meta["compensated"] = True
    except Exception:
        logger.exception("compensation of job %s (%s) failed", job.key, name)
        job.meta["compensated"] = False
        job.meta["compensation_error"] = traceback.format_exc(limit=5)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__


@contextlib.asynccontextmanager
async def _heartbeat(job: Job, every_seconds: int) -> AsyncIterator[None]:
    """Touch the stored job while the task runs, so the sweep knows its worker is alive."""
    if every_seconds <= 0:
        yield
        return
    interval = max(every_seconds / 3, 0.2)

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await job.update()
            except Exception:
                logger.warning("could not refresh the heartbeat of job %s", job.key)

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
