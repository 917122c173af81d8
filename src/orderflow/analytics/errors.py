"""Errors of the analytics domain."""

from __future__ import annotations

from orderflow.errors import Invalid


class InvalidPeriod(Invalid):
    code = "invalid_period"
    title = "Invalid reporting period"
