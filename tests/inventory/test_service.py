"""inventory_service: hold, release, consume, restock, availability, counts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event, select

from orderflow.db.models import Reservation
from orderflow.db.session import Database
from orderflow.errors import NotFound
from orderflow.inventory.errors import (
    InsufficientStock,
    InvalidHold,
    StockBelowReserved,
    StockLevelNotFound,
)
from orderflow.inventory.service import inventory_service
from orderflow.kit.clock import utcnow
from tests.factories import create_hub, create_variant, create_vendor, get_stock, set_stock
from tests.inventory.helpers import PlacedLines, create_order_lines


@pytest.fixture
def vendor_id(db: Database) -> str:
    return create_vendor(db).id


@pytest.fixture
def hubs(db: Database) -> tuple[str, str]:
    return create_hub(db).id, create_hub(db).id


@pytest.fixture
def variants(db: Database, vendor_id: str) -> tuple[str, str]:
    return create_variant(db, vendor_id=vendor_id).id, create_variant(db, vendor_id=vendor_id).id


def hold_all(db: Database, placed: PlacedLines) -> None:
    with db.write() as session:
        inventory_service.hold(session, placed.holds, now=utcnow())


def reservations(db: Database, order_id: str) -> list[tuple[str, int, str]]:
    with db.read() as session:
        rows = session.scalars(select(Reservation).where(Reservation.order_id == order_id))
        return sorted((r.variant_id, r.quantity, r.status) for r in rows)


class TestHold:
    def test_reserves_the_units_and_records_held_reservations(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, wine = variants
        set_stock(db, hub, beer, 10)
        set_stock(db, hub, wine, 5)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 3), (hub, wine, 5)])

        hold_all(db, placed)

        assert get_stock(db, hub, beer) == (10, 3)
        assert get_stock(db, hub, wine) == (5, 5)
        assert reservations(db, placed.order_id) == sorted([(beer, 3, "held"), (wine, 5, "held")])

    def test_adds_up_several_holds_on_the_same_stock_row(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 5)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 3), (hub, beer, 3)])

        with pytest.raises(InsufficientStock) as caught, db.write() as session:
            inventory_service.hold(session, placed.holds, now=utcnow())

        assert caught.value.errors == [
            {
                "code": "insufficient_stock",
                "message": f"{beer} at {hub}: 6 requested, 5 available",
                "field": None,
                "details": {"variantId": beer, "hubId": hub, "requested": 6, "available": 5},
            }
        ]
        assert get_stock(db, hub, beer) == (5, 0)

    def test_holds_everything_or_nothing_when_one_row_is_short(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub_a, hub_b = hubs
        beer, wine = variants
        set_stock(db, hub_a, beer, 10)
        set_stock(db, hub_b, wine, 1)
        placed = create_order_lines(
            db, vendor_id=vendor_id, lines=[(hub_a, beer, 2), (hub_b, wine, 2)]
        )

        with db.write() as session:
            with pytest.raises(InsufficientStock) as caught:
                inventory_service.hold(session, placed.holds, now=utcnow())
            # Even inside the same transaction, nothing of the failed hold remains.
            assert inventory_service.get_level(session, hub_id=hub_a, variant_id=beer).reserved == 0

        assert [e["details"]["hubId"] for e in caught.value.errors or []] == [hub_b]
        assert get_stock(db, hub_a, beer) == (10, 0)
        assert reservations(db, placed.order_id) == []

    def test_stock_that_was_never_recorded_is_zero_available(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 1)])

        with pytest.raises(InsufficientStock) as caught, db.write() as session:
            inventory_service.hold(session, placed.holds, now=utcnow())

        assert caught.value.status == 422
        assert (caught.value.errors or [])[0]["details"]["available"] == 0

    def test_refuses_a_hold_of_zero_units(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 1)])

        with pytest.raises(InvalidHold), db.write() as session:
            inventory_service.hold(session, [replace(placed.holds[0], quantity=0)], now=utcnow())


class TestRelease:
    def test_gives_back_every_held_unit_of_the_order(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub_a, hub_b = hubs
        beer, _ = variants
        set_stock(db, hub_a, beer, 10)
        set_stock(db, hub_b, beer, 10)
        placed = create_order_lines(
            db, vendor_id=vendor_id, lines=[(hub_a, beer, 4), (hub_b, beer, 2)]
        )
        hold_all(db, placed)

        with db.write() as session:
            released = inventory_service.release(session, order_id=placed.order_id, now=utcnow())

        assert released == 6
        assert get_stock(db, hub_a, beer) == (10, 0)
        assert get_stock(db, hub_b, beer) == (10, 0)
        assert [status for _, _, status in reservations(db, placed.order_id)] == ["released"] * 2

    def test_releasing_twice_releases_nothing_the_second_time(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 4)])
        hold_all(db, placed)

        with db.write() as session:
            inventory_service.release(session, order_id=placed.order_id, now=utcnow())
        with db.write() as session:
            again = inventory_service.release(session, order_id=placed.order_id, now=utcnow())

        assert again == 0
        assert get_stock(db, hub, beer) == (10, 0)

    def test_releases_only_the_named_items(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, wine = variants
        set_stock(db, hub, beer, 10)
        set_stock(db, hub, wine, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 3), (hub, wine, 2)])
        hold_all(db, placed)

        with db.write() as session:
            released = inventory_service.release(
                session,
                order_id=placed.order_id,
                order_item_ids=[placed.holds[1].order_item_id],
                now=utcnow(),
            )

        assert released == 2
        assert get_stock(db, hub, beer) == (10, 3)
        assert get_stock(db, hub, wine) == (10, 0)

    def test_releases_only_one_fulfillment(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub_a, hub_b = hubs
        beer, _ = variants
        set_stock(db, hub_a, beer, 10)
        set_stock(db, hub_b, beer, 10)
        placed = create_order_lines(
            db, vendor_id=vendor_id, lines=[(hub_a, beer, 4), (hub_b, beer, 2)]
        )
        hold_all(db, placed)

        with db.write() as session:
            released = inventory_service.release(
                session,
                order_id=placed.order_id,
                fulfillment_id=placed.fulfillment_by_hub[hub_b],
                now=utcnow(),
            )

        assert released == 2
        assert get_stock(db, hub_a, beer) == (10, 4)
        assert get_stock(db, hub_b, beer) == (10, 0)


class TestConsume:
    def test_shipped_units_leave_both_on_hand_and_reserved(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 4)])
        hold_all(db, placed)

        with db.write() as session:
            consumed = inventory_service.consume(
                session, fulfillment_id=placed.fulfillment_by_hub[hub], now=utcnow()
            )

        assert consumed == 4
        assert get_stock(db, hub, beer) == (6, 0)
        assert reservations(db, placed.order_id) == [(beer, 4, "consumed")]

    def test_consuming_twice_consumes_nothing_the_second_time(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 4)])
        hold_all(db, placed)
        fulfillment_id = placed.fulfillment_by_hub[hub]

        with db.write() as session:
            inventory_service.consume(session, fulfillment_id=fulfillment_id, now=utcnow())
        with db.write() as session:
            again = inventory_service.consume(session, fulfillment_id=fulfillment_id, now=utcnow())

        assert again == 0
        assert get_stock(db, hub, beer) == (6, 0)

    def test_released_units_are_not_consumed(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10)
        placed = create_order_lines(db, vendor_id=vendor_id, lines=[(hub, beer, 4)])
        hold_all(db, placed)

        with db.write() as session:
            inventory_service.release(session, order_id=placed.order_id, now=utcnow())
            consumed = inventory_service.consume(
                session, fulfillment_id=placed.fulfillment_by_hub[hub], now=utcnow()
            )

        assert consumed == 0
        assert get_stock(db, hub, beer) == (10, 0)


class TestRestock:
    def test_returned_goods_go_back_on_hand(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 3, reserved=2)

        with db.write() as session:
            inventory_service.restock(
                session, hub_id=hub, variant_id=beer, quantity=2, now=utcnow()
            )

        assert get_stock(db, hub, beer) == (5, 2)

    def test_restocking_a_variant_the_hub_never_held_creates_its_stock(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants

        with db.write() as session:
            inventory_service.restock(
                session, hub_id=hub, variant_id=beer, quantity=2, now=utcnow()
            )

        assert get_stock(db, hub, beer) == (2, 0)


class TestAvailability:
    def test_maps_each_variant_to_free_units_per_active_hub(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub_a, hub_b = hubs
        beer, wine = variants
        closed = create_hub(db, active=False).id
        set_stock(db, hub_a, beer, 10, reserved=4)
        set_stock(db, hub_b, beer, 2)
        set_stock(db, closed, beer, 50)

        with db.read() as session:
            result = inventory_service.availability(session, [beer, wine])

        assert result == {beer: {hub_a: 6, hub_b: 2}, wine: {}}


class TestSetOnHand:
    def test_creates_then_updates_the_count(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants

        with db.write() as session:
            created = inventory_service.set_on_hand(
                session, hub_id=hub, variant_id=beer, quantity=7, now=utcnow()
            )
            assert (created.on_hand, created.reserved) == (7, 0)
        with db.write() as session:
            updated = inventory_service.set_on_hand(
                session, hub_id=hub, variant_id=beer, quantity=9, now=utcnow()
            )

        assert (updated.on_hand, updated.reserved) == (9, 0)
        assert get_stock(db, hub, beer) == (9, 0)

    def test_refuses_to_count_below_what_orders_hold(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub, _ = hubs
        beer, _ = variants
        set_stock(db, hub, beer, 10, reserved=4)

        with pytest.raises(StockBelowReserved) as caught, db.write() as session:
            inventory_service.set_on_hand(
                session, hub_id=hub, variant_id=beer, quantity=3, now=utcnow()
            )

        assert caught.value.status == 409
        assert get_stock(db, hub, beer) == (10, 4)

    def test_an_unknown_hub_is_not_found(self, db: Database, variants: tuple[str, str]) -> None:
        with pytest.raises(NotFound), db.write() as session:
            inventory_service.set_on_hand(
                session, hub_id="hub_nope", variant_id=variants[0], quantity=3, now=utcnow()
            )


class TestGetLevel:
    def test_a_missing_level_is_not_found(
        self, db: Database, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        with pytest.raises(StockLevelNotFound), db.read() as session:
            inventory_service.get_level(session, hub_id=hubs[0], variant_id=variants[0])


class TestHoldStatements:
    def test_one_update_per_stock_row_and_one_insert_for_all_reservations(
        self, db: Database, vendor_id: str, hubs: tuple[str, str], variants: tuple[str, str]
    ) -> None:
        hub_a, hub_b = hubs
        beer, wine = variants
        set_stock(db, hub_a, beer, 10)
        set_stock(db, hub_b, wine, 10)
        placed = create_order_lines(
            db,
            vendor_id=vendor_id,
            lines=[(hub_a, beer, 1), (hub_b, wine, 2), (hub_a, beer, 3), (hub_b, wine, 1)],
        )
        statements: list[str] = []

        def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement.split()[0].upper())

        with db.write() as session:
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                inventory_service.hold(session, placed.holds, now=utcnow())
            finally:
                event.remove(db.engine, "before_cursor_execute", record)

        assert statements == ["UPDATE", "UPDATE", "INSERT"]
