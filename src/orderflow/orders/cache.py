"""The order cache (seed "Caching Strategy"): documents, their items, a customer's recent orders.

TTLs follow the seed: active orders ``settings.cache_ttl_active`` (1 h), delivered
``cache_ttl_delivered`` (24 h), anything else ``cache_ttl_default`` (30 min).

A read after a write never sees the old status, even with a reader racing the writer. Every
order has a *generation* key (``order:{id}:gen``, a random token). A reader reads the token
before it loads from the database and stores its copy stamped with that token; a hit counts
only when the stamp equals the current token. A writer deletes the token after its commit (the
next reader makes a fresh one), so a copy loaded before the commit carries a token that can
never be current again, whenever it lands in the cache. Writers drop the keys in the committing
thread (``drop_after_commit``), before their response is sent, and again through the outbox
(``keys`` feeds ``workers.outbox.add_invalidate``) for the processes that did not write.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from orderflow.config import Settings
from orderflow.db.session import after_commit
from orderflow.infra.cache import Cache
from orderflow.metrics import CACHE_HITS, CACHE_MISSES

if TYPE_CHECKING:
    from orderflow.runtime import Runtime

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

ACTIVE_STATUSES = frozenset({"pending", "confirmed", "processing", "packed", "out_for_delivery"})
_SEPARATOR = b"\n"
_PENDING_DROPS = "orderflow.order_cache.drops"


def order_key(order_id: str) -> str:
    return f"order:{order_id}"


def items_key(order_id: str) -> str:
    return f"order:{order_id}:items"


def generation_key(order_id: str) -> str:
    return f"order:{order_id}:gen"


def recent_key(customer_id: str) -> str:
    return f"customer:{customer_id}:orders"


def recent_generation_key(customer_id: str) -> str:
    return f"customer:{customer_id}:orders:gen"


def ttl_for(status: str, settings: Settings) -> int:
    if status in ACTIVE_STATUSES:
        return settings.cache_ttl_active
    if status == "delivered":
        return settings.cache_ttl_delivered
    return settings.cache_ttl_default


class OrderCache:
    def __init__(self) -> None:
        # Caches of the runtimes of this process: drop_after_commit (called from services that
        # hold a session, not a runtime) clears the order in each of them.
        self._caches: weakref.WeakSet[Cache] = weakref.WeakSet()  # type: ignore[type-var]

    def bind(self, cache: Cache) -> None:
        """Called by ``build_runtime``: this process's cache, for ``drop_after_commit``."""
        self._caches.add(cache)

    # ------------------------------------------------------------ reads

    def get_or_load(
        self, runtime: Runtime, order_id: str, loader: Callable[[], M | None], *, model: type[M]
    ) -> M | None:
        """The cached order document, or ``loader()``'s (then cached by its ``status``).

        Cache the full (admin) view and apply the caller's visibility after; ``None`` from the
        loader (no such order) is not cached.
        """
        adapter: TypeAdapter[M] = TypeAdapter(model)
        return self._guarded(
            runtime,
            label="order",
            key=order_key(order_id),
            generation=generation_key(order_id),
            loader=loader,
            dump=lambda doc: adapter.dump_json(doc, by_alias=True),
            parse=adapter.validate_json,
            ttl=lambda doc: ttl_for(str(getattr(doc, "status", "")), runtime.settings),
        )

    def items_or_load(
        self,
        runtime: Runtime,
        order_id: str,
        loader: Callable[[], list[M]],
        *,
        model: type[M],
        status: str,
    ) -> list[M]:
        """The order's items (cached apart from the document, with the order's TTL)."""
        adapter: TypeAdapter[list[M]] = TypeAdapter(list[model])  # type: ignore[valid-type]
        found: list[M] | None = self._guarded(
            runtime,
            label="order_items",
            key=items_key(order_id),
            generation=generation_key(order_id),
            loader=loader,
            dump=lambda items: adapter.dump_json(items, by_alias=True),
            parse=adapter.validate_json,
            ttl=lambda _items: ttl_for(status, runtime.settings),
        )
        return found or []

    def recent_or_load(
        self, runtime: Runtime, customer_id: str, loader: Callable[[], list[str]]
    ) -> list[str]:
        """Ids of the customer's recent orders, newest first (dropped when one is placed)."""
        adapter: TypeAdapter[list[str]] = TypeAdapter(list[str])
        found = self._guarded(
            runtime,
            label="recent_orders",
            key=recent_key(customer_id),
            generation=recent_generation_key(customer_id),
            loader=loader,
            dump=adapter.dump_json,
            parse=adapter.validate_json,
            ttl=lambda _ids: runtime.settings.cache_ttl_default,
        )
        return found or []

    # ------------------------------------------------------------ writes

    def keys(self, order_id: str, customer_id: str | None = None) -> list[str]:
        """Every key to drop when the order changes (the generation key first)."""
        keys = [generation_key(order_id), order_key(order_id), items_key(order_id)]
        if customer_id is not None:
            keys += [recent_generation_key(customer_id), recent_key(customer_id)]
        return keys

    def invalidate(self, runtime: Runtime, order_id: str, customer_id: str | None = None) -> None:
        """Drop the order's entries now (call after the commit that changed it)."""
        runtime.cache.delete(*self.keys(order_id, customer_id))

    def drop_after_commit(
        self, session: Session, order_id: str, customer_id: str | None = None
    ) -> None:
        """Drop the order's entries from this process's caches once ``session`` commits.

        Runs in the committing thread, before the writer answers its client: the writer's next
        read cannot see the old copy. Pass ``customer_id`` when the customer's list changed
        (an order placed).
        """
        pending: dict[str, str | None] | None = session.info.get(_PENDING_DROPS)
        if pending is None:
            pending = {}
            session.info[_PENDING_DROPS] = pending
            after_commit(session, lambda: self._drop(pending))
        pending[order_id] = customer_id or pending.get(order_id)

    # ------------------------------------------------------------ internals

    def _drop(self, pending: dict[str, str | None]) -> None:
        keys = [k for order_id, customer in pending.items() for k in self.keys(order_id, customer)]
        for cache in list(self._caches):
            cache.delete(*keys)

    def _guarded(
        self,
        runtime: Runtime,
        *,
        label: str,
        key: str,
        generation: str,
        loader: Callable[[], T | None],
        dump: Callable[[T], bytes],
        parse: Callable[[bytes], T],
        ttl: Callable[[T], int],
    ) -> T | None:
        cache = runtime.cache
        token = cache.get(generation)
        if token is not None:
            stored = cache.get(key)
            if stored is not None:
                stamp, _, payload = stored.partition(_SEPARATOR)
                if stamp == token:
                    CACHE_HITS.labels(cache=label).inc()
                    return parse(payload)
        else:
            token = secrets.token_hex(12).encode()
            cache.set(generation, token, _generation_ttl(runtime.settings))
        CACHE_MISSES.labels(cache=label).inc()
        value = loader()
        if value is not None:
            cache.set(key, token + _SEPARATOR + dump(value), ttl(value))
        return value


def _generation_ttl(settings: Settings) -> int:
    """Outlives every copy stamped with it, so an expired token cannot come back as 'missing'."""
    return (
        max(settings.cache_ttl_active, settings.cache_ttl_delivered, settings.cache_ttl_default) * 2
    )


order_cache = OrderCache()
