"""Customer messages rendered from Jinja2 templates (``templates/<event>.txt``).

Each template has a ``subject`` and a ``body`` block. The context is built from the order's
facts and the event's data: display id, total, ETA (out for delivery), refund amount
(cancelled / refunded, when known) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from orderflow.kit.clock import as_utc
from orderflow.kit.money import to_dollars
from orderflow.tracking.facts import OrderFacts

# The events a customer hears about (seed ``sendPushNotification``).
NOTIFIED_EVENTS = frozenset(
    {
        "order.placed",
        "order.confirmed",
        "order.out_for_delivery",
        "order.delivered",
        "order.cancelled",
        "order.refunded",
    }
)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    context: dict[str, Any]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("orderflow.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",)),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def context_for(facts: OrderFacts, event: str, data: dict[str, Any]) -> dict[str, Any]:
    eta = _eta(data) or facts.estimated_delivery_at
    refund = data.get("refundAmount", data.get("amount"))
    return {
        "order_id": facts.order_id,
        "display_id": facts.display_id,
        "event": event,
        "total": _money(to_dollars(facts.total_amount), facts.currency),
        "eta": eta.strftime("%a %d %b, %H:%M UTC") if eta else None,
        "eta_iso": eta.isoformat().replace("+00:00", "Z") if eta else None,
        "refund_amount": _money(refund, facts.currency) if refund not in (None, "", 0) else None,
        "reason": data.get("reason"),
        "tracking_url": None,
    }


def render(facts: OrderFacts, event: str, data: dict[str, Any]) -> Message:
    context = context_for(facts, event, data)
    template = _environment().get_template(f"{event}.txt")
    subject = "".join(template.blocks["subject"](template.new_context(context))).strip()
    text = "".join(template.blocks["body"](template.new_context(context))).strip()
    return Message(subject=subject, text=text, context=context)


def _eta(data: dict[str, Any]) -> datetime | None:
    for key in ("eta", "estimatedDelivery", "estimatedDeliveryAt"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                continue
    return None


def _money(value: Any, currency: str) -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{amount:,}"
