"""The payment gateway protocol: what the payments service needs from a processor.

Every call takes a deterministic idempotency key (``orderflow:<op>:<id>``), so a retried call
(after a timeout, a 5xx or a worker crash) returns the first result and never charges twice.
Declines are results, not exceptions; ``GatewayUnavailable`` means "try again later" and
``GatewayRejected`` means "retrying cannot help".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

ChargeStatus = Literal["captured", "authorized", "requires_action", "failed", "voided"]


class GatewayUnavailable(Exception):
    """A timeout, connection error or 5xx: the call may be retried with the same key."""


class GatewayRejected(Exception):
    """The gateway refused the request itself (bad parameters, idempotency conflict)."""


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    intent_id: str
    charge_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class Charge:
    """A request to charge ``amount`` for an order (or an order's adjustment)."""

    order_id: str
    customer_id: str
    vendor_ids: tuple[str, ...]
    amount: int
    currency: str
    payment_method_id: str
    capture: bool
    idempotency_key: str
    transfer_group: str
    description: str | None = None


@dataclass(frozen=True)
class MoneyMoved:
    """A transfer, refund or reversal the gateway accepted."""

    id: str
    status: Literal["succeeded", "pending", "failed"] = "succeeded"


class Gateway(Protocol):
    name: str
    #: True when calls are local and instant (no network): they may run inside a transaction.
    local: bool

    def charge(self, charge: Charge) -> ChargeResult: ...

    def retrieve(self, intent_id: str) -> ChargeResult: ...

    def capture(self, intent_id: str, *, amount: int, idempotency_key: str) -> ChargeResult: ...

    def cancel(self, intent_id: str, *, idempotency_key: str) -> ChargeResult: ...

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
    ) -> MoneyMoved: ...

    def refund(
        self,
        intent_id: str,
        *,
        amount: int,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> MoneyMoved: ...

    def reverse_transfer(
        self, transfer_id: str, *, amount: int, metadata: Mapping[str, str], idempotency_key: str
    ) -> MoneyMoved: ...
