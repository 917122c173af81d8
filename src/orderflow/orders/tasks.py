"""Jobs of the orders domain (see docs/architecture.md, 'Jobs contract').

``orders.validate`` re-checks a freshly placed order before any money moves: the catalog may
have changed between placement and the job (a variant withdrawn, a vendor's payout account
removed). A still-valid order moves on to ``payments.process``; otherwise it fails permanently
and its compensation cancels the order and releases its stock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orderflow.kit.clock import utcnow
from orderflow.orders.service import order_service
from orderflow.runtime import Runtime
from orderflow.workers.errors import PermanentError


def validate_placed_order(runtime: Runtime, *, order_id: str) -> None:
    with runtime.db.write() as session:
        problem = order_service.recheck(session, order_id, settings=runtime.settings, now=utcnow())
    if problem is not None:
        raise PermanentError(problem)


def compensate_validation(runtime: Runtime, *, reason: str, order_id: str) -> None:
    runtime.db.run_write(
        lambda session: order_service.fail(session, order_id, reason=reason, now=utcnow())
    )


TASKS: dict[str, Callable[..., Any]] = {"orders.validate": validate_placed_order}
COMPENSATIONS: dict[str, Callable[..., Any]] = {"orders.validate": compensate_validation}
