"""Small waits for pipeline tests (polling with a deadline, never a blind sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from saq.job import Job, Status
from saq.queue.base import Queue


async def wait_for_job(queue: Queue, key: str, status: Status, *, within: float = 10.0) -> Job:
    deadline = time.monotonic() + within
    job = None
    while time.monotonic() < deadline:
        job = await queue.job(key)
        if job is not None and job.status == status:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {key} did not reach {status.value}: {job!r}")


async def wait_until(predicate: Callable[[], bool], *, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")
