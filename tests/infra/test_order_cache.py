"""The order cache: seed TTLs per status class, and no stale status after a write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orderflow.db.models import Vendor
from orderflow.infra.cache import MemoryCache
from orderflow.infra.redis_cache import RedisCache
from orderflow.kit.schema import ApiResponse
from orderflow.metrics import CACHE_HITS
from orderflow.orders.cache import order_cache, order_key
from orderflow.runtime import Runtime, build_runtime
from tests.conftest import make_settings


class Doc(ApiResponse):
    id: str
    status: str
    customer_id: str = "cus_1"


class Item(ApiResponse):
    id: str
    quantity: int


@pytest.fixture(params=["memory", "redis"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    overrides = {}
    if request.param == "redis":
        overrides = {
            "redis_url": request.getfixturevalue("redis_url"),
            "redis_prefix": request.getfixturevalue("redis_prefix"),
        }
    rt = build_runtime(make_settings(f"sqlite:///{tmp_path / 'cache.db'}", **overrides))
    yield rt
    rt.close()


class Loader:
    """Stands in for the database: returns the current document and counts loads."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.loads = 0
        self.during_load: Callable[[], None] | None = None

    def __call__(self) -> Doc:
        self.loads += 1
        loaded = self.doc
        if self.during_load is not None:
            hook, self.during_load = self.during_load, None
            hook()
        return loaded


def ttl_of(runtime: Runtime, key: str) -> float | None:
    cache = runtime.cache
    assert isinstance(cache, MemoryCache | RedisCache)
    return cache.ttl(key)


class TestTtlPerStatus:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("pending", 3600),
            ("confirmed", 3600),
            ("processing", 3600),
            ("packed", 3600),
            ("out_for_delivery", 3600),
            ("delivered", 86400),
            ("cancelled", 1800),
            ("refunded", 1800),
        ],
    )
    def test_the_document_lives_as_long_as_the_seed_says(
        self, runtime: Runtime, status: str, expected: int
    ) -> None:
        order_cache.get_or_load(runtime, "ord_1", Loader(Doc(id="ord_1", status=status)), model=Doc)

        ttl = ttl_of(runtime, order_key("ord_1"))
        assert ttl is not None
        assert expected - 5 < ttl <= expected


class TestReads:
    def test_a_second_read_is_a_hit(self, runtime: Runtime) -> None:
        loader = Loader(Doc(id="ord_1", status="pending"))
        hits = CACHE_HITS.labels(cache="order")._value.get()

        first = order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)
        second = order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)

        assert first == second == Doc(id="ord_1", status="pending")
        assert loader.loads == 1
        assert CACHE_HITS.labels(cache="order")._value.get() == hits + 1

    def test_a_missing_order_is_not_cached(self, runtime: Runtime) -> None:
        loads: list[int] = []

        def nothing() -> Doc | None:
            loads.append(1)
            return None

        assert order_cache.get_or_load(runtime, "ord_x", nothing, model=Doc) is None
        assert order_cache.get_or_load(runtime, "ord_x", nothing, model=Doc) is None
        assert len(loads) == 2

    def test_items_are_cached_apart_from_the_document(self, runtime: Runtime) -> None:
        calls: list[int] = []

        def items() -> list[Item]:
            calls.append(1)
            return [Item(id="itm_1", quantity=2)]

        order_cache.items_or_load(runtime, "ord_1", items, model=Item, status="delivered")
        again = order_cache.items_or_load(runtime, "ord_1", items, model=Item, status="delivered")

        assert again == [Item(id="itm_1", quantity=2)]
        assert calls == [1]
        ttl = ttl_of(runtime, "order:ord_1:items")
        assert ttl is not None and ttl > 86000

    def test_the_recent_orders_list_is_dropped_when_an_order_is_placed(
        self, runtime: Runtime
    ) -> None:
        ids = ["ord_2", "ord_1"]
        assert order_cache.recent_or_load(runtime, "cus_1", lambda: list(ids)) == ids

        ids.insert(0, "ord_3")
        stale = order_cache.recent_or_load(runtime, "cus_1", lambda: list(ids))
        order_cache.invalidate(runtime, "ord_3", "cus_1")

        assert stale == ["ord_2", "ord_1"]
        assert order_cache.recent_or_load(runtime, "cus_1", lambda: list(ids)) == ids


class TestNoStaleReadAfterWrite:
    def test_an_invalidated_order_is_loaded_again(self, runtime: Runtime) -> None:
        loader = Loader(Doc(id="ord_1", status="pending"))
        order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)

        loader.doc = Doc(id="ord_1", status="confirmed")
        order_cache.invalidate(runtime, "ord_1")

        assert order_cache.get_or_load(runtime, "ord_1", loader, model=Doc) == loader.doc

    def test_a_reader_that_loaded_before_the_commit_cannot_cache_the_old_status(
        self, runtime: Runtime
    ) -> None:
        loader = Loader(Doc(id="ord_1", status="pending"))

        def writer_commits_meanwhile() -> None:
            loader.doc = Doc(id="ord_1", status="confirmed")
            order_cache.invalidate(runtime, "ord_1")

        loader.during_load = writer_commits_meanwhile
        racing = order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)
        after = order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)

        assert racing is not None and racing.status == "pending"  # it read before the commit
        assert after is not None and after.status == "confirmed"
        assert loader.loads == 2

    def test_the_old_copy_stays_dead_even_if_it_lands_after_a_fresh_one(
        self, runtime: Runtime
    ) -> None:
        slow = Loader(Doc(id="ord_1", status="pending"))
        fresh = Loader(Doc(id="ord_1", status="confirmed"))

        def writer_then_fast_reader() -> None:
            order_cache.invalidate(runtime, "ord_1")
            order_cache.get_or_load(runtime, "ord_1", fresh, model=Doc)

        slow.during_load = writer_then_fast_reader
        order_cache.get_or_load(runtime, "ord_1", slow, model=Doc)  # stores its stale copy last

        later = order_cache.get_or_load(runtime, "ord_1", fresh, model=Doc)
        assert later is not None and later.status == "confirmed"


class TestDropAfterCommit:
    def test_drops_the_order_only_once_the_transaction_commits(self, runtime: Runtime) -> None:
        from orderflow.db.migrate import upgrade

        upgrade(runtime.settings.database_url)
        loader = Loader(Doc(id="ord_1", status="pending"))
        order_cache.get_or_load(runtime, "ord_1", loader, model=Doc)

        with runtime.db.write() as session:
            order_cache.drop_after_commit(session, "ord_1")
            assert runtime.cache.get(order_key("ord_1")) is not None
            session.add(Vendor(id="ven_x", name="x", type="brand"))

        assert runtime.cache.get(order_key("ord_1")) is None

    def test_a_rolled_back_transaction_drops_nothing(self, runtime: Runtime) -> None:
        from orderflow.db.migrate import upgrade

        upgrade(runtime.settings.database_url)
        order_cache.get_or_load(
            runtime, "ord_1", Loader(Doc(id="ord_1", status="pending")), model=Doc
        )

        with pytest.raises(RuntimeError), runtime.db.write() as session:
            order_cache.drop_after_commit(session, "ord_1")
            raise RuntimeError("boom")

        assert runtime.cache.get(order_key("ord_1")) is not None
