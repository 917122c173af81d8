"""The ``orderflow`` command line: serve, worker, migrate, demo, token, jobs, ledger, bench."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from orderflow.analytics.cli import analytics_app
from orderflow.config import get_settings
from orderflow.payments.cli import ledger_app
from orderflow.workers.cli import jobs_app
from orderflow.workers.cli import worker as worker_command

app = typer.Typer(help="orderflow: the order lifecycle service.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")
app.command("worker")(worker_command)
app.add_typer(jobs_app, name="jobs")
app.add_typer(ledger_app, name="ledger")
console = Console()
err = Console(stderr=True)


@app.command()
def migrate() -> None:
    """Apply the database migrations (safe to run on every deploy)."""
    from orderflow.db.migrate import upgrade

    settings = get_settings()
    with console.status(f"migrating {_redact(settings.database_url)} ..."):
        upgrade(settings.database_url)
    console.print("[green]database is at the latest revision[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="HTTP worker processes (PostgreSQL only)")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Run the HTTP API (and, in embedded mode, the job worker in the same process)."""
    import uvicorn

    from orderflow.db.migrate import upgrade

    settings = get_settings()
    if migrate_first:
        upgrade(settings.database_url)
    if workers > 1 and settings.is_sqlite:
        err.print("[yellow]--workers > 1 needs PostgreSQL; serving with one process[/yellow]")
        workers = 1
    uvicorn.run(
        "orderflow.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def token(
    role: Annotated[str, typer.Option(help="customer | vendor | hub | courier | admin")],
    sub: Annotated[str, typer.Option(help="Subject: the customer id, user id ...")],
    vendor_id: Annotated[str | None, typer.Option("--vendor-id")] = None,
    hub_id: Annotated[str | None, typer.Option("--hub-id")] = None,
    ttl_hours: Annotated[int, typer.Option(help="Lifetime in hours")] = 24,
) -> None:
    """Print a bearer token for the configured secret."""
    from datetime import timedelta

    from orderflow.auth.principal import ROLES
    from orderflow.auth.tokens import issue_token

    if role not in ROLES:
        err.print(f"[red]unknown role {role!r}[/red]; use one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    try:
        value = issue_token(
            get_settings().jwt_secret,
            role=role,  # type: ignore[arg-type]
            sub=sub,
            vendor_id=vendor_id,
            hub_id=hub_id,
            ttl=timedelta(hours=ttl_hours),
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    print(value)


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Run the API after")] = False,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    reset: Annotated[bool, typer.Option("--reset", help="Wipe the database first")] = False,
) -> None:
    """Load a Chicago demo marketplace (idempotent), print URLs and tokens, optionally serve."""
    from orderflow import demo as demo_data

    settings = get_settings()
    demo_data.run(settings, console=console, reset=reset, base_url=f"http://{host}:{port}")
    if serve:
        import uvicorn

        uvicorn.run(
            "orderflow.api.asgi:app",
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            access_log=False,
        )


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":
    app()
