"""Racing a cancel against a change set or a hub step ends in one consistent state.

Every changes flow locks the order row first (PostgreSQL ``FOR UPDATE``; SQLite has one
writer), so the two requests run one after the other; the loser sees the winner's result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from orderflow.auth.principal import Principal
from orderflow.changes.schemas import ModificationRequest
from orderflow.changes.service import changes_service
from orderflow.db.session import Database
from orderflow.errors import OrderflowError
from orderflow.fulfillment.service import fulfillment_service
from orderflow.kit.clock import utcnow
from orderflow.runtime import Runtime
from tests.changes.helpers import (
    ADMIN,
    fulfillments,
    held_units,
    market,
    money,
    open_units,
    order_row,
    pay,
    place,
    step,
    stock,
)

CUSTOMER = Principal(sub="cus_alice", role="customer")


def _race(db: Database, *actions: Callable[[Session], Any]) -> list[BaseException | None]:
    """Run each action in its own unit of work, all released at once; their errors in order."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[BaseException | None] = [None] * len(actions)

    def run(index: int, action: Callable[[Session], Any]) -> None:
        barrier.wait()
        try:
            db.run_write(action)
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for outcome in outcomes:
        assert outcome is None or (isinstance(outcome, OrderflowError) and outcome.status == 409), (
            repr(outcome)
        )
    return outcomes


class TestCancelRacingAHubStep:
    def test_either_the_cancel_or_the_door_wins_never_both(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        for _ in range(3):
            order = place(customer, (m.beer, 1))
            pay(runtime, order["id"])
            parcel = order["fulfillments"][0]["id"]
            step(runtime, parcel, "processing", "packed", "picked_up", "in_transit")

            cancel, door = _race(
                db,
                lambda s, o=order["id"]: changes_service.cancel(
                    s, o, principal=CUSTOMER, reason="race", now=utcnow()
                ),
                lambda s, p=parcel: fulfillment_service.transition(
                    s,
                    p,
                    to="out_for_delivery",
                    principal=ADMIN,
                    now=utcnow(),
                    settings=runtime.settings,
                ),
            )

            assert (cancel is None) != (door is None)
            paid = money(db, order["id"])
            row = order_row(db, order["id"])
            if cancel is None:
                assert row.status == "cancelled"
                assert paid.refunded == paid.captured
                assert [f.status for f in fulfillments(db, order["id"])] == ["cancelled"]
            else:
                assert row.status == "out_for_delivery"
                assert paid.refunded == 0
            assert paid.ledger_sum == 0
            assert held_units(db) == open_units(db)


class TestCancelRacingAChangeSet:
    def test_the_order_ends_cancelled_with_everything_refunded_and_released(
        self, db: Database, runtime: Runtime, customer: TestClient
    ) -> None:
        m = market(db)
        before = stock(db)
        for _ in range(3):
            order = place(customer, (m.beer, 3))
            pay(runtime, order["id"])
            item = order["items"][0]["id"]
            request = ModificationRequest.model_validate(
                {
                    "modifications": [
                        {"type": "update_quantity", "itemId": item, "quantity": 1, "reason": "race"}
                    ]
                }
            )

            _race(
                db,
                lambda s, o=order["id"]: changes_service.cancel(
                    s, o, principal=CUSTOMER, reason="race", now=utcnow()
                ),
                lambda s, o=order["id"], r=request: changes_service.modify(
                    s,
                    o,
                    principal=CUSTOMER,
                    request=r,
                    preview=False,
                    settings=runtime.settings,
                    now=utcnow(),
                ),
            )

            paid = money(db, order["id"])
            assert order_row(db, order["id"]).status == "cancelled"
            assert paid.refunded == paid.captured
            assert paid.reversed == paid.transferred
            assert paid.ledger_sum == 0
        assert stock(db) == before
        assert held_units(db) == 0
