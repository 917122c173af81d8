"""HTTP endpoints of the analytics domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
