"""Alembic environment: one set of revisions for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import DateTime, create_engine, pool

import orderflow.db.models  # noqa: F401  (registers every table)
from orderflow.db.base import Base, UTCDateTime
from orderflow.db.engine import normalise_url

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _compare_type(
    _ctx: Any, _col: Any, _meta_col: Any, inspected: Any, metadata: Any
) -> bool | None:
    if isinstance(metadata, UTCDateTime) and isinstance(inspected, DateTime):
        return False
    return None


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """saq's PostgreSQL queue owns its tables (``saq_jobs``, ``saq_stats``, ...); not ours."""
    table = obj.table.name if type_ in ("index", "column", "unique_constraint") else name
    return not (
        reflected
        and compare_to is None
        and str(table).startswith("saq_")
        and table != "saq_sqlite_jobs"
    )


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = normalise_url(config.get_main_option("sqlalchemy.url") or "")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=_compare_type,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
