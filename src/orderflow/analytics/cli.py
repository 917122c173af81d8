"""``orderflow analytics export``: the analytics log as CSV or JSON lines, with progress."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from orderflow.analytics.errors import InvalidPeriod
from orderflow.analytics.service import analytics_service
from orderflow.config import get_settings
from orderflow.db.session import Database
from orderflow.kit.clock import isoformat, utcnow

analytics_app = typer.Typer(
    help="The analytics log (one record per tracking event).", no_args_is_help=True
)
err = Console(stderr=True)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        err.print(f"[red]{option} must be an ISO 8601 date or time, not {value!r}[/red]")
        raise typer.Exit(2) from exc


@analytics_app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv | jsonl")] = "csv",
    start: Annotated[
        str | None, typer.Option("--from", help="Start (inclusive, ISO 8601); default to - 30 days")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="End (exclusive, ISO 8601); default now")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout")
    ] = None,
) -> None:
    """Export the analytics records of a period, oldest first."""
    if fmt not in ("csv", "jsonl"):
        err.print(f"[red]--format must be csv or jsonl, not {fmt!r}[/red]")
        raise typer.Exit(2)
    try:
        period = analytics_service.period(
            start=_when(start, "--from"), end=_when(end, "--to"), now=utcnow()
        )
    except InvalidPeriod as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    db = Database(get_settings())
    try:
        with db.read() as session:
            total = analytics_service.count(session, start=period[0], end=period[1])
        with db.read() as session:
            target: TextIO = out.open("w", encoding="utf-8") if out else sys.stdout
            try:
                written = _write(session, target, fmt, period, total)
            finally:
                if out:
                    target.close()
    finally:
        db.dispose()
    where = str(out) if out else "stdout"
    err.print(
        f"[green]{written} records[/green] from {isoformat(period[0])} to {isoformat(period[1])}"
        f" written to {where}"
    )


def _write(
    session: Session, target: TextIO, fmt: str, period: tuple[datetime, datetime], total: int
) -> int:
    written = 0
    with Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("export", total=total)
        for line in analytics_service.export_lines(
            session,
            start=period[0],
            end=period[1],
            fmt="csv" if fmt == "csv" else "jsonl",
        ):
            target.write(line)
            if not line.startswith("id,"):
                written += 1
                progress.advance(task)
    return written
