"""Errors of the fulfillment domain, each with a fixed status and a stable ``code``."""

from __future__ import annotations

from orderflow.errors import Conflict, Forbidden, Invalid, NotFound


class FulfillmentNotFound(NotFound):
    code = "fulfillment_not_found"
    title = "Fulfillment not found"


class HubNotFound(NotFound):
    code = "hub_not_found"
    title = "Hub not found"


class IllegalFulfillmentTransition(Conflict):
    code = "illegal_transition"
    title = "The fulfillment cannot take that step"


class OrderNotConfirmed(Conflict):
    code = "order_not_confirmed"
    title = "The order is not confirmed"


class NotOnTheRoad(Conflict):
    code = "not_on_the_road"
    title = "The fulfillment is not with a courier"


class NotYourHub(Forbidden):
    code = "not_your_hub"
    title = "This fulfillment belongs to another hub"


class NotAssignedCourier(Forbidden):
    code = "not_assigned_courier"
    title = "This fulfillment is not assigned to you"


class CourierRequired(Invalid):
    code = "courier_required"
    title = "A courier must be assigned"


class IdCheckRequired(Invalid):
    code = "id_check_required"
    title = "The recipient's age must be verified"
