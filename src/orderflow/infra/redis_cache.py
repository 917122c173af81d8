"""Redis backend of :class:`orderflow.infra.cache.Cache` (scale-out: shared by every process).

Keys are prefixed with ``settings.redis_prefix`` so several deployments (or test runs) can share
one Redis. A cache must never take the API down: when Redis is unreachable, reads are misses and
writes are skipped (logged); the readiness probe reports the outage.
"""

from __future__ import annotations

import logging

import redis

logger = logging.getLogger("orderflow.infra.cache")

_OUTAGE = (redis.ConnectionError, redis.TimeoutError)


class RedisCache:
    def __init__(
        self, url: str, *, prefix: str, socket_timeout: float = 0.5, max_connections: int = 50
    ) -> None:
        self._prefix = f"{prefix}:"
        self._pool = redis.ConnectionPool.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            max_connections=max_connections,
        )
        self._client = redis.Redis(connection_pool=self._pool)

    def _key(self, key: str) -> str:
        return self._prefix + key

    def get(self, key: str) -> bytes | None:
        try:
            value = self._client.get(self._key(key))
        except _OUTAGE as exc:
            logger.warning("cache get failed: %s", exc)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        try:
            self._client.set(self._key(key), value, ex=max(int(ttl_seconds), 1))
        except _OUTAGE as exc:
            logger.warning("cache set failed: %s", exc)

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            self._client.delete(*(self._key(k) for k in keys))
        except _OUTAGE as exc:
            logger.error("cache delete failed (entries may stay until their TTL): %s", exc)

    def ttl(self, key: str) -> float | None:
        """Seconds left (None when the key does not exist or has no expiry)."""
        seconds = self._client.ttl(self._key(key))
        return None if not isinstance(seconds, int) or seconds < 0 else float(seconds)

    def ping(self) -> bool:
        return bool(self._client.ping())

    def close(self) -> None:
        self._client.close()
        self._pool.disconnect()
