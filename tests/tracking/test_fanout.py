"""The per-process fan-out and one client's stream: replay, live, dedup, gaps, slow clients."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from orderflow.infra.pubsub import MemoryPubSub
from orderflow.tracking.fanout import Dropped, Fanout, Message, to_message
from orderflow.tracking.stream import Heartbeat, events


def payload(order_id: str, sequence: int, event: str = "order.location") -> bytes:
    return orjson.dumps(
        {
            "id": f"evt_{sequence}",
            "orderId": order_id,
            "timestamp": "2026-12-05T10:00:00Z",
            "event": event,
            "data": {"n": sequence},
            "sequence": sequence,
            "title": "t",
            "description": "",
        }
    )


def message(order_id: str, seq: int) -> Message:
    parsed = to_message(payload(order_id, seq))
    assert parsed is not None
    return parsed


class Store:
    """Events 'in the database': what the loader of a stream reads."""

    def __init__(self, order_id: str, upto: int) -> None:
        self.order_id = order_id
        self.upto = upto
        self.calls: list[tuple[int, int | None]] = []

    def load(self, after: int, upto: int | None) -> list[Message]:
        self.calls.append((after, upto))
        last = self.upto if upto is None else min(upto, self.upto)
        return [message(self.order_id, s) for s in range(after + 1, last + 1)]


async def take(stream: object, n: int) -> list[int]:
    out: list[int] = []
    async for item in stream:  # type: ignore[attr-defined]
        if isinstance(item, Heartbeat):
            continue
        out.append(item.sequence)
        if len(out) == n:
            break
    return out


class TestOneSubscriptionPerOrder:
    async def test_many_clients_of_one_order_share_one_pubsub_subscription(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=8)
        subs = [fanout.subscribe("ord_1") for _ in range(5)]
        fanout.subscribe("ord_2")
        assert len(pubsub._listeners["order:ord_1"]) == 1
        assert fanout.channel_count == 2
        await pubsub.publish("order:ord_1", payload("ord_1", 1))
        for sub in subs:
            live = await sub.next(wait=1)
            assert live is not None and live.sequence == 1

    async def test_the_last_client_leaving_drops_the_subscription(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=8)
        first, second = fanout.subscribe("ord_1"), fanout.subscribe("ord_1")
        first.close()
        assert "order:ord_1" in pubsub._listeners
        second.close()
        assert "order:ord_1" not in pubsub._listeners
        assert fanout.channel_count == 0


class TestReplayThenLive:
    async def test_replays_after_the_resume_point_then_streams_live_events(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=8)
        store = Store("ord_1", upto=3)
        sub = fanout.subscribe("ord_1")
        stream = events(sub, after=1, load=store.load, heartbeat=5)
        first = await take(stream, 2)
        await pubsub.publish("order:ord_1", payload("ord_1", 4))
        assert first + await take(stream, 1) == [2, 3, 4]

    async def test_an_event_both_replayed_and_received_live_is_sent_once(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=8)
        sub = fanout.subscribe("ord_1")
        # Event 3 is committed and published between the SUBSCRIBE and the replay's read.
        await pubsub.publish("order:ord_1", payload("ord_1", 3))
        store = Store("ord_1", upto=3)
        stream = events(sub, after=0, load=store.load, heartbeat=5)
        got = await take(stream, 3)
        await pubsub.publish("order:ord_1", payload("ord_1", 4))
        assert got + await take(stream, 1) == [1, 2, 3, 4]

    async def test_a_live_event_that_skips_ahead_fills_the_gap_from_the_database(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=8)
        store = Store("ord_1", upto=2)
        sub = fanout.subscribe("ord_1")
        stream = events(sub, after=0, load=store.load, heartbeat=5)
        assert await take(stream, 2) == [1, 2]
        store.upto = 5  # 3 and 4 were published by another process, not yet seen here
        await pubsub.publish("order:ord_1", payload("ord_1", 5))
        await pubsub.publish("order:ord_1", payload("ord_1", 4))
        assert await take(stream, 3) == [3, 4, 5]
        assert store.calls[-1] == (2, 4)

    async def test_an_idle_stream_yields_heartbeats(self) -> None:
        fanout = Fanout(MemoryPubSub(), queue_size=8)
        stream = events(
            fanout.subscribe("ord_1"), after=0, load=Store("ord_1", 0).load, heartbeat=0.01
        )
        item = await stream.__anext__()
        assert isinstance(item, Heartbeat)


class TestSlowClients:
    async def test_a_client_whose_queue_fills_is_dropped_and_the_others_keep_receiving(
        self,
    ) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=3)
        slow, fast = fanout.subscribe("ord_1"), fanout.subscribe("ord_1")
        received: list[int] = []
        for seq in range(1, 6):
            await pubsub.publish("order:ord_1", payload("ord_1", seq))
            live = await fast.next(wait=1)
            assert live is not None
            received.append(live.sequence)
        assert received == [1, 2, 3, 4, 5]
        assert slow.dropped and slow.dropped_event.is_set()
        assert fanout.subscriber_count("ord_1") == 1
        with pytest.raises(Dropped):
            await slow.next(wait=1)

    async def test_publishing_never_waits_for_a_client_that_does_not_read(self) -> None:
        pubsub = MemoryPubSub()
        fanout = Fanout(pubsub, queue_size=2)
        fanout.subscribe("ord_1")  # never reads
        async with asyncio.timeout(1):
            for seq in range(1, 1000):
                await pubsub.publish("order:ord_1", payload("ord_1", seq))
        assert fanout.subscriber_count("ord_1") == 0
