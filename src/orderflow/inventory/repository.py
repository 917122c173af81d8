"""Every SQL statement of the inventory domain.

Stock changes only through conditional UPDATEs whose rowcount is checked. Callers touch
stock rows in primary-key order ``(hub_id, variant_id)`` so that concurrent transactions on
PostgreSQL always take row locks in the same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, bindparam, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from orderflow.db.models import Hub, Reservation, StockLevel

Key = tuple[str, str]  # (hub_id, variant_id), the primary key of stock_levels

# Hot-path statements on the Core tables, built once (placement runs them for every order):
# no ORM bulk path, and a constant cache key.
_STOCK = cast(Table, StockLevel.__table__)
_RESERVATIONS = cast(Table, Reservation.__table__)
_ADD_RESERVED = (
    update(_STOCK)
    .where(
        _STOCK.c.hub_id == bindparam("key_hub_id", type_=_STOCK.c.hub_id.type),
        _STOCK.c.variant_id == bindparam("key_variant_id", type_=_STOCK.c.variant_id.type),
        _STOCK.c.on_hand - _STOCK.c.reserved
        >= bindparam("add_quantity", type_=_STOCK.c.reserved.type),
    )
    .values(
        reserved=_STOCK.c.reserved + bindparam("add_quantity", type_=_STOCK.c.reserved.type),
        updated_at=bindparam("stamp", type_=_STOCK.c.updated_at.type),
    )
)
_INSERT_RESERVATIONS = insert(_RESERVATIONS)


@dataclass(frozen=True)
class ReservedUnits:
    hub_id: str
    variant_id: str
    quantity: int


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def add_reserved(session: Session, key: Key, quantity: int, *, now: datetime) -> bool:
    """Reserve ``quantity`` more units if that many are free; False when they are not."""
    hub_id, variant_id = key
    params = {
        "key_hub_id": hub_id,
        "key_variant_id": variant_id,
        "add_quantity": quantity,
        "stamp": now,
    }
    return _rowcount(session.execute(_ADD_RESERVED, params)) == 1


def remove_reserved(
    session: Session, key: Key, quantity: int, *, consume: bool, now: datetime
) -> bool:
    """Give back (or, with ``consume``, ship) ``quantity`` reserved units; False if too few."""
    hub_id, variant_id = key
    values: dict[str, Any] = {"reserved": StockLevel.reserved - quantity, "updated_at": now}
    if consume:
        values["on_hand"] = StockLevel.on_hand - quantity
    stmt = (
        update(StockLevel)
        .where(
            StockLevel.hub_id == hub_id,
            StockLevel.variant_id == variant_id,
            StockLevel.reserved >= quantity,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def available_by_key(session: Session, keys: Iterable[Key]) -> dict[Key, int]:
    """``on_hand - reserved`` for each existing key (missing keys are absent)."""
    wanted = list(keys)
    if not wanted:
        return {}
    rows = session.execute(
        select(
            StockLevel.hub_id, StockLevel.variant_id, StockLevel.on_hand - StockLevel.reserved
        ).where(tuple_(StockLevel.hub_id, StockLevel.variant_id).in_(wanted))
    )
    return {(hub_id, variant_id): int(free) for hub_id, variant_id, free in rows}


def insert_reservations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One INSERT statement, however many rows (executemany of the pre-built Core insert)."""
    if rows:
        session.execute(_INSERT_RESERVATIONS, list(rows))


def close_held(
    session: Session,
    *,
    to_status: str,
    now: datetime,
    order_id: str | None = None,
    order_item_ids: Collection[str] | None = None,
    fulfillment_id: str | None = None,
) -> list[ReservedUnits]:
    """Move matching ``held`` reservations to ``to_status``; returns exactly the rows moved.

    The ``status = 'held'`` condition makes this idempotent and safe against a concurrent
    caller: a row already moved by someone else is simply not returned.
    """
    conditions = [Reservation.status == "held"]
    if order_id is not None:
        conditions.append(Reservation.order_id == order_id)
    if order_item_ids is not None:
        if not order_item_ids:
            return []
        conditions.append(Reservation.order_item_id.in_(list(order_item_ids)))
    if fulfillment_id is not None:
        conditions.append(Reservation.fulfillment_id == fulfillment_id)
    stmt = (
        update(Reservation)
        .where(and_(*conditions))
        .values(status=to_status, updated_at=now)
        .returning(Reservation.hub_id, Reservation.variant_id, Reservation.quantity)
        .execution_options(synchronize_session=False)
    )
    return [ReservedUnits(h, v, int(q)) for h, v, q in session.execute(stmt)]


def add_on_hand(session: Session, key: Key, quantity: int, *, now: datetime) -> None:
    """``on_hand += quantity``, creating the stock row when it does not exist yet."""
    hub_id, variant_id = key
    row = {
        "hub_id": hub_id,
        "variant_id": variant_id,
        "on_hand": quantity,
        "reserved": 0,
        "updated_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(StockLevel).values(row)
        stmt: Any = pg.on_conflict_do_update(
            index_elements=[StockLevel.hub_id, StockLevel.variant_id],
            set_={"on_hand": StockLevel.on_hand + quantity, "updated_at": now},
        )
    else:
        lite = sqlite.insert(StockLevel).values(row)
        stmt = lite.on_conflict_do_update(
            index_elements=[StockLevel.hub_id, StockLevel.variant_id],
            set_={"on_hand": StockLevel.on_hand + quantity, "updated_at": now},
        )
    session.execute(stmt.execution_options(synchronize_session=False))


def set_on_hand(session: Session, key: Key, quantity: int, *, now: datetime) -> bool:
    """Set ``on_hand`` unless that would drop it below ``reserved``; False when refused/missing."""
    hub_id, variant_id = key
    stmt = (
        update(StockLevel)
        .where(
            StockLevel.hub_id == hub_id,
            StockLevel.variant_id == variant_id,
            StockLevel.reserved <= quantity,
        )
        .values(on_hand=quantity, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt)) == 1


def insert_level_if_missing(session: Session, key: Key, quantity: int, *, now: datetime) -> bool:
    """Create the stock row with ``on_hand = quantity``; False when it already exists."""
    hub_id, variant_id = key
    row = {
        "hub_id": hub_id,
        "variant_id": variant_id,
        "on_hand": quantity,
        "reserved": 0,
        "updated_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        stmt: Any = postgresql.insert(StockLevel).values(row).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(StockLevel).values(row).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT.
    return session.execute(stmt.returning(StockLevel.hub_id)).first() is not None


def get_level(session: Session, key: Key) -> StockLevel | None:
    hub_id, variant_id = key
    return session.scalars(
        select(StockLevel)
        .where(StockLevel.hub_id == hub_id, StockLevel.variant_id == variant_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def availability(session: Session, variant_ids: Collection[str]) -> list[tuple[str, str, int]]:
    """(variant_id, hub_id, available) for the variants at active hubs, hub order."""
    if not variant_ids:
        return []
    rows = session.execute(
        select(
            StockLevel.variant_id,
            StockLevel.hub_id,
            StockLevel.on_hand - StockLevel.reserved,
        )
        .join(Hub, Hub.id == StockLevel.hub_id)
        .where(StockLevel.variant_id.in_(list(variant_ids)), Hub.active.is_(True))
        .order_by(StockLevel.variant_id, StockLevel.hub_id)
    )
    return [(v, h, int(free)) for v, h, free in rows]
