"""order_service: placement cost, status transitions, failing an order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from orderflow.auth.principal import Principal
from orderflow.db.models import Fulfillment, OutboxMessage, Reservation, SubOrder, TrackingEvent
from orderflow.db.models import Order as OrderRow
from orderflow.db.session import Database
from orderflow.kit.clock import utcnow
from orderflow.orders.cache import order_cache
from orderflow.orders.errors import IllegalOrderTransition, OrderNotFound, OrderValidationFailed
from orderflow.orders.schemas import Order, OrderCreation
from orderflow.orders.service import order_service
from orderflow.runtime import Runtime
from tests.factories import get_stock
from tests.orders.factories import Marketplace, marketplace, order_payload

ALICE = Principal(sub="cus_alice", role="customer")


@pytest.fixture
def shop(db: Database) -> Marketplace:
    return marketplace(db)


def place(runtime: Runtime, shop: Marketplace, **overrides: Any) -> Order:
    creation = OrderCreation.model_validate(order_payload(*shop.lines(), **overrides))
    return runtime.db.run_write(
        lambda s: order_service.place(
            s, creation, principal=ALICE, now=utcnow(), settings=runtime.settings
        )
    )


def events_of(db: Database, order_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    with db.read() as session:
        rows = session.scalars(
            select(TrackingEvent)
            .where(TrackingEvent.order_id == order_id)
            .order_by(TrackingEvent.sequence)
        )
        return [(e.sequence, e.event, e.data) for e in rows]


def order_row(db: Database, order_id: str) -> OrderRow:
    with db.read() as session:
        row = session.get(OrderRow, order_id)
        assert row is not None
        session.expunge(row)
        return row


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


class TestPlacementCost:
    def test_a_two_vendor_order_takes_at_most_20_statements(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        creation = OrderCreation.model_validate(order_payload(*shop.lines()))
        with runtime.db.write() as session:
            session.connection()  # the BEGIN is the unit of work's, not placement's
            with counting(runtime.db) as statements:
                order = order_service.place(
                    session, creation, principal=ALICE, now=utcnow(), settings=runtime.settings
                )
        assert len(order.sub_orders) == 2
        assert len(statements) <= 20, "\n".join(statements)


class TestListingCost:
    def test_a_page_of_orders_loads_its_children_in_one_query_per_table(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        for _ in range(5):
            place(runtime, shop)
        with runtime.db.read() as session, counting(runtime.db) as statements:
            page = order_service.list(session, principal=ALICE, limit=10)
        assert len(page.items) == 5
        assert len(statements) <= 6, "\n".join(statements)


class TestTransition:
    def test_a_legal_move_changes_the_status_and_appends_the_event(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        now = utcnow()
        runtime.db.run_write(
            lambda s: order_service.transition(
                s, order.id, to="confirmed", event="order.confirmed", now=now
            )
        )
        row = order_row(runtime.db, order.id)
        assert row.status == "confirmed"
        assert row.updated_at == now
        assert [e[1] for e in events_of(runtime.db, order.id)] == [
            "order.placed",
            "order.confirmed",
        ]
        with runtime.db.read() as session:
            subs = session.scalars(select(SubOrder.status).where(SubOrder.order_id == order.id))
            assert set(subs) == {"confirmed"}

    def test_an_illegal_move_is_a_409_naming_the_allowed_targets(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        with pytest.raises(IllegalOrderTransition) as caught:
            runtime.db.run_write(
                lambda s: order_service.transition(
                    s, order.id, to="delivered", event="order.delivered", now=utcnow()
                )
            )
        assert caught.value.status == 409
        assert caught.value.extra["allowed"] == ["cancelled", "confirmed"]
        assert "pending" in caught.value.detail
        assert order_row(runtime.db, order.id).status == "pending"
        assert len(events_of(runtime.db, order.id)) == 1

    def test_without_an_event_nothing_is_appended(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        runtime.db.run_write(
            lambda s: order_service.transition(
                s, order.id, to="confirmed", event=None, now=utcnow()
            )
        )
        assert len(events_of(runtime.db, order.id)) == 1

    def test_an_unknown_order_is_a_404(self, runtime: Runtime) -> None:
        with pytest.raises(OrderNotFound):
            runtime.db.run_write(
                lambda s: order_service.transition(
                    s, "ord_nope", to="confirmed", event=None, now=utcnow()
                )
            )

    def test_every_change_drops_the_cached_order(self, runtime: Runtime, shop: Marketplace) -> None:
        order = place(runtime, shop)
        runtime.db.run_write(
            lambda s: order_service.transition(
                s, order.id, to="confirmed", event=None, now=utcnow()
            )
        )
        with runtime.db.read() as session:
            drops = session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.kind == "invalidate", OutboxMessage.order_id == order.id
                )
            ).all()
        assert [d["keys"] for d in drops] == [order_cache.keys(order.id)]
        assert order_cache.keys(order.id)[:2] == [f"order:{order.id}:gen", f"order:{order.id}"]


class TestSyncFulfillmentStatus:
    def test_derived_statuses_are_written_without_an_event(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        db = runtime.db
        db.run_write(
            lambda s: order_service.transition(
                s, order.id, to="confirmed", event=None, now=utcnow()
            )
        )
        db.run_write(
            lambda s: order_service.sync_fulfillment_status(
                s, order.id, status="packed", fulfillment_status="fulfilled", now=utcnow()
            )
        )
        row = order_row(db, order.id)
        assert (row.status, row.fulfillment_status) == ("packed", "fulfilled")
        assert len(events_of(db, order.id)) == 1

    def test_the_same_status_only_updates_the_fulfillment_status(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        runtime.db.run_write(
            lambda s: order_service.sync_fulfillment_status(
                s, order.id, status="pending", fulfillment_status="cancelled", now=utcnow()
            )
        )
        assert order_row(runtime.db, order.id).fulfillment_status == "cancelled"

    def test_a_derived_status_the_table_forbids_is_refused(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        with pytest.raises(IllegalOrderTransition):
            runtime.db.run_write(
                lambda s: order_service.sync_fulfillment_status(
                    s, order.id, status="delivered", fulfillment_status="shipped", now=utcnow()
                )
            )


class TestFail:
    def test_failing_cancels_the_order_and_gives_the_stock_back(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        db = runtime.db
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 2)
        db.run_write(
            lambda s: order_service.fail(s, order.id, reason="card declined", now=utcnow())
        )
        row = order_row(db, order.id)
        assert (row.status, row.cancel_reason) == ("cancelled", "card declined")
        assert get_stock(db, shop.hub.id, shop.beer.id) == (10, 0)
        assert get_stock(db, shop.hub.id, shop.wine.id) == (10, 0)
        assert events_of(db, order.id)[-1][1:] == ("order.cancelled", {"reason": "card declined"})
        with db.read() as session:
            assert set(session.scalars(select(Reservation.status))) == {"released"}
            assert set(session.scalars(select(Fulfillment.status))) == {"cancelled"}

    def test_failing_twice_changes_nothing_the_second_time(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        order = place(runtime, shop)
        for _ in range(2):
            runtime.db.run_write(
                lambda s: order_service.fail(s, order.id, reason="unpaid", now=utcnow())
            )
        assert [e[1] for e in events_of(runtime.db, order.id)] == [
            "order.placed",
            "order.cancelled",
        ]
        assert get_stock(runtime.db, shop.hub.id, shop.beer.id) == (10, 0)


class TestPlacementRefusals:
    def test_an_invalid_order_raises_with_every_error(
        self, runtime: Runtime, shop: Marketplace
    ) -> None:
        with pytest.raises(OrderValidationFailed) as caught:
            place(runtime, shop, paymentMethodId="", ageVerified=False)
        assert caught.value.status == 422
        assert [e["code"] for e in caught.value.errors or []] == [
            "payment_method_missing",
            "age_verification_required",
        ]
