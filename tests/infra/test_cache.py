"""The Cache contract, on the in-memory backend and on real Redis."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from orderflow.config import Settings
from orderflow.infra.cache import Cache, MemoryCache
from orderflow.infra.redis_cache import RedisCache
from orderflow.runtime import build_runtime
from tests.conftest import make_settings


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        backend: Cache = MemoryCache()
    else:
        url = request.getfixturevalue("redis_url")
        backend = RedisCache(url, prefix=request.getfixturevalue("redis_prefix"))
    yield backend
    backend.close()


class TestCacheContract:
    def test_a_missing_key_is_none(self, cache: Cache) -> None:
        assert cache.get("nothing") is None

    def test_returns_what_was_set(self, cache: Cache) -> None:
        cache.set("order:1", b'{"status":"pending"}', 60)

        assert cache.get("order:1") == b'{"status":"pending"}'

    def test_deletes_several_keys_at_once(self, cache: Cache) -> None:
        cache.set("a", b"1", 60)
        cache.set("b", b"2", 60)
        cache.set("c", b"3", 60)

        cache.delete("a", "b", "never-set")

        assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, b"3")

    def test_an_entry_expires_after_its_ttl(self, cache: Cache) -> None:
        cache.set("short", b"x", 1)
        cache.set("long", b"y", 60)

        time.sleep(1.1)

        assert cache.get("short") is None
        assert cache.get("long") == b"y"


class TestRedisCache:
    def test_keys_live_under_the_prefix(self, redis_url: str, redis_prefix: str) -> None:
        cache = RedisCache(redis_url, prefix=redis_prefix)
        cache.set("order:1", b"doc", 90)
        raw = redis.Redis.from_url(redis_url)

        assert raw.get(f"{redis_prefix}:order:1") == b"doc"
        assert 0 < raw.ttl(f"{redis_prefix}:order:1") <= 90
        raw.close()
        cache.close()

    def test_two_prefixes_do_not_see_each_other(self, redis_url: str, redis_prefix: str) -> None:
        mine = RedisCache(redis_url, prefix=f"{redis_prefix}:a")
        theirs = RedisCache(redis_url, prefix=f"{redis_prefix}:b")
        mine.set("k", b"1", 60)

        assert theirs.get("k") is None
        mine.close()
        theirs.close()

    def test_an_unreachable_redis_is_a_miss_not_an_error(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cache = RedisCache(f"redis://127.0.0.1:{port}/0", prefix="x", socket_timeout=0.2)

        cache.set("k", b"v", 60)
        cache.delete("k")

        assert cache.get("k") is None
        cache.close()


class TestRuntimeChoosesTheCache:
    def test_redis_when_a_redis_url_is_set(
        self, tmp_path: Path, redis_url: str, redis_prefix: str
    ) -> None:
        settings: Settings = make_settings(
            f"sqlite:///{tmp_path / 'x.db'}", redis_url=redis_url, redis_prefix=redis_prefix
        )
        runtime = build_runtime(settings)

        assert isinstance(runtime.cache, RedisCache)
        runtime.close()

    def test_memory_otherwise(self, tmp_path: Path) -> None:
        runtime = build_runtime(make_settings(f"sqlite:///{tmp_path / 'x.db'}"))

        assert isinstance(runtime.cache, MemoryCache)
        runtime.close()
