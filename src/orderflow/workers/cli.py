"""``orderflow worker`` and ``orderflow jobs list|retry`` (registered in orderflow/cli.py)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from saq.job import Status

from orderflow.config import get_settings
from orderflow.db.session import Database
from orderflow.errors import OrderflowError
from orderflow.kit.clock import isoformat
from orderflow.logging import configure_logging
from orderflow.runtime import build_runtime
from orderflow.workers.service import job_service

jobs_app = typer.Typer(help="Inspect and retry jobs (the dead-letter view).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs run at once (default: ORDERFLOW_WORKER_CONCURRENCY)")
    ] = None,
    dispatch: Annotated[
        bool | None,
        typer.Option(
            "--dispatch/--no-dispatch",
            help="Also run the outbox dispatcher (default: only with Redis pub/sub)",
        ),
    ] = None,
) -> None:
    """Run a job worker until SIGTERM / SIGINT, then drain the jobs in flight and exit."""
    from orderflow.workers.lifecycle import run_worker

    settings = get_settings()
    configure_logging(settings)
    runtime = build_runtime(settings)
    try:
        asyncio.run(run_worker(runtime, concurrency=concurrency, dispatcher=dispatch))
    finally:
        runtime.close()


@jobs_app.command("list")
def list_jobs(
    status: Annotated[
        Status | None, typer.Option(help="Only jobs in this state, e.g. failed")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    cursor: Annotated[str | None, typer.Option(help="Next page: the cursor printed below")] = None,
) -> None:
    """List jobs, by id (``--status failed``: the dead letters)."""
    db = Database(get_settings())
    try:
        with db.read() as session:
            page = job_service.list(session, status=status, limit=limit, cursor=cursor)
    except OrderflowError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    finally:
        db.dispose()
    table = Table("id", "function", "status", "attempts", "when", "error")
    for job in page.items:
        when = job.completed_at or job.started_at or job.scheduled_at
        last_line = (job.error or "").strip().splitlines()[-1:] or [""]
        table.add_row(
            job.id,
            job.function,
            job.status,
            f"{job.attempts}/{job.max_attempts}",
            isoformat(when) if when else "",
            last_line[0][:80],
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


@jobs_app.command("retry")
def retry_job(job_id: Annotated[str, typer.Argument(help="The job id (its key)")]) -> None:
    """Queue a failed job again, due now, with a fresh set of attempts."""
    settings = get_settings()
    db = Database(settings)
    try:
        job = db.run_write(lambda s: job_service.retry(s, job_id, settings=settings))
    except OrderflowError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    console.print(f"[green]{job.id}[/green] ({job.function}) queued again")
