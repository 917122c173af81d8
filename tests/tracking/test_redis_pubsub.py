"""The Redis pub/sub backend: what one process publishes reaches another's listeners."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orderflow.config import Settings
from orderflow.infra.pubsub import MemoryPubSub
from orderflow.infra.redis_pubsub import RedisPubSub
from orderflow.runtime import build_runtime
from tests.conftest import make_settings

pytestmark = pytest.mark.redis


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.arrived = asyncio.Event()

    def __call__(self, channel: str, message: bytes) -> None:
        self.messages.append((channel, message))
        self.arrived.set()


class TestRedisPubSub:
    async def test_a_message_published_by_one_instance_reaches_the_others_listener(
        self, redis_url: str, redis_prefix: str
    ) -> None:
        producer = RedisPubSub(redis_url, prefix=redis_prefix)
        consumer = RedisPubSub(redis_url, prefix=redis_prefix)
        collector = Collector()
        try:
            consumer.subscribe("order:1", collector)
            await consumer.wait_subscribed("order:1")
            await producer.publish("order:1", b'{"sequence": 1}')
            await asyncio.wait_for(collector.arrived.wait(), 5)
            assert collector.messages == [("order:1", b'{"sequence": 1}')]
        finally:
            await producer.close()
            await consumer.close()

    async def test_unsubscribed_listeners_and_other_prefixes_hear_nothing(
        self, redis_url: str, redis_prefix: str
    ) -> None:
        producer = RedisPubSub(redis_url, prefix=redis_prefix)
        consumer = RedisPubSub(redis_url, prefix=redis_prefix)
        stranger = RedisPubSub(redis_url, prefix=redis_prefix + ":other")
        gone, kept, foreign = Collector(), Collector(), Collector()
        try:
            unsubscribe = consumer.subscribe("order:1", gone)
            consumer.subscribe("order:2", kept)
            stranger.subscribe("order:2", foreign)
            await consumer.wait_subscribed("order:1")
            await consumer.wait_subscribed("order:2")
            await stranger.wait_subscribed("order:2")
            unsubscribe()
            await producer.publish("order:1", b"one")
            await producer.publish("order:2", b"two")
            await asyncio.wait_for(kept.arrived.wait(), 5)
            await asyncio.sleep(0.1)
            assert gone.messages == [] and foreign.messages == []
            assert kept.messages == [("order:2", b"two")]
        finally:
            for pubsub in (producer, consumer, stranger):
                await pubsub.close()


class TestRuntimeChoice:
    def test_the_runtime_uses_redis_when_a_url_is_configured(
        self, redis_url: str, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path / 'x.db'}"
        settings: Settings = make_settings(url, redis_url=redis_url)
        with_redis, without = build_runtime(settings), build_runtime(make_settings(url))
        try:
            assert isinstance(with_redis.pubsub, RedisPubSub)
            assert isinstance(without.pubsub, MemoryPubSub)
        finally:
            with_redis.close()
            without.close()
