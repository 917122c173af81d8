"""HTTP endpoints of the notifications domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
