"""All ORM models, imported here so that Alembic and the mappers see every table."""

from orderflow.db.models.catalog import Hub, Variant, Vendor
from orderflow.db.models.changes import Return, ReturnItem
from orderflow.db.models.fulfillment import Fulfillment
from orderflow.db.models.inventory import Reservation, StockLevel
from orderflow.db.models.orders import Order, OrderItem, OrderVersion, SubOrder
from orderflow.db.models.payments import (
    LedgerEntry,
    Payment,
    Refund,
    Transfer,
    TransferReversal,
    WebhookEvent,
)
from orderflow.db.models.pipeline import IdempotencyRecord, OutboxMessage, QueuedJob
from orderflow.db.models.tracking import (
    AnalyticsRecord,
    Notification,
    NotificationTarget,
    TrackingEvent,
)

__all__ = [
    "AnalyticsRecord",
    "Fulfillment",
    "Hub",
    "IdempotencyRecord",
    "LedgerEntry",
    "Notification",
    "NotificationTarget",
    "Order",
    "OrderItem",
    "OrderVersion",
    "OutboxMessage",
    "Payment",
    "QueuedJob",
    "Refund",
    "Reservation",
    "Return",
    "ReturnItem",
    "StockLevel",
    "SubOrder",
    "TrackingEvent",
    "Transfer",
    "TransferReversal",
    "Variant",
    "Vendor",
    "WebhookEvent",
]
