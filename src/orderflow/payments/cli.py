"""``orderflow ledger check``: every order's ledger must balance (see orderflow/cli.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from orderflow.config import get_settings
from orderflow.db.session import Database
from orderflow.kit.money import to_dollars
from orderflow.payments import ledger

ledger_app = typer.Typer(help="Check the double-entry ledger.", no_args_is_help=True)
console = Console()

BATCH = 500


@ledger_app.command("check")
def check(
    order: Annotated[str | None, typer.Option("--order", help="Check only this order")] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Default: ORDERFLOW_DATABASE_URL")
    ] = None,
) -> None:
    """List every movement whose legs do not sum to zero; exit 1 if there is any."""
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    db = Database(settings)
    try:
        imbalances, checked = _check(db, order)
    finally:
        db.dispose()
    if not imbalances:
        console.print(f"[green]ledger balanced[/green] ({checked} order(s) checked)")
        return
    table = Table(title=f"{len(imbalances)} unbalanced movement(s)")
    table.add_column("order")
    table.add_column("movement")
    table.add_column("off by", justify="right")
    for item in imbalances:
        table.add_row(item.order_id, item.txn_key or "", f"{to_dollars(item.amount)}")
    console.print(table)
    raise typer.Exit(code=1)


def _check(db: Database, order: str | None) -> tuple[list[ledger.Imbalance], int]:
    with db.read() as session:
        if order is not None:
            return ledger.check(session, order), 1
        order_ids = ledger.order_ids(session)
        found: list[ledger.Imbalance] = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("checking orders", total=len(order_ids))
            for start in range(0, len(order_ids), BATCH):
                batch = order_ids[start : start + BATCH]
                found += ledger.check(session, order_ids=batch)
                progress.advance(task, len(batch))
        return found, len(order_ids)
