"""One client's event stream: replay from the database, then live, without gap or duplicate.

The caller has already registered the :class:`Subscription` (subscribe first). ``events`` then

1. waits for the pub/sub backend to confirm the channel,
2. replays every stored event with ``sequence > after`` (oldest first),
3. yields live messages in order, skipping any sequence already sent, and filling a gap from the
   database when a live message skips ahead (two API processes may publish out of order).

Sequences are allocated under the order row's lock, so event N is committed before N+1 exists:
a gap seen live is always readable from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio.to_thread

from orderflow.tracking.fanout import Message, Subscription

Loader = Callable[[int, int | None], list[Message]]
"""``load(after, upto)``: stored events with ``after < sequence`` (``<= upto`` when given)."""


class Heartbeat:
    """Yielded by :func:`events` when nothing happened for ``heartbeat`` seconds."""


HEARTBEAT = Heartbeat()


async def events(
    sub: Subscription,
    *,
    after: int,
    load: Loader,
    heartbeat: float,
) -> AsyncIterator[Message | Heartbeat]:
    """Replay then live; raises ``fanout.Dropped`` when the client falls behind."""
    await sub.ready()
    last = after
    for message in await anyio.to_thread.run_sync(load, last, None):
        if message.sequence > last:
            last = message.sequence
            yield message
    while True:
        live = await sub.next(wait=heartbeat)
        if live is None:
            yield HEARTBEAT
            continue
        if live.sequence <= last:
            continue
        if live.sequence > last + 1:
            missed = await anyio.to_thread.run_sync(load, last, live.sequence - 1)
            for message in missed:
                if message.sequence > last:
                    last = message.sequence
                    yield message
        last = live.sequence
        yield live
