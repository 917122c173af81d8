"""Pub/sub for tracking fan-out: one Protocol, in-process (embedded) and Redis (scale-out)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

Listener = Callable[[str, bytes], None]


class PubSub(Protocol):
    async def publish(self, channel: str, message: bytes) -> None: ...
    def subscribe(self, channel: str, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; returns a function that unsubscribes it."""
        ...

    async def start(self) -> None: ...
    async def close(self) -> None: ...


class MemoryPubSub:
    """In-process fan-out. Listeners are called on the event loop and must not block."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)

    async def publish(self, channel: str, message: bytes) -> None:
        for listener in list(self._listeners.get(channel, ())):
            listener(channel, message)
        await asyncio.sleep(0)

    def subscribe(self, channel: str, listener: Listener) -> Callable[[], None]:
        self._listeners[channel].add(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(channel)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    self._listeners.pop(channel, None)

        return unsubscribe

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()
