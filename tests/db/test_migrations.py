"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime

from orderflow.db.base import Base, UTCDateTime
from orderflow.db.session import Database


def _compare_type(_ctx: Any, _col: Any, _meta_col: Any, inspected: Any, metadata: Any) -> Any:
    if isinstance(metadata, UTCDateTime) and isinstance(inspected, DateTime):
        return False
    return None


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # saq's PostgreSQL queue creates its own tables and indexes beside ours.
    table = obj.table.name if type_ == "index" else name
    return not (str(table).startswith("saq_") and table != "saq_sqlite_jobs")


class TestMigrations:
    def test_models_and_migrations_do_not_drift(self, db: Database) -> None:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": _compare_type, "include_object": _ours}
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
