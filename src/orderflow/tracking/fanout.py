"""Per-process fan-out of tracking events to WebSocket / SSE clients.

One pub/sub subscription per order channel per process, however many clients watch that order;
each message is parsed once and offered to every client's bounded queue. A client whose queue
is full (it does not read fast enough) is dropped at once, so it never slows the others.

A :class:`Subscription` is registered BEFORE the client's history is replayed from the
database; :meth:`Subscription.ready` then waits until the pub/sub backend confirms the channel.
Live messages that arrive meanwhile wait in the queue and are de-duplicated by sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from orderflow.infra.pubsub import PubSub
from orderflow.tracking.repository import order_channel

EXTRAS_KEY = "tracking_fanout"


@dataclass(frozen=True)
class Message:
    """One tracking event as it travels to clients: its sequence and its JSON text."""

    sequence: int
    text: str


class Dropped(Exception):
    """The client fell behind (its send queue filled up) and was disconnected."""


@dataclass(eq=False)
class Subscription:
    order_id: str
    fanout: Fanout
    queue: asyncio.Queue[Message | None]
    dropped: bool = False
    closed: bool = False
    dropped_event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _ready: Callable[[], Any] | None = field(default=None, repr=False)

    def offer(self, message: Message) -> None:
        """Called by the fan-out on the event loop; never blocks."""
        if self.dropped or self.closed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped = True
            self.dropped_event.set()
            self.fanout.remove(self)
            # Make room for the wake-up sentinel: the client is gone anyway.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def ready(self) -> None:
        if self._ready is not None:
            await self._ready()

    async def next(self, wait: float | None = None) -> Message | None:
        """The next live message; None on timeout. Raises :class:`Dropped` once dropped."""
        if self.dropped:
            raise Dropped()
        try:
            item = await asyncio.wait_for(self.queue.get(), wait)
        except TimeoutError:
            return None
        if item is None:
            raise Dropped()
        return item

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.fanout.remove(self)


@dataclass
class _Channel:
    unsubscribe: Callable[[], None]
    subscriptions: set[Subscription] = field(default_factory=set)


class Fanout:
    def __init__(self, pubsub: PubSub, *, queue_size: int) -> None:
        self.pubsub = pubsub
        self.queue_size = max(queue_size, 1)
        self._channels: dict[str, _Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.delivered = 0
        self.dropped = 0

    def subscribe(self, order_id: str) -> Subscription:
        """Register a client of ``order_id`` (must run on the event loop)."""
        self._loop = asyncio.get_running_loop()
        channel = order_channel(order_id)
        sub = Subscription(order_id, self, asyncio.Queue(self.queue_size))
        entry = self._channels.get(channel)
        if entry is None:
            entry = _Channel(self.pubsub.subscribe(channel, self._listener))
            self._channels[channel] = entry
        entry.subscriptions.add(sub)
        waiter = getattr(self.pubsub, "wait_subscribed", None)
        if waiter is not None:

            async def ready() -> None:
                await waiter(channel)

            sub._ready = ready
        return sub

    def remove(self, sub: Subscription) -> None:
        channel = order_channel(sub.order_id)
        entry = self._channels.get(channel)
        if entry is None or sub not in entry.subscriptions:
            return
        entry.subscriptions.discard(sub)
        if sub.dropped:
            self.dropped += 1
        if not entry.subscriptions:
            del self._channels[channel]
            entry.unsubscribe()

    def subscriber_count(self, order_id: str) -> int:
        entry = self._channels.get(order_channel(order_id))
        return 0 if entry is None else len(entry.subscriptions)

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    def _listener(self, channel: str, payload: bytes) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            # Published from another thread / loop (the in-memory backend in tests, a worker
            # thread): hand over to the loop that owns the client queues.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, channel, payload)
            return
        self._deliver(channel, payload)

    def _deliver(self, channel: str, payload: bytes) -> None:
        entry = self._channels.get(channel)
        if entry is None:
            return
        message = to_message(payload)
        if message is None:
            return
        for sub in list(entry.subscriptions):
            sub.offer(message)
            self.delivered += 1


def to_message(payload: bytes) -> Message | None:
    """The wire message of an outbox payload: ``{orderId, timestamp, event, data, sequence}``."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("sequence"), int):
        return None
    return Message(body["sequence"], wire_text(body))


def wire_text(body: dict[str, Any]) -> str:
    wire = {
        "orderId": body.get("orderId"),
        "timestamp": body.get("timestamp"),
        "event": body.get("event"),
        "data": body.get("data") or {},
        "sequence": body.get("sequence"),
        "title": body.get("title"),
        "description": body.get("description"),
    }
    return orjson.dumps(wire).decode()


def fanout_for(extras: dict[str, Any], pubsub: PubSub, *, queue_size: int) -> Fanout:
    """The process's fan-out (kept in ``runtime.extras``), created on first use."""
    fanout = extras.get(EXTRAS_KEY)
    if not isinstance(fanout, Fanout):
        fanout = Fanout(pubsub, queue_size=queue_size)
        extras[EXTRAS_KEY] = fanout
    return fanout
