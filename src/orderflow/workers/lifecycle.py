"""Starting and stopping the pipeline: in the API process (lifespan) and in ``orderflow worker``.

API process (``start_pipeline``, a START_HOOK of api/app.py): connect the queue, start the outbox
dispatcher and the reconciler, and the saq worker when ``settings.run_worker_in_process``.

Worker process (``run_worker``): connect the queue, start the worker and the reconciler, and the
dispatcher when pub/sub is shared (Redis): in embedded mode events must be published by the API
process, whose in-memory pub/sub feeds the WebSocket clients. SIGTERM / SIGINT drain it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from orderflow.runtime import Runtime
from orderflow.workers.dispatcher import OutboxDispatcher
from orderflow.workers.queue import make_queue
from orderflow.workers.reconciler import Reconciler
from orderflow.workers.registry import Registry, load_registry
from orderflow.workers.worker import JobWorker

logger = logging.getLogger("orderflow.workers")

Stop = Callable[[], Awaitable[None]]


async def connect_queue(runtime: Runtime) -> Stop:
    """Set ``runtime.queue`` to a connected queue; returns the function that disconnects it."""
    if runtime.queue is not None:
        return _noop
    queue = make_queue(runtime.settings, db=runtime.db)
    await queue.connect()
    runtime.queue = queue

    async def disconnect() -> None:
        runtime.queue = None
        await queue.disconnect()

    return disconnect


async def start_background(
    runtime: Runtime,
    *,
    worker: bool,
    dispatcher: bool,
    registry: Registry | None = None,
    concurrency: int | None = None,
) -> Stop:
    """Start the chosen parts; the returned function stops them in a safe order."""
    registry = registry or load_registry()
    disconnect = await connect_queue(runtime)
    parts: list[Any] = []
    job_worker = None
    if dispatcher:
        parts.append(OutboxDispatcher(runtime))
    parts.append(Reconciler(runtime, known_jobs=set(registry.tasks)))
    if worker:
        job_worker = JobWorker(runtime, registry=registry, concurrency=concurrency)
    for part in parts:
        await part.start()
    if job_worker is not None:
        await job_worker.start()

    async def stop() -> None:
        # The worker first: jobs it finishes while draining write outbox rows, which the
        # dispatcher's final pass then sends.
        if job_worker is not None:
            await job_worker.stop()
        for part in reversed(parts):
            await part.stop()
        await disconnect()

    return stop


async def start_pipeline(app: Any, runtime: Runtime) -> Stop:
    """The API lifespan hook."""
    return await start_background(
        runtime, worker=runtime.settings.run_worker_in_process, dispatcher=True
    )


async def run_worker(
    runtime: Runtime, *, concurrency: int | None = None, dispatcher: bool | None = None
) -> None:
    """``orderflow worker``: run until SIGTERM / SIGINT, then drain and stop."""
    if dispatcher is None:
        dispatcher = runtime.settings.redis_url is not None
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await runtime.pubsub.start()
    stop = await start_background(
        runtime, worker=True, dispatcher=dispatcher, concurrency=concurrency
    )
    logger.info("orderflow worker running (dispatcher %s)", "on" if dispatcher else "off")
    try:
        await stopping.wait()
        logger.info("signal received: draining jobs in flight")
    finally:
        await stop()
        await runtime.pubsub.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def _noop() -> None:
    return None
