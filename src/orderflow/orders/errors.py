"""Errors of the orders domain, each with a fixed status and a stable ``code``."""

from __future__ import annotations

from orderflow.errors import Conflict, Forbidden, Invalid, NotFound, RetryableConflict


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "Order not found"


class OrderValidationFailed(Invalid):
    code = "validation_failed"
    title = "The order is not valid"


class StockRaceLost(OrderValidationFailed, RetryableConflict):
    """Another order reserved the stock between routing and reservation (PostgreSQL only; SQLite
    has one writer). The unit of work re-plans on fresh stock before answering 422."""


class IllegalOrderTransition(Conflict):
    code = "illegal_transition"
    title = "The order cannot move to that status"


class NotYourOrder(Forbidden):
    code = "not_your_order"
    title = "Customers may only place orders for themselves"
