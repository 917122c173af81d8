"""Wire shapes of notification targets."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from orderflow.kit.schema import ApiModel, ApiResponse


class NotificationTargetUpdate(ApiModel):
    """Where a customer hears about its orders; each channel can be switched off."""

    email: str | None = Field(default=None, max_length=320, examples=["alice@example.com"])
    webhook_url: str | None = Field(
        default=None, max_length=2000, examples=["https://example.com/hooks/orders"]
    )
    webhook_secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=128,
        description="HMAC-SHA256 key of the webhook signature; kept when omitted on an update",
    )
    email_enabled: bool
    webhook_enabled: bool


class NotificationTarget(ApiResponse):
    customer_id: str
    email: str | None
    webhook_url: str | None
    has_webhook_secret: bool
    email_enabled: bool
    webhook_enabled: bool
    updated_at: datetime
