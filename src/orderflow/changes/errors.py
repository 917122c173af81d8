"""Errors of the changes domain (cancellations, modifications, returns)."""

from __future__ import annotations

from orderflow.errors import Conflict, Invalid, NotFound


class NotCancellable(Conflict):
    code = "order_not_cancellable"
    title = "Order cannot be cancelled at this stage"


class NotModifiable(Conflict):
    code = "order_not_modifiable"
    title = "Order cannot be modified at this stage"


class InvalidModification(Invalid):
    code = "invalid_modification"
    title = "The change set is not valid"


class NotReturnable(Conflict):
    code = "not_returnable"
    title = "Items cannot be returned"


class InvalidReturn(Invalid):
    code = "invalid_return"
    title = "The return is not valid"


class SubOrderNotFound(NotFound):
    code = "sub_order_not_found"
    title = "Sub-order not found"
