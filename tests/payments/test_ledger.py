"""The ledger: balanced movements written once, and money that always adds up."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderflow.kit.clock import utcnow
from orderflow.payments import ledger
from orderflow.payments.errors import RefundExceedsCaptured
from orderflow.payments.service import payment_service
from orderflow.payments.tasks import process_payment
from orderflow.runtime import Runtime
from tests.payments import helpers as h
from tests.payments.factories import brand_and_distributor, create_order


class TestPosting:
    def test_legs_that_do_not_sum_to_zero_are_refused(self, runtime: Runtime) -> None:
        placed = create_order(runtime.db, lines=[(brand_and_distributor(runtime.db)[0], 1_000, 1)])
        with pytest.raises(ledger.UnbalancedTransaction), runtime.db.write() as s:
            ledger.post(
                s,
                order_id=placed.id,
                txn_key="oops",
                kind="capture",
                legs=[("gateway_clearing", 100), ("customer", -99)],
                currency="USD",
                now=utcnow(),
            )

    def test_a_movement_is_written_once_per_key(self, runtime: Runtime) -> None:
        placed = create_order(runtime.db, lines=[(brand_and_distributor(runtime.db)[0], 1_000, 1)])
        legs = [("gateway_clearing", 100), ("customer", -100)]
        with runtime.db.write() as s:
            first = ledger.post(
                s,
                order_id=placed.id,
                txn_key="k",
                kind="capture",
                legs=legs,
                currency="USD",
                now=utcnow(),
            )
            second = ledger.post(
                s,
                order_id=placed.id,
                txn_key="k",
                kind="capture",
                legs=legs,
                currency="USD",
                now=utcnow(),
            )
        assert (first, second) == (True, False)
        assert h.balances(runtime.db, placed.id) == {"gateway_clearing": 100, "customer": -100}


operations = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), st.integers(min_value=1, max_value=20_000), st.booleans()),
        st.tuples(st.just("refund_all"), st.just(0), st.just(False)),
    ),
    min_size=1,
    max_size=5,
)


# A module-level function: a method would run from a new instance per database backend.
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, delivery=st.integers(min_value=0, max_value=2_000))
def test_after_any_refunds_the_ledger_balances_and_nothing_exceeds_what_was_taken(
    runtime: Runtime, ops: list[tuple[str, int, bool]], delivery: int
) -> None:
    brand, distributor = brand_and_distributor(runtime.db)
    placed = create_order(
        runtime.db, lines=[(brand, 1_999, 3), (distributor, 733, 7)], delivery_fee=delivery
    )
    process_payment(runtime, order_id=placed.id)
    first_sub = next(iter(placed.sub_order_ids.values()))
    for kind, amount, to_first in ops:
        try:
            with runtime.db.write() as s:
                if kind == "refund_all":
                    payment_service.void_or_refund_all(
                        s, order_id=placed.id, reason="all", now=utcnow()
                    )
                else:
                    payment_service.refund(
                        s,
                        order_id=placed.id,
                        amount=amount,
                        allocation={first_sub: amount} if to_first else None,
                        reason="some",
                        reason_kind="manual",
                        now=utcnow(),
                    )
        except RefundExceedsCaptured:
            pass
        assert h.imbalances(runtime.db, placed.id) == []
        (payment,) = h.payments(runtime.db, placed.id)
        assert payment.refunded_amount <= payment.captured_amount
        assert sum(r.amount for r in h.refunds(runtime.db, placed.id)) == payment.refunded_amount
        for transfer in h.transfers(runtime.db, placed.id):
            assert 0 <= transfer.reversed_amount <= transfer.amount
        balances = h.balances(runtime.db, placed.id)
        for vendor in (brand, distributor):
            owed = balances.get(f"vendor_payable:{vendor.id}", 0) + balances.get(
                f"vendor_paid:{vendor.id}", 0
            )
            assert owed == 0  # every vendor gave back exactly its share of the refunds
    assert h.imbalances(runtime.db) == []
