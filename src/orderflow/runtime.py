"""Everything a process needs, built once from settings: database, cache, pub/sub, queue.

The API lifespan and the worker each build one ``Runtime``; nothing else holds global state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orderflow.config import Settings
from orderflow.db.session import Database
from orderflow.infra.cache import Cache, MemoryCache
from orderflow.infra.pubsub import MemoryPubSub, PubSub


@dataclass
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    pubsub: PubSub
    # Filled by workers/ when the queue is set up (saq Queue); Any keeps saq out of typing here.
    queue: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.cache.close()
        self.db.dispose()


def build_runtime(settings: Settings, *, db: Database | None = None) -> Runtime:
    from orderflow.orders.cache import order_cache

    cache = _cache(settings)
    # Services that change an order hold a session, not a runtime: they drop its cached copies
    # after commit through the caches bound here (orders/cache.py).
    order_cache.bind(cache)
    runtime = Runtime(
        settings=settings,
        db=db or Database(settings),
        cache=cache,
        pubsub=_pubsub(settings),
    )
    ping = getattr(cache, "ping", None)
    if settings.redis_url and ping is not None:
        # /readyz awaits this (api/health.py); a Redis outage raises and reports 503.
        async def redis_ping() -> None:
            import anyio.to_thread

            if not await anyio.to_thread.run_sync(ping):
                raise ConnectionError("redis ping failed")

        runtime.extras["redis_ping"] = redis_ping
    return runtime


def _cache(settings: Settings) -> Cache:
    """Redis when configured (shared by every process, so invalidations reach all), else memory."""
    if settings.redis_url:
        from orderflow.infra.redis_cache import RedisCache

        return RedisCache(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryCache()


def _pubsub(settings: Settings) -> PubSub:
    """Redis when configured (events reach every API process), else in-process."""
    if settings.redis_url:
        from orderflow.infra.redis_pubsub import RedisPubSub

        return RedisPubSub(settings.redis_url, prefix=settings.redis_prefix)
    return MemoryPubSub()
