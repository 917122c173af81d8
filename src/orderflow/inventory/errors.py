"""Inventory errors, each with a fixed status and a stable code."""

from __future__ import annotations

from orderflow.errors import Conflict, Invalid, NotFound, OrderflowError


class InsufficientStock(Invalid):
    code = "insufficient_stock"
    title = "Not enough stock"


class InvalidHold(Invalid):
    code = "invalid_hold"
    title = "Invalid stock hold"


class StockLevelNotFound(NotFound):
    code = "stock_level_not_found"
    title = "No stock level for this hub and variant"


class StockBelowReserved(Conflict):
    code = "stock_below_reserved"
    title = "On-hand stock cannot go below what is reserved"


class StockOutOfBalance(OrderflowError):
    """Reservations and stock levels disagree: a bug, never the caller's fault."""

    status = 500
    code = "stock_out_of_balance"
    title = "Stock levels and reservations disagree"
