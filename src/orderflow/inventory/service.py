"""Stock: hold units for orders, release or consume them, restock and set on-hand.

Every change is a conditional UPDATE with a rowcount check (inventory/repository.py), and the
rows of one call are touched in ``(hub_id, variant_id)`` order, so concurrent orders neither
oversell nor deadlock. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from orderflow.catalog.service import catalog_service
from orderflow.db.models import StockLevel
from orderflow.inventory import repository
from orderflow.inventory.errors import (
    InsufficientStock,
    InvalidHold,
    StockBelowReserved,
    StockLevelNotFound,
    StockOutOfBalance,
)
from orderflow.kit.ids import new_id

Key = repository.Key


@dataclass(frozen=True)
class Hold:
    """Units of one order item to hold at one hub (``fulfillment_id`` once it is known)."""

    order_id: str
    order_item_id: str
    fulfillment_id: str | None
    hub_id: str
    variant_id: str
    quantity: int


def _totals(units: Iterable[tuple[Key, int]]) -> list[tuple[Key, int]]:
    """Sum per stock row, in primary-key order (the lock order)."""
    totals: dict[Key, int] = defaultdict(int)
    for key, quantity in units:
        totals[key] += quantity
    return sorted(totals.items())


class InventoryService:
    def hold(self, session: Session, holds: Sequence[Hold], *, now: datetime) -> None:
        """Reserve every hold or none: raises ``InsufficientStock`` listing each shortfall."""
        for hold in holds:
            if hold.quantity <= 0:
                raise InvalidHold(
                    f"hold quantity must be positive, got {hold.quantity} for {hold.variant_id}"
                )
        wanted = _totals(((h.hub_id, h.variant_id), h.quantity) for h in holds)
        done: list[tuple[Key, int]] = []
        for key, quantity in wanted:
            if not repository.add_reserved(session, key, quantity, now=now):
                # Undo what this call reserved, so a caller that catches the error and tries
                # another plan in the same transaction starts from clean stock.
                for undo_key, undo_quantity in reversed(done):
                    self._give_back(session, undo_key, undo_quantity, consume=False, now=now)
                raise self._shortfall(session, wanted, failed=key)
            done.append((key, quantity))
        repository.insert_reservations(
            session,
            [
                {
                    "id": new_id("res"),
                    "order_id": h.order_id,
                    "order_item_id": h.order_item_id,
                    "fulfillment_id": h.fulfillment_id,
                    "hub_id": h.hub_id,
                    "variant_id": h.variant_id,
                    "quantity": h.quantity,
                    "status": "held",
                    "created_at": now,
                    "updated_at": now,
                }
                for h in holds
            ],
        )

    def release(
        self,
        session: Session,
        *,
        order_id: str,
        order_item_ids: Collection[str] | None = None,
        fulfillment_id: str | None = None,
        now: datetime,
    ) -> int:
        """Release the order's held units (optionally only some items / one fulfillment).

        Idempotent: units already released or consumed are left alone. Returns units released.
        """
        moved = repository.close_held(
            session,
            to_status="released",
            now=now,
            order_id=order_id,
            order_item_ids=order_item_ids,
            fulfillment_id=fulfillment_id,
        )
        return self._settle(session, moved, consume=False, now=now)

    def consume(self, session: Session, *, fulfillment_id: str, now: datetime) -> int:
        """The fulfillment shipped: its held units leave the shelf. Idempotent; returns units."""
        moved = repository.close_held(
            session, to_status="consumed", now=now, fulfillment_id=fulfillment_id
        )
        return self._settle(session, moved, consume=True, now=now)

    def restock(
        self, session: Session, *, hub_id: str, variant_id: str, quantity: int, now: datetime
    ) -> None:
        """Goods back on the shelf (a return, a refused delivery): ``on_hand += quantity``."""
        if quantity <= 0:
            raise InvalidHold(f"restock quantity must be positive, got {quantity}")
        repository.add_on_hand(session, (hub_id, variant_id), quantity, now=now)

    def availability(
        self, session: Session, variant_ids: Collection[str]
    ) -> dict[str, dict[str, int]]:
        """variant -> hub -> available units, at active hubs; every asked variant is a key."""
        result: dict[str, dict[str, int]] = {variant_id: {} for variant_id in variant_ids}
        for variant_id, hub_id, free in repository.availability(session, variant_ids):
            result[variant_id][hub_id] = free
        return result

    def set_on_hand(
        self, session: Session, *, hub_id: str, variant_id: str, quantity: int, now: datetime
    ) -> StockLevel:
        """Admin count: set on-hand (creating the row); refuses to go below what is reserved."""
        if quantity < 0:
            raise InvalidHold(f"on-hand quantity cannot be negative, got {quantity}")
        catalog_service.get_hub(session, hub_id)
        catalog_service.get_variant(session, variant_id)
        key = (hub_id, variant_id)
        if not repository.set_on_hand(session, key, quantity, now=now) and not (
            repository.insert_level_if_missing(session, key, quantity, now=now)
        ):
            level = self.get_level(session, hub_id=hub_id, variant_id=variant_id)
            raise StockBelowReserved(
                f"{level.reserved} units of {variant_id} at {hub_id} are reserved by orders; "
                f"on-hand cannot be set to {quantity}",
                extra={"reserved": level.reserved, "onHand": level.on_hand},
            )
        return self.get_level(session, hub_id=hub_id, variant_id=variant_id)

    def get_level(self, session: Session, *, hub_id: str, variant_id: str) -> StockLevel:
        level = repository.get_level(session, (hub_id, variant_id))
        if level is None:
            raise StockLevelNotFound(f"no stock of {variant_id} is recorded at {hub_id}")
        return level

    # ------------------------------------------------------------------ internals

    def _settle(
        self,
        session: Session,
        moved: Sequence[repository.ReservedUnits],
        *,
        consume: bool,
        now: datetime,
    ) -> int:
        totals = _totals(((r.hub_id, r.variant_id), r.quantity) for r in moved)
        for key, quantity in totals:
            self._give_back(session, key, quantity, consume=consume, now=now)
        return sum(quantity for _, quantity in totals)

    def _give_back(
        self, session: Session, key: Key, quantity: int, *, consume: bool, now: datetime
    ) -> None:
        if not repository.remove_reserved(session, key, quantity, consume=consume, now=now):
            raise StockOutOfBalance(
                f"stock of {key[1]} at {key[0]} has fewer reserved units than its reservations"
            )

    def _shortfall(
        self, session: Session, wanted: list[tuple[Key, int]], *, failed: Key
    ) -> InsufficientStock:
        free = repository.available_by_key(session, (key for key, _ in wanted))
        errors: list[dict[str, Any]] = []
        for (hub_id, variant_id), requested in wanted:
            available = free.get((hub_id, variant_id), 0)
            # The failed row is always reported, even if a concurrent release freed it since.
            if available < requested or (hub_id, variant_id) == failed:
                errors.append(
                    {
                        "code": "insufficient_stock",
                        "message": (
                            f"{variant_id} at {hub_id}: {requested} requested, "
                            f"{available} available"
                        ),
                        "field": None,
                        "details": {
                            "variantId": variant_id,
                            "hubId": hub_id,
                            "requested": requested,
                            "available": available,
                        },
                    }
                )
        return InsufficientStock(
            "not enough stock to hold every item" if len(errors) != 1 else errors[0]["message"],
            errors=errors,
        )


inventory_service = InventoryService()
