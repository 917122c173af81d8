"""After any sequence of change sets, cancellations, hub steps and returns: money balances,
refunds never exceed payments, and held stock is exactly the open order lines."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orderflow.db.models import Reservation, StockLevel
from orderflow.db.session import Database
from orderflow.runtime import Runtime
from tests.changes.helpers import Market, held_units, market, money, open_units, pay, place, step
from tests.factories import address, set_stock

NEAR_NORTH = address(city="Evanston", postalCode="60201", lat=42.0464, lng=-87.6810)
STEPS = ("processing", "packed", "picked_up", "in_transit", "out_for_delivery", "delivered")

operations = st.lists(
    st.one_of(
        st.tuples(st.just("quantity"), st.integers(0, 3), st.integers(1, 4)),
        st.tuples(st.just("remove"), st.integers(0, 3), st.just(0)),
        st.tuples(st.just("add"), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("address"), st.just(0), st.just(0)),
        st.tuples(st.just("cancel_sub"), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("cancel"), st.just(0), st.just(0)),
        st.tuples(st.just("advance"), st.integers(0, 1), st.integers(1, 6)),
        st.tuples(st.just("return"), st.integers(0, 3), st.integers(1, 2)),
    ),
    min_size=1,
    max_size=6,
)


def _apply(
    op: tuple[str, int, int],
    m: Market,
    order_id: str,
    runtime: Runtime,
    admin: TestClient,
) -> int:
    kind, pick, n = op
    doc: dict[str, Any] = admin.get(f"/v1/orders/{order_id}").json()
    items = [i for i in doc["items"] if i["status"] == "active"]
    base = f"/v1/orders/{order_id}"
    if kind in ("quantity", "remove", "return") and not items:
        return 0
    item = items[pick % len(items)] if items else None
    if kind == "quantity" and item:
        mod = {"type": "update_quantity", "itemId": item["id"], "quantity": n, "reason": "p"}
        return admin.post(f"{base}/modifications", json={"modifications": [mod]}).status_code
    if kind == "remove" and item:
        mod = {"type": "remove_item", "itemId": item["id"], "reason": "p"}
        return admin.post(f"{base}/modifications", json={"modifications": [mod]}).status_code
    if kind == "add":
        variant = (m.beer, m.soda, m.wine)[pick]
        mod = {"type": "add_item", "variantId": variant.id, "quantity": n, "reason": "p"}
        return admin.post(f"{base}/modifications", json={"modifications": [mod]}).status_code
    if kind == "address":
        mod = {"type": "change_address", "newAddress": NEAR_NORTH, "reason": "p"}
        return admin.post(f"{base}/modifications", json={"modifications": [mod]}).status_code
    if kind == "cancel_sub":
        subs = [s for s in doc["subOrders"] if s["status"] != "cancelled"]
        if not subs:
            return 0
        sub = subs[pick % len(subs)]
        return admin.post(f"{base}/sub-orders/{sub['id']}/cancel", json={"reason": "p"}).status_code
    if kind == "cancel":
        return admin.post(f"{base}/cancel", json={"reason": "p"}).status_code
    if kind == "advance":
        parcels = [f for f in doc["fulfillments"] if f["status"] in ("pending", *STEPS[:-1])]
        if not parcels:
            return 0
        parcel = parcels[pick % len(parcels)]
        at = (STEPS.index(parcel["status"]) + 1) if parcel["status"] in STEPS else 0
        try:
            step(runtime, parcel["id"], *STEPS[at : at + n])
        except Exception as exc:  # a step refused by the fulfillment rules is a 409
            assert getattr(exc, "status", 500) < 500, exc
            return int(getattr(exc, "status", 409))
        return 200
    assert item is not None
    body = {"items": [{"itemId": item["id"], "quantity": n}], "reason": "p", "restock": True}
    return admin.post(f"{base}/returns", json=body).status_code


def _check(db: Database, order_id: str) -> None:
    paid = money(db, order_id)
    assert paid.ledger_sum == 0
    assert paid.refunded <= paid.captured
    assert sum(r.amount for r in paid.refunds) == paid.refunded
    for vendor, amount in paid.reversed.items():
        assert amount <= paid.transferred[vendor]
    assert held_units(db) == open_units(db)
    with db.read() as s:
        held: dict[str, int] = {}
        for r in s.scalars(select(Reservation).where(Reservation.status == "held")):
            key = f"{r.hub_id}/{r.variant_id}"
            held[key] = held.get(key, 0) + r.quantity
        for level in s.scalars(select(StockLevel)):
            assert level.reserved == held.get(f"{level.hub_id}/{level.variant_id}", 0)
            assert 0 <= level.reserved <= level.on_hand


class TestInvariants:
    @settings(
        max_examples=12,
        deadline=None,
        # Fixtures are function-scoped on purpose: every example adds a fresh market and order
        # to the same database, and the invariants are global. The test class holds no state.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,
        ],
    )
    @given(ops=operations, paid=st.booleans())
    def test_money_and_stock_stay_consistent_whatever_happens(
        self,
        db: Database,
        runtime: Runtime,
        customer: TestClient,
        admin: TestClient,
        ops: list[tuple[str, int, int]],
        paid: bool,
    ) -> None:
        m = market(db)
        set_stock(db, m.north.id, m.beer.id, 6)
        set_stock(db, m.north.id, m.wine.id, 6)
        order = place(customer, (m.beer, 2), (m.wine, 1))
        if paid:
            pay(runtime, order["id"])
        for op in ops:
            status = _apply(op, m, order["id"], runtime, admin)
            assert status < 500, op
            _check(db, order["id"])
