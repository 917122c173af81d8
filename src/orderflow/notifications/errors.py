"""Errors of the notifications domain."""

from __future__ import annotations

from orderflow.errors import Invalid, NotFound


class NotificationTargetNotFound(NotFound):
    code = "notification_target_not_found"
    title = "No notification target"


class InvalidNotificationTarget(Invalid):
    code = "invalid_notification_target"
    title = "Invalid notification target"


class DeliveryFailed(Exception):
    """A send failed in a way that may succeed later (the queue retries the job)."""
