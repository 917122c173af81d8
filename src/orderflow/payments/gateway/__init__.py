"""Payment gateways: the protocol (base.py), the built-in one and Stripe Connect."""

from __future__ import annotations

from orderflow.payments.gateway.base import Gateway
from orderflow.payments.gateway.builtin import BuiltinGateway
from orderflow.runtime import Runtime


def gateway_for(runtime: Runtime, name: str | None = None) -> Gateway:
    """The gateway called ``name`` (default: settings.payment_gateway), one per runtime."""
    name = name or runtime.settings.payment_gateway
    if name == "builtin":
        return BuiltinGateway()
    cached = runtime.extras.get("payments.stripe")
    if cached is None:
        from orderflow.payments.gateway.stripe import StripeGateway

        cached = runtime.extras["payments.stripe"] = StripeGateway(runtime.settings)
    gateway: Gateway = cached
    return gateway
