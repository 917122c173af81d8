"""The built-in gateway: no network, outcomes chosen by the payment method id.

Test payment methods (docs/payments.md):

* ``pm_card_visa`` (and any other ``pm_*`` not listed here): succeeds.
* ``pm_card_declined``: declined, ``card_declined``.
* ``pm_card_insufficient_funds``: declined, ``insufficient_funds``.
* ``pm_card_expired``: declined, ``expired_card``.
* ``pm_card_requires_action``: needs customer authentication (3-D Secure): the payment waits in
  ``requires_action`` and the order stays ``pending`` until it is confirmed or expires.

Ids are derived from the idempotency key, so the same call always returns the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from orderflow.payments.gateway.base import Charge, ChargeResult, ChargeStatus, MoneyMoved

DECLINES = {
    "pm_card_declined": ("card_declined", "Your card was declined."),
    "pm_card_insufficient_funds": ("insufficient_funds", "Your card has insufficient funds."),
    "pm_card_expired": ("expired_card", "Your card has expired."),
}
REQUIRES_ACTION = "pm_card_requires_action"


def _id(prefix: str, key: str) -> str:
    return f"{prefix}_builtin_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class BuiltinGateway:
    name = "builtin"
    local = True

    def charge(self, charge: Charge) -> ChargeResult:
        intent_id = _id("pi", charge.idempotency_key)
        decline = DECLINES.get(charge.payment_method_id)
        if decline is not None:
            return ChargeResult("failed", intent_id, None, decline[0], decline[1])
        if charge.payment_method_id == REQUIRES_ACTION:
            return ChargeResult("requires_action", intent_id)
        status: ChargeStatus = "captured" if charge.capture else "authorized"
        return ChargeResult(status, intent_id, _id("ch", charge.idempotency_key))

    def retrieve(self, intent_id: str) -> ChargeResult:
        # Nothing is stored: an intent that needed authentication is never completed here.
        return ChargeResult("requires_action", intent_id)

    def capture(self, intent_id: str, *, amount: int, idempotency_key: str) -> ChargeResult:
        return ChargeResult("captured", intent_id, _id("ch", intent_id))

    def cancel(self, intent_id: str, *, idempotency_key: str) -> ChargeResult:
        return ChargeResult("voided", intent_id)

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
        return MoneyMoved(_id("tr", idempotency_key))

    def refund(
        self, intent_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> MoneyMoved:
        return MoneyMoved(_id("re", idempotency_key))

    def reverse_transfer(
        self, transfer_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> MoneyMoved:
        return MoneyMoved(_id("trr", idempotency_key))
