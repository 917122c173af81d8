"""Cache: one Protocol, an in-memory backend (embedded) and a Redis backend (production)."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def close(self) -> None: ...


class MemoryCache:
    """Process-local cache with per-key TTL. Thread-safe; used in embedded mode and tests."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires <= time.monotonic():
                del self._data[key]
                return None
            return value

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        with self._lock:
            if len(self._data) >= self._max:
                self._data.pop(next(iter(self._data)))
            self._data[key] = (time.monotonic() + ttl_seconds, value)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def ttl(self, key: str) -> float | None:
        with self._lock:
            item = self._data.get(key)
            return None if item is None else item[0] - time.monotonic()

    def close(self) -> None:
        with self._lock:
            self._data.clear()
