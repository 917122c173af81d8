"""Stripe Connect through the official SDK (the only module that imports ``stripe``).

Separate charges and transfers: one PaymentIntent per charge on the platform account with
``transfer_group=order_<orderId>``, then one Transfer per vendor sub-order to its connected
account (``source_transaction`` = the charge), refunds with proportional Transfer Reversals.
Calls are synchronous (the SDK's sync methods over httpx): jobs run in worker threads and a sync
call is simpler to bound with the SDK's timeout and retries than an event loop per job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import stripe

from orderflow.config import Settings
from orderflow.payments.gateway.base import (
    Charge,
    ChargeResult,
    ChargeStatus,
    GatewayRejected,
    GatewayUnavailable,
    MoneyMoved,
)

T = TypeVar("T")

_STATUSES: dict[str, ChargeStatus] = {
    "succeeded": "captured",
    "requires_capture": "authorized",
    "requires_action": "requires_action",
    "requires_confirmation": "requires_action",
    "processing": "requires_action",
    "canceled": "voided",
    "requires_payment_method": "failed",
}


def _call(fn: Callable[[], T]) -> T:
    """Run one SDK call, mapping its errors to the gateway protocol's."""
    try:
        return fn()
    except stripe.StripeError as exc:
        raise _translate(exc) from exc


def _translate(exc: stripe.StripeError) -> Exception:
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return GatewayUnavailable(str(exc))
    if exc.http_status is None or exc.http_status >= 500:
        return GatewayUnavailable(str(exc))
    return GatewayRejected(f"{exc.code or exc.http_status}: {exc.user_message}")


def _result(intent: Any) -> ChargeResult:
    status = _STATUSES.get(intent.status, "requires_action")
    charge = intent.latest_charge
    charge_id = charge if isinstance(charge, str) or charge is None else charge.id
    error = intent.last_payment_error
    return ChargeResult(
        status=status,
        intent_id=intent.id,
        charge_id=charge_id,
        failure_code=(error.decline_code or error.code) if status == "failed" and error else None,
        failure_message=error.message if status == "failed" and error else None,
    )


class StripeGateway:
    name = "stripe"
    local = False

    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_api_key:
            raise ValueError("ORDERFLOW_STRIPE_API_KEY is required with payment_gateway=stripe")
        base: dict[str, str] = {}
        if settings.stripe_api_base:
            base["api"] = settings.stripe_api_base
        self.client = stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=settings.stripe_max_network_retries,
            http_client=stripe.HTTPXClient(
                timeout=settings.stripe_timeout_seconds, allow_sync_methods=True
            ),
        )

    def charge(self, charge: Charge) -> ChargeResult:
        params: dict[str, Any] = {
            "amount": charge.amount,
            "currency": charge.currency.lower(),
            "payment_method": charge.payment_method_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "capture_method": "automatic" if charge.capture else "manual",
            "transfer_group": charge.transfer_group,
            "metadata": {
                "orderId": charge.order_id,
                "customerId": charge.customer_id,
                "vendorIds": ",".join(charge.vendor_ids),
            },
        }
        if charge.description:
            params["description"] = charge.description
        try:
            intent = self.client.v1.payment_intents.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": charge.idempotency_key},
            )
        except stripe.CardError as exc:
            intent_obj = getattr(exc.error, "payment_intent", None) if exc.error else None
            return ChargeResult(
                status="failed",
                intent_id=intent_obj.id if intent_obj is not None else "",
                failure_code=(exc.error.decline_code if exc.error else None) or exc.code,
                failure_message=exc.user_message,
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _result(intent)

    def retrieve(self, intent_id: str) -> ChargeResult:
        return _result(_call(lambda: self.client.v1.payment_intents.retrieve(intent_id)))

    def capture(self, intent_id: str, *, amount: int, idempotency_key: str) -> ChargeResult:
        return _result(
            _call(
                lambda: self.client.v1.payment_intents.capture(
                    intent_id,
                    {"amount_to_capture": amount},
                    {"idempotency_key": idempotency_key},
                )
            )
        )

    def cancel(self, intent_id: str, *, idempotency_key: str) -> ChargeResult:
        return _result(
            _call(
                lambda: self.client.v1.payment_intents.cancel(
                    intent_id, {}, {"idempotency_key": idempotency_key}
                )
            )
        )

    def transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str | None,
        transfer_group: str,
        source_transaction: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> MoneyMoved:
        if not destination:
            raise GatewayRejected("the vendor has no connected Stripe account")
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": dict(metadata),
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        transfer = _call(
            lambda: self.client.v1.transfers.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        )
        return MoneyMoved(transfer.id)

    def refund(
        self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> MoneyMoved:
        refund = _call(
            lambda: self.client.v1.refunds.create(
                {"payment_intent": intent_id, "amount": amount, "metadata": dict(metadata)},
                {"idempotency_key": idempotency_key},
            )
        )
        status = refund.status
        return MoneyMoved(refund.id, "failed" if status in ("failed", "canceled") else "succeeded")

    def reverse_transfer(
        self, transfer_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> MoneyMoved:
        reversal = _call(
            lambda: self.client.v1.transfers.reversals.create(
                transfer_id,
                {"amount": amount, "metadata": dict(metadata)},
                {"idempotency_key": idempotency_key},
            )
        )
        return MoneyMoved(reversal.id)


def intent_result(intent: Mapping[str, Any]) -> ChargeResult:
    """A PaymentIntent from a webhook event (a plain dict) as a charge result."""
    status = _STATUSES.get(str(intent.get("status")), "requires_action")
    error = intent.get("last_payment_error") or {}
    charge = intent.get("latest_charge")
    return ChargeResult(
        status=status,
        intent_id=str(intent["id"]),
        charge_id=charge.get("id") if isinstance(charge, dict) else charge,
        failure_code=(error.get("decline_code") or error.get("code"))
        if status == "failed"
        else None,
        failure_message=error.get("message") if status == "failed" else None,
    )


def construct_event(payload: bytes, signature: str, secret: str) -> dict[str, Any]:
    """Verify a webhook's ``Stripe-Signature`` and parse it; ValueError if it is not genuine."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise ValueError(f"bad signature: {exc.user_message or exc}") from exc
    result: dict[str, Any] = event.to_dict()
    return result
