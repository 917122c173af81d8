"""``orderflow ledger check``."""

from __future__ import annotations

from typer.testing import CliRunner

from orderflow.cli import app
from orderflow.db.models import LedgerEntry
from orderflow.kit.clock import utcnow
from orderflow.payments.tasks import process_payment
from orderflow.runtime import Runtime
from tests.payments.factories import brand_and_distributor, create_order


def paid_order(runtime: Runtime) -> str:
    brand, distributor = brand_and_distributor(runtime.db)
    placed = create_order(runtime.db, lines=[(brand, 1_000, 2), (distributor, 500, 2)])
    process_payment(runtime, order_id=placed.id)
    return placed.id


class TestLedgerCheck:
    def test_a_balanced_ledger_exits_zero(self, runtime: Runtime) -> None:
        paid_order(runtime)
        paid_order(runtime)
        result = CliRunner().invoke(
            app, ["ledger", "check", "--database-url", runtime.settings.database_url]
        )
        assert result.exit_code == 0, result.output
        assert "ledger balanced" in result.output and "2 order(s)" in result.output

    def test_an_unbalanced_movement_is_listed_and_exits_one(self, runtime: Runtime) -> None:
        order_id = paid_order(runtime)
        with runtime.db.write() as s:
            s.add(
                LedgerEntry(
                    id="led_broken",
                    order_id=order_id,
                    txn_id="txn_broken",
                    txn_key="broken:1",
                    entry_no=0,
                    kind="capture",
                    account="gateway_clearing",
                    amount=1,
                    currency="USD",
                    created_at=utcnow(),
                )
            )
        result = CliRunner().invoke(
            app, ["ledger", "check", "--database-url", runtime.settings.database_url]
        )
        assert result.exit_code == 1
        assert "broken:1" in result.output and order_id in result.output
