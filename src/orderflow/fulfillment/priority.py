"""Fulfillment priority (pure), as the seed's ``calculatePriority``.

Express is high. A scheduled delivery due in *less than* 24 hours is high, in less than 48 hours
medium; so a delivery exactly 24 h away is medium and exactly 48 h away is normal. Everything
else (standard, or scheduled further out, or a schedule missing) is normal. A schedule already
in the past counts as less than 24 h away: it is due now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

HIGH_WITHIN = timedelta(hours=24)
MEDIUM_WITHIN = timedelta(hours=48)


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """Sort key of a hub's queue: 0 high, 1 medium, 2 normal."""
        return _RANKS[self]


_RANKS = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.NORMAL: 2}


def priority_for(delivery_type: str, scheduled_at: datetime | None, now: datetime) -> Priority:
    """The priority of a fulfillment of an order with this delivery type and schedule."""
    if delivery_type == "express":
        return Priority.HIGH
    if scheduled_at is not None:
        until = scheduled_at - now
        if until < HIGH_WITHIN:
            return Priority.HIGH
        if until < MEDIUM_WITHIN:
            return Priority.MEDIUM
    return Priority.NORMAL
