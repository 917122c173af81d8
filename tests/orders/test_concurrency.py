"""Fifty customers race for ten units: exactly ten orders, never oversold.

Threads (one unit of work each) on both databases, separate processes on PostgreSQL, and
concurrent HTTP requests against the app.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from orderflow.auth.principal import Principal
from orderflow.db.models import Order as OrderRow
from orderflow.db.models import Reservation
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow
from orderflow.orders.errors import OrderValidationFailed
from orderflow.orders.schemas import OrderCreation
from orderflow.orders.service import order_service
from tests.conftest import ClientFactory, make_settings
from tests.factories import create_hub, get_stock, set_stock
from tests.orders.factories import Marketplace, line, marketplace, order_payload

RACERS = 50
STOCK = 10


def place_one(db: Database, payload: dict[str, Any]) -> str:
    """'placed', or the error codes of the refusal."""
    creation = OrderCreation.model_validate(payload)
    principal = Principal(sub=payload["customerId"], role="customer")
    try:
        db.run_write(
            lambda s: order_service.place(
                s, creation, principal=principal, now=utcnow(), settings=db.settings
            )
        )
    except OrderValidationFailed as exc:
        return ",".join(sorted({e["code"] for e in exc.errors or []}))
    return "placed"


def race(n: int, attempt: Callable[[int], str]) -> Counter[str]:
    barrier = threading.Barrier(n)

    def run(i: int) -> str:
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return Counter(pool.map(run, range(n)))


def assert_sold_exactly_the_stock(db: Database, shop: Marketplace) -> None:
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(OrderRow)) == STOCK
        held = session.scalar(select(func.sum(Reservation.quantity)))
        assert held == STOCK
    assert get_stock(db, shop.hub.id, shop.beer.id) == (STOCK, STOCK)


def payload_for(shop: Marketplace, i: int) -> dict[str, Any]:
    return order_payload(line(shop.beer, 1), customerId=f"cus_{i}")


class TestFiftyCustomersRaceForTenUnits:
    def test_threads_each_in_their_own_unit_of_work(self, db: Database) -> None:
        shop = marketplace(db, beer_stock=STOCK)
        results = race(RACERS, lambda i: place_one(db, payload_for(shop, i)))
        assert results == {"placed": STOCK, "insufficient_stock": RACERS - STOCK}
        assert_sold_exactly_the_stock(db, shop)

    def test_concurrent_http_requests(self, db: Database, client_for: ClientFactory) -> None:
        shop = marketplace(db, beer_stock=STOCK)

        def attempt(i: int) -> str:
            client = client_for("customer", f"cus_{i}")
            response = client.post("/v1/orders", json=payload_for(shop, i))
            if response.status_code == 201:
                return "placed"
            assert response.status_code == 422, response.text
            return ",".join(sorted({e["code"] for e in response.json()["errors"]}))

        results = race(RACERS, attempt)
        assert results == {"placed": STOCK, "insufficient_stock": RACERS - STOCK}
        assert_sold_exactly_the_stock(db, shop)


PROCESSES = 5


def _process_racer(
    url: str,
    payloads: list[dict[str, Any]],
    barrier: Any,
    results: Any,
) -> None:
    db = Database(make_settings(url))
    try:
        barrier.wait()
        with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
            for outcome in pool.map(lambda p: place_one(db, p), payloads):
                results.put(outcome)
    finally:
        db.dispose()


@pytest.mark.slow
class TestFiftyCustomersInSeparateProcesses:
    # PostgreSQL only: SQLite serialises writers across processes with its file lock.
    @pytest.mark.parametrize("backend", ["postgres"])
    def test_processes_on_postgresql_never_oversell(self, backend: str, db: Database) -> None:
        shop = marketplace(db, beer_stock=STOCK)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(PROCESSES)
        results = context.Queue()
        per_process = RACERS // PROCESSES
        processes = [
            context.Process(
                target=_process_racer,
                args=(
                    db.settings.database_url,
                    [payload_for(shop, p * per_process + i) for i in range(per_process)],
                    barrier,
                    results,
                ),
            )
            for p in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        outcomes = Counter(results.get(timeout=120) for _ in range(RACERS))
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
        assert outcomes == {"placed": STOCK, "insufficient_stock": RACERS - STOCK}
        assert_sold_exactly_the_stock(db, shop)


class TestRacersWhenRoutingSplitsLines:
    def test_orders_split_across_two_hubs_never_oversell_either_hub(self, db: Database) -> None:
        # 5 units at each of two hubs; every order wants 3, so a lone hub can serve one order
        # and the rest must split lines across both hubs while racing.
        shop = marketplace(db, beer_stock=5)
        second = create_hub(db, lat=shop.hub.lat + 0.01, lng=shop.hub.lng)
        set_stock(db, second.id, shop.beer.id, 5)
        results = race(
            20,
            lambda i: place_one(db, order_payload(line(shop.beer, 3), customerId=f"cus_{i}")),
        )
        assert results["placed"] == 3
        assert results["placed"] + results["insufficient_stock"] == 20
        first_on_hand, first_reserved = get_stock(db, shop.hub.id, shop.beer.id)
        second_on_hand, second_reserved = get_stock(db, second.id, shop.beer.id)
        assert first_reserved <= first_on_hand == 5
        assert second_reserved <= second_on_hand == 5
        with db.read() as session:
            held = session.scalar(select(func.sum(Reservation.quantity)))
            split_orders = session.scalar(
                select(func.count(func.distinct(Reservation.order_id))).where(
                    Reservation.hub_id == second.id
                )
            )
        assert held == first_reserved + second_reserved == 9
        assert split_orders
