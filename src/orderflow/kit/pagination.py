"""Opaque keyset cursors: base64 of ``<created_at iso>|<id>``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import Field

from orderflow.errors import BadRequest
from orderflow.kit.schema import ApiModel

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    sort_key: str
    id: str

    def encode(self) -> str:
        raw = f"{self.sort_key}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort_key, _, ident = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest("cursor is not one this API returned; start again without it") from exc
        if not ident:
            raise BadRequest("cursor is not one this API returned; start again without it")
        return cls(sort_key, ident)

    @classmethod
    def after(cls, created_at: datetime, ident: str) -> Cursor:
        return cls(created_at.isoformat(), ident)


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(default=None)
