"""Random sequences of hold / release / consume / restock keep stock consistent."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from orderflow.db.models import Reservation, StockLevel
from orderflow.db.session import Database
from orderflow.inventory.errors import InsufficientStock
from orderflow.inventory.service import inventory_service
from orderflow.kit.clock import utcnow
from tests.factories import create_hub, create_variant, create_vendor, set_stock
from tests.inventory.helpers import PlacedLines, create_order_lines

Key = tuple[str, str]

hold_op = st.tuples(
    st.just("hold"),
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(1, 6)), min_size=1, max_size=3
    ),
)
order_op = st.tuples(
    st.sampled_from(["release", "release_first_item", "consume"]), st.integers(0, 9)
)
restock_op = st.tuples(
    st.just("restock"), st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(1, 4))
)
operations = st.lists(st.one_of(hold_op, order_op, restock_op), min_size=1, max_size=12)


@pytest.fixture
def world(db: Database) -> tuple[str, list[str], list[str]]:
    vendor = create_vendor(db).id
    hubs = [create_hub(db).id, create_hub(db).id]
    variants = [create_variant(db, vendor_id=vendor).id for _ in range(2)]
    for hub in hubs:
        for variant in variants:
            set_stock(db, hub, variant, 8)
    return vendor, hubs, variants


def snapshot(db: Database) -> dict[Key, tuple[int, int, int]]:
    """(on_hand, reserved, units in held reservations) per stock row."""
    with db.read() as session:
        held: dict[Key, int] = defaultdict(int)
        rows = session.execute(
            select(Reservation.hub_id, Reservation.variant_id, func.sum(Reservation.quantity))
            .where(Reservation.status == "held")
            .group_by(Reservation.hub_id, Reservation.variant_id)
        )
        for hub, variant, total in rows:
            held[(hub, variant)] = int(total)
        return {
            (s.hub_id, s.variant_id): (s.on_hand, s.reserved, held[(s.hub_id, s.variant_id)])
            for s in session.scalars(select(StockLevel))
        }


class TestStockInvariants:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,  # one instance per backend; it holds no state
        ],
    )
    @given(ops=operations)
    def test_reserved_stays_within_on_hand_and_every_unit_is_accounted_for(
        self, db: Database, world: tuple[str, list[str], list[str]], ops: list[tuple[str, object]]
    ) -> None:
        vendor, hubs, variants = world
        start = snapshot(db)
        restocked: dict[Key, int] = defaultdict(int)
        shipped: dict[Key, int] = defaultdict(int)
        orders: list[PlacedLines] = []

        for kind, arg in ops:
            if kind == "hold":
                assert isinstance(arg, list)
                lines = [(hubs[h], variants[v], q) for h, v, q in arg]
                placed = create_order_lines(db, vendor_id=vendor, lines=lines)
                try:
                    with db.write() as session:
                        inventory_service.hold(session, placed.holds, now=utcnow())
                    orders.append(placed)
                except InsufficientStock:
                    pass
            elif kind == "restock":
                assert isinstance(arg, tuple)
                h, v, q = arg
                with db.write() as session:
                    inventory_service.restock(
                        session, hub_id=hubs[h], variant_id=variants[v], quantity=q, now=utcnow()
                    )
                restocked[(hubs[h], variants[v])] += q
            elif orders:
                assert isinstance(arg, int)
                placed = orders[arg % len(orders)]
                with db.write() as session:
                    if kind == "release":
                        inventory_service.release(session, order_id=placed.order_id, now=utcnow())
                    elif kind == "release_first_item":
                        inventory_service.release(
                            session,
                            order_id=placed.order_id,
                            order_item_ids=[placed.holds[0].order_item_id],
                            now=utcnow(),
                        )
                    else:
                        for fulfillment_id in placed.fulfillment_by_hub.values():
                            inventory_service.consume(
                                session, fulfillment_id=fulfillment_id, now=utcnow()
                            )

        # Shipped units, per stock row, from the reservations that were consumed.
        end = snapshot(db)
        with db.read() as session:
            for hub, variant, quantity in session.execute(
                select(Reservation.hub_id, Reservation.variant_id, Reservation.quantity).where(
                    Reservation.status == "consumed",
                    Reservation.order_id.in_([o.order_id for o in orders]),
                )
            ):
                shipped[(hub, variant)] += quantity

        for key, (on_hand, reserved, held) in end.items():
            assert 0 <= reserved <= on_hand
            assert reserved == held
            assert on_hand == start[key][0] + restocked[key] - shipped[key]
