"""Every SQL statement of the catalog domain."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderflow.db.models import Hub, Variant, Vendor

Row = TypeVar("Row", Vendor, Hub, Variant)


def page(session: Session, model: type[Row], *, after_id: str | None, limit: int) -> list[Row]:
    """Up to ``limit + 1`` rows in id order after ``after_id`` (the extra row means 'more')."""
    stmt = select(model).order_by(model.id).limit(limit + 1)
    if after_id is not None:
        stmt = stmt.where(model.id > after_id)
    return list(session.scalars(stmt))


def by_ids(session: Session, model: type[Row], ids: Collection[str]) -> dict[str, Row]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(list(ids))))}


def variant_id_for_sku(session: Session, sku: str) -> str | None:
    return session.scalar(select(Variant.id).where(Variant.sku == sku))


def active_hubs(session: Session) -> list[Hub]:
    return list(session.scalars(select(Hub).where(Hub.active.is_(True)).order_by(Hub.id)))


def count(session: Session, model: type[Row]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
