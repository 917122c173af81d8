"""HTTP endpoints of the tracking domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
