"""HTTP endpoints of the changes domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
