"""Redis backend of :class:`orderflow.infra.pubsub.PubSub` (scale-out: many API processes).

One Redis connection per process carries every subscription; a listener task reads it and calls
the local listeners on the event loop. Channel names are prefixed with ``settings.redis_prefix``
so several deployments (or test runs) can share one Redis. The connection starts lazily on the
first publish or subscribe, so no lifespan hook is needed.

``wait_subscribed(channel)`` returns once Redis has confirmed the SUBSCRIBE: a tracking client
subscribes first, waits for this, and only then replays history from the database, so an event
committed after the replay's read is certain to arrive live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from orderflow.infra.pubsub import Listener

logger = logging.getLogger("orderflow.infra.pubsub")

RECONNECT_DELAY_SECONDS = 0.5
SUBSCRIBE_TIMEOUT_SECONDS = 5.0


class RedisPubSub:
    def __init__(self, url: str, *, prefix: str) -> None:
        self._url = url
        self._prefix = f"{prefix}:"
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._confirmed: dict[str, asyncio.Event] = {}
        # Any: the installed types-redis stubs lag behind redis-py's asyncio API (aclose).
        self._client: Any = None
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._commands: asyncio.Queue[tuple[str, str]] | None = None

    # ------------------------------------------------------------ Protocol

    async def publish(self, channel: str, message: bytes) -> None:
        client = self._ensure_client()
        await client.publish(self._prefix + channel, message)

    def subscribe(self, channel: str, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; the first one on a channel sends SUBSCRIBE (asynchronously)."""
        first = channel not in self._listeners
        self._listeners[channel].add(listener)
        if first:
            self._confirmed[channel] = asyncio.Event()
            self._command("subscribe", channel)

        def unsubscribe() -> None:
            listeners = self._listeners.get(channel)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(channel, None)
                self._confirmed.pop(channel, None)
                self._command("unsubscribe", channel)

        return unsubscribe

    async def wait_subscribed(self, channel: str) -> None:
        event = self._confirmed.get(channel)
        if event is not None:
            await asyncio.wait_for(event.wait(), SUBSCRIBE_TIMEOUT_SECONDS)

    async def start(self) -> None:
        self._ensure_listener()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None
        self._listeners.clear()
        self._confirmed.clear()

    async def ping(self) -> bool:
        return bool(await self._ensure_client().ping())

    # ------------------------------------------------------------ internals

    def _ensure_client(self) -> Any:
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    def _command(self, verb: str, channel: str) -> None:
        self._ensure_listener()
        assert self._commands is not None
        self._commands.put_nowait((verb, channel))

    def _ensure_listener(self) -> None:
        if self._task is None or self._task.done():
            self._commands = asyncio.Queue()
            # Re-subscribe everything (a restart after a lost connection).
            for channel in self._listeners:
                self._commands.put_nowait(("subscribe", channel))
            self._task = asyncio.create_task(self._run(), name="redis-pubsub-listener")

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                for event in self._confirmed.values():
                    event.clear()
                await asyncio.sleep(RECONNECT_DELAY_SECONDS)
                assert self._commands is not None
                for channel in self._listeners:
                    self._commands.put_nowait(("subscribe", channel))

    async def _listen(self) -> None:
        assert self._commands is not None
        pubsub = self._ensure_client().pubsub()
        self._pubsub = pubsub
        try:
            while True:
                await self._apply_commands(pubsub)
                if not pubsub.subscribed:
                    verb, channel = await self._commands.get()
                    await self._apply(pubsub, verb, channel)
                    continue
                message = await pubsub.get_message(timeout=0.05)
                if message is not None:
                    self._deliver(message)
        finally:
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _apply_commands(self, pubsub: Any) -> None:
        assert self._commands is not None
        while not self._commands.empty():
            verb, channel = self._commands.get_nowait()
            await self._apply(pubsub, verb, channel)

    async def _apply(self, pubsub: Any, verb: str, channel: str) -> None:
        name = self._prefix + channel
        if verb == "subscribe":
            if channel in self._listeners:
                await pubsub.subscribe(name)
        elif channel not in self._listeners:
            await pubsub.unsubscribe(name)

    def _deliver(self, message: dict[str, Any]) -> None:
        raw = message.get("channel")
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        if not name.startswith(self._prefix):
            return
        channel = name[len(self._prefix) :]
        kind = message.get("type")
        if kind == "subscribe":
            event = self._confirmed.get(channel)
            if event is not None:
                event.set()
            return
        if kind != "message":
            return
        data = message.get("data")
        payload = data if isinstance(data, bytes) else str(data).encode()
        for listener in list(self._listeners.get(channel, ())):
            try:
                listener(channel, payload)
            except Exception:
                logger.exception("pub/sub listener failed on %s", channel)
