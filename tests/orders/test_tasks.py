"""The orders.validate job and its compensation."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from orderflow.auth.principal import Principal
from orderflow.db.models import Order as OrderRow
from orderflow.db.models import OutboxMessage, Variant, Vendor
from orderflow.kit.clock import utcnow
from orderflow.orders.schemas import Order, OrderCreation
from orderflow.orders.service import order_service
from orderflow.orders.tasks import COMPENSATIONS, TASKS
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError
from tests.factories import get_stock
from tests.orders.factories import Marketplace, marketplace, order_payload


@pytest.fixture
def shop(runtime: Runtime) -> Marketplace:
    return marketplace(runtime.db)


@pytest.fixture
def order(runtime: Runtime, shop: Marketplace) -> Order:
    creation = OrderCreation.model_validate(order_payload(*shop.lines()))
    principal = Principal(sub="cus_alice", role="customer")
    return runtime.db.run_write(
        lambda s: order_service.place(
            s, creation, principal=principal, now=utcnow(), settings=runtime.settings
        )
    )


def payment_jobs(runtime: Runtime, order_id: str) -> list[str | None]:
    with runtime.db.read() as session:
        return list(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.topic == "payments.process", OutboxMessage.order_id == order_id
                )
            )
        )


def step_of(runtime: Runtime, order_id: str) -> tuple[str, str]:
    with runtime.db.read() as session:
        row = session.get(OrderRow, order_id)
        assert row is not None
        return row.status, row.pipeline_step


class TestValidateJob:
    def test_a_valid_order_moves_on_to_payment(self, runtime: Runtime, order: Order) -> None:
        TASKS["orders.validate"](runtime, order_id=order.id)
        assert step_of(runtime, order.id) == ("pending", "pay")
        assert payment_jobs(runtime, order.id) == [f"payment:{order.id}"]

    def test_running_it_again_does_nothing(self, runtime: Runtime, order: Order) -> None:
        TASKS["orders.validate"](runtime, order_id=order.id)
        TASKS["orders.validate"](runtime, order_id=order.id)
        assert payment_jobs(runtime, order.id) == [f"payment:{order.id}"]

    def test_a_withdrawn_variant_fails_the_job_for_good(
        self, runtime: Runtime, order: Order, shop: Marketplace
    ) -> None:
        with runtime.db.write() as session:
            session.execute(update(Variant).where(Variant.id == shop.wine.id).values(active=False))
        with pytest.raises(PermanentError, match="no longer sold"):
            TASKS["orders.validate"](runtime, order_id=order.id)
        assert payment_jobs(runtime, order.id) == []

    def test_a_vendor_stripe_cannot_pay_fails_the_job(
        self, runtime: Runtime, order: Order, shop: Marketplace
    ) -> None:
        runtime.settings.payment_gateway = "stripe"
        with runtime.db.write() as session:
            session.execute(
                update(Vendor).where(Vendor.id == shop.brand.id).values(stripe_account_id=None)
            )
        with pytest.raises(PermanentError, match="payouts"):
            TASKS["orders.validate"](runtime, order_id=order.id)

    def test_the_compensation_cancels_the_order_and_releases_its_stock(
        self, runtime: Runtime, order: Order, shop: Marketplace
    ) -> None:
        COMPENSATIONS["orders.validate"](
            runtime, reason="Rioja is no longer sold", order_id=order.id
        )
        assert step_of(runtime, order.id) == ("cancelled", "done")
        assert get_stock(runtime.db, shop.hub.id, shop.beer.id) == (10, 0)
