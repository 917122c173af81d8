"""Errors of the routing domain."""

from __future__ import annotations

from orderflow.errors import Invalid, NotFound


class NoRoute(Invalid):
    """No set of reachable hubs holds enough stock for the order.

    ``extra["lines"]``: each short line ``{lineId, variantId, requested, available, short}``;
    ``extra["excluded"]``: the hubs left out and why ``{hubId, reasons}``.
    """

    code = "no_route"
    title = "No hub can fulfil this order"


class RoutedOrderNotFound(NotFound):
    code = "order_not_found"
    title = "Order not found"
