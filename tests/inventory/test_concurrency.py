"""Many writers racing for the last units of one SKU never oversell it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from orderflow.db.models import Reservation
from orderflow.db.session import Database
from orderflow.inventory.errors import InsufficientStock
from orderflow.inventory.service import inventory_service
from orderflow.kit.clock import utcnow
from tests.factories import create_hub, create_variant, create_vendor, get_stock, set_stock
from tests.inventory.helpers import create_order_lines

RACERS = 16


class TestRacingHolds:
    def test_ten_units_are_held_exactly_once_however_many_orders_race(self, db: Database) -> None:
        vendor = create_vendor(db).id
        hub_a, hub_b = create_hub(db).id, create_hub(db).id
        beer = create_variant(db, vendor_id=vendor).id
        wine = create_variant(db, vendor_id=vendor).id
        set_stock(db, hub_a, beer, 10)
        set_stock(db, hub_b, wine, 1000)
        # Half the orders touch two rows, in either written order: locks must still not deadlock.
        orders = [
            create_order_lines(
                db,
                vendor_id=vendor,
                lines=[(hub_b, wine, 1), (hub_a, beer, 1)] if i % 2 else [(hub_a, beer, 1)],
            )
            for i in range(RACERS)
        ]
        start = threading.Barrier(RACERS)

        def race(index: int) -> bool:
            start.wait()
            try:
                with db.write() as session:
                    inventory_service.hold(session, orders[index].holds, now=utcnow())
            except InsufficientStock:
                return False
            return True

        with ThreadPoolExecutor(RACERS) as pool:
            outcomes = list(pool.map(race, range(RACERS)))

        assert outcomes.count(True) == 10
        assert get_stock(db, hub_a, beer) == (10, 10)
        with db.read() as session:
            held = session.scalar(
                select(func.sum(Reservation.quantity)).where(
                    Reservation.variant_id == beer, Reservation.status == "held"
                )
            )
        assert held == 10

    def test_a_release_racing_a_release_gives_the_units_back_once(self, db: Database) -> None:
        vendor = create_vendor(db).id
        hub = create_hub(db).id
        beer = create_variant(db, vendor_id=vendor).id
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor, lines=[(hub, beer, 6)])
        with db.write() as session:
            inventory_service.hold(session, placed.holds, now=utcnow())
        start = threading.Barrier(8)

        def release(_: int) -> int:
            start.wait()
            with db.write() as session:
                return inventory_service.release(session, order_id=placed.order_id, now=utcnow())

        with ThreadPoolExecutor(8) as pool:
            released = list(pool.map(release, range(8)))

        assert sorted(released) == [0] * 7 + [6]
        assert get_stock(db, hub, beer) == (10, 0)
