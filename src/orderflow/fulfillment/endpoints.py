"""HTTP endpoints of the fulfillment domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
