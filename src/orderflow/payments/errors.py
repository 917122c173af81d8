"""Errors of the payments domain, each with a fixed status and a stable ``code``."""

from __future__ import annotations

from orderflow.errors import BadRequest, Conflict, Invalid, NotFound


class RefundExceedsCaptured(Invalid):
    code = "refund_exceeds_captured"
    title = "The refund is more than was captured and not yet refunded"


class InvalidRefund(Invalid):
    code = "invalid_refund"
    title = "The refund is not valid"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "Payment not found"


class PaymentStateConflict(Conflict):
    code = "payment_state_conflict"
    title = "The payment is not in a state that allows this"


class InvalidWebhook(BadRequest):
    code = "invalid_webhook"
    title = "The webhook could not be verified"
